-- +goose Up
-- An outbox attempt is written when its mail is handed to the SMTP server
-- and updated once, with the server's answer, moments later. On a full page
-- that new version went to another page, with a new entry in both of the
-- table's indexes (2.00 of 2.00 updates per complaint, BenchmarkEndToEnd).
-- Pages filled to 35% keep room for the answered version of each of their
-- rows (about 76 bytes written, 130 answered), so PostgreSQL keeps it on the
-- same page without index entries (a HOT update). The table is small (two
-- rows a complaint); it takes about three times the pages. Pages written
-- before this keep their rows as they are.
ALTER TABLE outbox_attempts SET (fillfactor = 35);

-- +goose Down
ALTER TABLE outbox_attempts RESET (fillfactor);
