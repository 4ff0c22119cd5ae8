-- +goose Up
-- outbox_attempts is every attempt to send an outbox row (issue 16): written
-- before the message goes to the SMTP server (outcome 'sending') and given the
-- server's answer after. An 'accepted' attempt means the server took the
-- message: that row is never sent again, even when marking the outbox row
-- sent failed (a database stall). An attempt left at 'sending' by a daemon
-- that is gone has an unknown outcome: the server may have taken it, and the
-- next attempt may be a second delivery; the case file says so.
--
-- No foreign key to outbox on purpose: recording an answer must not wait for
-- a lock on the outbox row it is about (the stall it guards against).
CREATE TABLE outbox_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id   INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    session     INTEGER NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NULL,
    outcome     TEXT NOT NULL,
    answer      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_attempts_outbox ON outbox_attempts (outbox_id, id);

-- +goose Down
DROP TABLE outbox_attempts;
