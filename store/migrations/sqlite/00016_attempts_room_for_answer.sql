-- +goose Up
-- Nothing to do on SQLite: PostgreSQL's 00016 leaves room on the pages of
-- outbox_attempts for an attempt's answer, which SQLite does not need. The
-- file keeps both dialects' migration numbers equal (store/schema_test.go).
SELECT 1;

-- +goose Down
SELECT 1;
