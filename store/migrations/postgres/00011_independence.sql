-- +goose Up
-- Independence and four-eyes (issue 13, R12).

-- case_concerns: who the complaint is about (#betreft). A handler named
-- here (email set) is never assigned to the case nor judges it.
CREATE TABLE case_concerns (
    case_id    BIGINT NOT NULL REFERENCES cases (id),
    name       TEXT NOT NULL,
    email      TEXT NOT NULL DEFAULT '', -- a configured handler's address, else ''
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (case_id, name)
);

-- pending_judgments: with trust.judgment_approval a judgment waits here for
-- #akkoord of a second handler; nothing of it reached the parent yet.
-- measures holds one line per measure: YYYY-MM-DD, a space, the text.
CREATE TABLE pending_judgments (
    case_id     BIGINT NOT NULL PRIMARY KEY REFERENCES cases (id),
    author      TEXT NOT NULL,
    verdict     TEXT NOT NULL,
    body        TEXT NOT NULL,
    measures    TEXT NOT NULL DEFAULT '',
    no_measures BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE pending_judgments;
DROP TABLE case_concerns;
