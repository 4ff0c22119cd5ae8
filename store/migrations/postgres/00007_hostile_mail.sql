-- +goose Up
-- unverified: our own receiving server recorded that the message failed
-- DMARC for its From domain (or wrote an Authentication-Results header that
-- cannot be read). It may come from anyone, and is marked so wherever it
-- is shown (issue 9).
ALTER TABLE messages ADD COLUMN unverified BOOLEAN NOT NULL DEFAULT FALSE;

-- throttled records what an amplification limit held back: a new case from a
-- sender over the limit (kind new_case, address the sender, ledger_id the
-- message, kept in the ledger) or a spoof alert to a handler (kind
-- spoof_alert, address the handler). Nothing in it is ever deleted.
CREATE TABLE throttled (
    id        BIGSERIAL PRIMARY KEY,
    kind      TEXT NOT NULL,
    address   TEXT NOT NULL,
    ledger_id BIGINT NULL REFERENCES ledger (id),
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX throttled_address ON throttled (kind, address, at);
CREATE INDEX cases_complainant ON cases (complainant_email, created_at);

-- +goose Down
DROP INDEX cases_complainant;
DROP TABLE throttled;
ALTER TABLE messages DROP COLUMN unverified;
