-- +goose Up
-- The record the law asks for (issue 13). Shared by the commands that fill
-- it (#oordeel, #categorie, #klachtenloket, #geschillencommissie, #uitspraak,
-- #verslag), the annual report that reads it, and retention, which empties
-- a case but keeps what the report counts.

-- verdict: what the judgment decided (R8): 'gegrond', 'deels-gegrond',
-- 'ongegrond', or '' before a judgment.
ALTER TABLE cases ADD COLUMN verdict TEXT NOT NULL DEFAULT '';
-- report_line: the handler's own line for the annual report (#verslag), the
-- only free text the report ever shows.
ALTER TABLE cases ADD COLUMN report_line TEXT NOT NULL DEFAULT '';
-- anonymised_at: retention or erasure replaced the case's personal data;
-- the statistics the report needs are kept.
ALTER TABLE cases ADD COLUMN anonymised_at TIMESTAMPTZ NULL;

-- case_categories: what the complaint is about (2.8 c), from the configured
-- list; a case may have several.
CREATE TABLE case_categories (
    case_id    BIGINT NOT NULL REFERENCES cases (id),
    category   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (case_id, category)
);

-- escalations: the parent went to the Klachtenloket Kinderopvang or filed
-- at the Geschillencommissie (R14). Dates are YYYY-MM-DD in the
-- organisation's time zone; outcome is '' while open, else 'gegrond',
-- 'ongegrond' or 'schikking'.
CREATE TABLE escalations (
    id         BIGSERIAL PRIMARY KEY,
    case_id    BIGINT NOT NULL REFERENCES cases (id),
    body       TEXT NOT NULL, -- 'klachtenloket' | 'geschillencommissie'
    filed_on   TEXT NOT NULL,
    reference  TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    outcome    TEXT NOT NULL DEFAULT '',
    outcome_on TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX escalations_case ON escalations (case_id);

-- report_confirmations: a manager confirmed the annual complaints report of
-- a year was sent to the GGD (#verslag-verzonden, art. 1.57b(4)); location ''
-- is the organisation's report. Retention waits for it.
CREATE TABLE report_confirmations (
    year         INTEGER NOT NULL,
    location     TEXT NOT NULL DEFAULT '',
    sent_on      TEXT NOT NULL, -- YYYY-MM-DD in the organisation's time zone
    confirmed_by TEXT NOT NULL,
    confirmed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (year, location)
);

-- +goose Down
DROP TABLE report_confirmations;
DROP TABLE escalations;
DROP TABLE case_categories;
ALTER TABLE cases DROP COLUMN anonymised_at;
ALTER TABLE cases DROP COLUMN report_line;
ALTER TABLE cases DROP COLUMN verdict;
