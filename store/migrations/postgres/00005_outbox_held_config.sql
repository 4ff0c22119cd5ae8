-- +goose Up
-- held_config is set on mail held because our own mail server refused it
-- (the transaction, our authentication, relay, the connection: issue 8). It
-- names the SMTP configuration the refusal happened under, as a keyed hash
-- (no secret is stored), so that a daemon started with a different
-- configuration sends the mail again. '' for every other row, including mail
-- held back by the loop breaker, which a new configuration does not release.
ALTER TABLE outbox ADD COLUMN held_config TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE outbox DROP COLUMN held_config;
