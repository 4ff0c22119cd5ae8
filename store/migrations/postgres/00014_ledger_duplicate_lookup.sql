-- +goose Up
-- The ledger's duplicate check (claimEntry: the same message, by its digest,
-- already acted on in this mailbox) looks up sha256 and mailbox together.
-- With an index on sha256 alone, PostgreSQL without fresh statistics chose
-- ledger_key instead, whose leading mailbox column matches every row of
-- the mailbox: a scan that grew with the ledger (342 buffers per message at
-- 13,500 entries, 9 with this index). Both columns in one index make the
-- right choice plain whatever the statistics.
CREATE INDEX ledger_sha256_mailbox ON ledger (sha256, mailbox);
DROP INDEX ledger_sha256;

-- +goose Down
CREATE INDEX ledger_sha256 ON ledger (sha256);
DROP INDEX ledger_sha256_mailbox;
