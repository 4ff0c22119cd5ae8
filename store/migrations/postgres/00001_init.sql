-- +goose Up
-- settings holds values the daemon generates for itself, such as the reply-token secret.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- reference_counters hands out case numbers per year: KL-2026-0001, KL-2026-0002, …
CREATE TABLE reference_counters (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);

CREATE TABLE cases (
    id                BIGSERIAL PRIMARY KEY,
    reference         TEXT NOT NULL UNIQUE,
    status            TEXT NOT NULL,
    kind              TEXT NOT NULL DEFAULT 'parent',
    committee         TEXT NOT NULL DEFAULT '',
    complainant_name  TEXT NOT NULL DEFAULT '',
    complainant_email TEXT NOT NULL,
    subject           TEXT NOT NULL DEFAULT '',
    location          TEXT NOT NULL DEFAULT '',
    assignee          TEXT NOT NULL DEFAULT '',
    language          TEXT NOT NULL,
    received_at       TIMESTAMPTZ NOT NULL,
    deadline_at       TIMESTAMPTZ NOT NULL,
    deadline_exceeded BOOLEAN NOT NULL DEFAULT FALSE,
    unreachable       BOOLEAN NOT NULL DEFAULT FALSE,
    decided_at        TIMESTAMPTZ NULL,
    closed_at         TIMESTAMPTZ NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX cases_status ON cases (status, deadline_at);

CREATE TABLE participants (
    id         BIGSERIAL PRIMARY KEY,
    case_id    BIGINT NOT NULL REFERENCES cases (id),
    role       TEXT NOT NULL,
    email      TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (case_id, email)
);

-- ledger is the source of truth for inbound mail: one row per message in a
-- mailbox generation, with the raw bytes, written before it is acted on.
CREATE TABLE ledger (
    id            BIGSERIAL PRIMARY KEY,
    mailbox       TEXT NOT NULL,
    uidvalidity   BIGINT NOT NULL,
    uid           BIGINT NOT NULL,
    internal_date TIMESTAMPTZ NOT NULL,
    size          BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    raw           BYTEA NOT NULL,
    state         TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    attempts      INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (mailbox, uidvalidity, uid)
);
CREATE INDEX ledger_sha256 ON ledger (sha256);

-- outbox holds every outgoing message as the exact bytes that will be sent.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    case_id         BIGINT NULL REFERENCES cases (id),
    kind            TEXT NOT NULL,
    mail_from       TEXT NOT NULL,
    rcpt_to         TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    raw             BYTEA NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    claimed_until   TIMESTAMPTZ NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

-- messages is the case's correspondence, both directions, for threading and the timeline.
CREATE TABLE messages (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES cases (id),
    direction   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    in_reply_to TEXT NOT NULL DEFAULT '',
    refs        TEXT NOT NULL DEFAULT '',
    from_addr   TEXT NOT NULL DEFAULT '',
    to_addr     TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL DEFAULT '',
    body_sha256 TEXT NOT NULL DEFAULT '',
    full_text   TEXT NOT NULL DEFAULT '',
    new_text    TEXT NOT NULL DEFAULT '',
    attachments TEXT NOT NULL DEFAULT '',
    ledger_id   BIGINT NULL REFERENCES ledger (id),
    outbox_id   BIGINT NULL REFERENCES outbox (id),
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX messages_message_id ON messages (message_id);
CREATE INDEX messages_case ON messages (case_id);

-- events is the audit trail of every change to a case.
CREATE TABLE events (
    id      BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    at      TIMESTAMPTZ NOT NULL,
    kind    TEXT NOT NULL,
    actor   TEXT NOT NULL DEFAULT '',
    detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_case ON events (case_id, id);

-- +goose Down
DROP TABLE events;
DROP TABLE messages;
DROP TABLE outbox;
DROP TABLE ledger;
DROP TABLE participants;
DROP TABLE cases;
DROP TABLE reference_counters;
DROP TABLE settings;
