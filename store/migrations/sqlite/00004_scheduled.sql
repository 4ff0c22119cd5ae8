-- +goose Up
-- scheduled records every piece of scheduled work under a key naming what
-- and for which period (reminder/<case>/<days>, digest/<manager>/<date>, …),
-- inserted in the same transaction that queues its mail: whatever happens
-- to the daemons, each is done once.
CREATE TABLE scheduled (
    key        TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    case_id    INTEGER NULL,
    created_at TIMESTAMP NOT NULL,
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX scheduled_kind ON scheduled (kind, created_at);

-- +goose Down
DROP TABLE scheduled;
