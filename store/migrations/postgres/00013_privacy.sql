-- +goose Up
-- Privacy that runs itself (issue 13, complaint-law.md section 6, R13, R20).

-- ledger.anonymised_at: retention or erasure replaced the message's raw
-- bytes (its key, digest, size and state stay: the ledger still knows the
-- message was acted on, so it is never processed again). Such an entry is
-- never released from quarantine nor read again.
ALTER TABLE ledger ADD COLUMN anonymised_at TIMESTAMPTZ NULL;

-- ledger.case_id: the case a message was acted on for, also when it is not
-- kept as one of the case's messages (a manager's refused request, a forged
-- reply token, an auto-reply): anonymising the case empties every one of
-- them. Filled for earlier messages from the case's messages.
ALTER TABLE ledger ADD COLUMN case_id BIGINT NULL;
UPDATE ledger SET case_id = (SELECT MIN(m.case_id) FROM messages m WHERE m.ledger_id = ledger.id)
    WHERE case_id IS NULL;
CREATE INDEX ledger_case ON ledger (case_id);

-- privacy_requests: a person asked what is held about them (AVG art. 15,
-- kind 'access') or to be forgotten (art. 17, kind 'erasure'). The answer is
-- due one month after received_on (art. 12(3)); the request is in the
-- managers' digest until done_at is set (complaintd privacy done).
CREATE TABLE privacy_requests (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL,
    email       TEXT NOT NULL,
    received_on TEXT NOT NULL, -- YYYY-MM-DD in the organisation's time zone
    due_on      TEXT NOT NULL, -- YYYY-MM-DD: received_on plus one month
    note        TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    done_at     TIMESTAMPTZ NULL,
    done_by     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX privacy_requests_open ON privacy_requests (done_at, due_on);

-- access_log: who looked at case content through the command line, and when
-- (Wko 1.57d confidentiality, R13). os_user is the operating-system account
-- that ran the command. case_id, ledger_id or request_id names what was shown;
-- all NULL for a list of several cases.
CREATE TABLE access_log (
    id         BIGSERIAL PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    os_user    TEXT NOT NULL,
    command    TEXT NOT NULL,
    case_id    BIGINT NULL REFERENCES cases (id),
    ledger_id  BIGINT NULL REFERENCES ledger (id),
    request_id BIGINT NULL REFERENCES privacy_requests (id)
);
CREATE INDEX access_log_case ON access_log (case_id, id);

-- +goose Down
DROP TABLE access_log;
DROP TABLE privacy_requests;
DROP INDEX ledger_case;
ALTER TABLE ledger DROP COLUMN case_id;
ALTER TABLE ledger DROP COLUMN anonymised_at;
