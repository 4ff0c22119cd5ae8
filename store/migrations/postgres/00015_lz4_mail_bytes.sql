-- +goose Up
-- Mail bytes are compressed with lz4 instead of pglz (PostgreSQL's default
-- before 16 unless default_toast_compression says otherwise). A batch of 100
-- complaints queues ~200 mails of ~8.4 kB; pglz compressing them was most of
-- the cost of the batch's outbox insert (200 rows: median 65 ms with pglz,
-- 20 ms with lz4, about the same size on disk). Only values written from now
-- on use lz4; older ones stay readable as they are. Storing the bytes
-- uncompressed (STORAGE EXTERNAL) was as fast but took twice the space;
-- keeping them in the row (STORAGE MAIN) made every claim and "sent" update
-- copy them.
-- SET COMPRESSION needs PostgreSQL 14 and a server built with lz4: without
-- either the columns keep the server's default and nothing fails.
-- +goose StatementBegin
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        EXECUTE 'ALTER TABLE outbox ALTER COLUMN raw SET COMPRESSION lz4';
        EXECUTE 'ALTER TABLE ledger ALTER COLUMN raw SET COMPRESSION lz4';
        EXECUTE 'ALTER TABLE messages ALTER COLUMN full_text SET COMPRESSION lz4, ALTER COLUMN new_text SET COMPRESSION lz4';
    END IF;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available on this server: mail bytes keep the default compression';
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        EXECUTE 'ALTER TABLE outbox ALTER COLUMN raw SET COMPRESSION DEFAULT';
        EXECUTE 'ALTER TABLE ledger ALTER COLUMN raw SET COMPRESSION DEFAULT';
        EXECUTE 'ALTER TABLE messages ALTER COLUMN full_text SET COMPRESSION DEFAULT, ALTER COLUMN new_text SET COMPRESSION DEFAULT';
    END IF;
END
$$;
-- +goose StatementEnd
