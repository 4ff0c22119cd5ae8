-- +goose Up
-- automatic: sent on our own initiative (Auto-Submitted), so subject to the
-- loop breaker; mail a person wrote (a handler's answer, a judgment) is not.
ALTER TABLE outbox ADD COLUMN automatic BOOLEAN NOT NULL DEFAULT TRUE;
CREATE INDEX outbox_recipient ON outbox (rcpt_to, created_at);
CREATE INDEX outbox_case_time ON outbox (case_id, created_at);

-- +goose Down
DROP INDEX outbox_case_time;
DROP INDEX outbox_recipient;
ALTER TABLE outbox DROP COLUMN automatic;
