-- +goose Up
-- claimed_by names the session of the daemon that claimed an outbox row
-- (state 'sending'): its claim is void as soon as that session is gone,
-- instead of after a fixed lease.
ALTER TABLE outbox ADD COLUMN claimed_by INTEGER NULL;

-- A server may hand out a UID again under the same UIDVALIDITY (a mailbox
-- restored from backup, a rebuilt uid list). The same key with other bytes
-- is another message: the bytes' digest is part of the key. SQLite cannot
-- change a table's UNIQUE constraint, so the table is rebuilt. messages
-- refers to ledger: with the check deferred to the commit, dropping the old
-- table counts the references as broken and inserting the same ids into the
-- new one mends them (https://sqlite.org/foreignkeys.html, section 4.2).
PRAGMA defer_foreign_keys = ON;
CREATE TABLE ledger_copy AS SELECT * FROM ledger;
DROP TABLE ledger;
CREATE TABLE ledger (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox       TEXT NOT NULL,
    uidvalidity   INTEGER NOT NULL,
    uid           INTEGER NOT NULL,
    internal_date TIMESTAMP NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    raw           BLOB NOT NULL,
    state         TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    attempts      INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    -- released_at: an operator released the quarantined entry
    -- (complaintd quarantine release); it is processed again from its stored bytes.
    released_at   TIMESTAMP NULL,
    CONSTRAINT ledger_key UNIQUE (mailbox, uidvalidity, uid, sha256)
);
INSERT INTO ledger (id, mailbox, uidvalidity, uid, internal_date, size, sha256, raw, state, reason, attempts, created_at, updated_at)
    SELECT id, mailbox, uidvalidity, uid, internal_date, size, sha256, raw, state, reason, attempts, created_at, updated_at
    FROM ledger_copy ORDER BY id;
DROP TABLE ledger_copy;
CREATE INDEX ledger_sha256 ON ledger (sha256);
CREATE INDEX ledger_state ON ledger (state, id);

-- +goose Down
-- The ledger keeps its wider key and released_at: narrowing the key again
-- would fail as soon as a reused UID was recorded, and the older code does
-- not read the extra column.
DROP INDEX ledger_state;
ALTER TABLE outbox DROP COLUMN claimed_by;
