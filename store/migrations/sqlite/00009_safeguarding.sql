-- +goose Up
-- safeguarding: a handler marked the case as touching a child's safety
-- (#veiligheid; the meldcode may apply). Managers see it in their digest
-- (issue 11).
ALTER TABLE cases ADD COLUMN safeguarding BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE cases DROP COLUMN safeguarding;
