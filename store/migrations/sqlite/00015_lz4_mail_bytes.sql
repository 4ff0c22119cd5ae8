-- +goose Up
-- Nothing to do on SQLite: PostgreSQL's 00015 chooses how it compresses mail
-- bytes, which SQLite does not do. The file keeps both dialects' migration
-- numbers equal (store/schema_test.go).
SELECT 1;

-- +goose Down
SELECT 1;
