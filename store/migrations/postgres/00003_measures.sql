-- +goose Up
-- measures are what a judgment promises, each with the date by which it
-- will be realised (Wko 1.57b(2)(f)).
CREATE TABLE measures (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES cases (id),
    description TEXT NOT NULL,
    due_date    TEXT NOT NULL, -- YYYY-MM-DD in the organisation's time zone
    created_at  TIMESTAMPTZ NOT NULL,
    done_at     TIMESTAMPTZ NULL
);
CREATE INDEX measures_case ON measures (case_id);
CREATE INDEX measures_due ON measures (done_at, due_date);

-- +goose Down
DROP TABLE measures;
