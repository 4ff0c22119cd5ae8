-- +goose Up
-- claimed_by names the session of the daemon that claimed an outbox row
-- (state 'sending'): its claim is void as soon as that session is gone,
-- instead of after a fixed lease.
ALTER TABLE outbox ADD COLUMN claimed_by BIGINT NULL;

-- A server may hand out a UID again under the same UIDVALIDITY (a mailbox
-- restored from backup, a rebuilt uid list). The same key with other bytes
-- is another message: the bytes' digest is part of the key.
ALTER TABLE ledger DROP CONSTRAINT ledger_mailbox_uidvalidity_uid_key;
ALTER TABLE ledger ADD CONSTRAINT ledger_key UNIQUE (mailbox, uidvalidity, uid, sha256);

-- released_at: an operator released the quarantined entry
-- (complaintd quarantine release); it is processed again from its stored bytes.
ALTER TABLE ledger ADD COLUMN released_at TIMESTAMPTZ NULL;
CREATE INDEX ledger_state ON ledger (state, id);

-- +goose Down
DROP INDEX ledger_state;
ALTER TABLE ledger DROP COLUMN released_at;
ALTER TABLE ledger DROP CONSTRAINT ledger_key;
ALTER TABLE ledger ADD CONSTRAINT ledger_mailbox_uidvalidity_uid_key UNIQUE (mailbox, uidvalidity, uid);
ALTER TABLE outbox DROP COLUMN claimed_by;
