-- Screening campaigns (全员心理筛查): a battery of instruments for target
-- schools, grades and classes in a time window, with a consent rule.
CREATE TABLE campaigns (
    id            {{ID}},
    org_unit_id   BIGINT  NOT NULL REFERENCES org_units(id), -- the owner: a district centre or a school
    name          TEXT    NOT NULL,
    instruments   TEXT    NOT NULL,   -- the battery: instrument ids separated by spaces, in order
    starts_at     BIGINT  NOT NULL,
    ends_at       BIGINT  NOT NULL,
    consent_rule  TEXT    NOT NULL,   -- under14 (guardian consent needed under 14), all, none
    consent_text  TEXT    NOT NULL DEFAULT '', -- version of the consent text shown to guardians
    status        TEXT    NOT NULL DEFAULT 'open',
    created_by    BIGINT  NOT NULL,
    created_at    BIGINT  NOT NULL
);

CREATE TABLE campaign_targets (
    id          {{ID}},
    campaign_id BIGINT  NOT NULL REFERENCES campaigns(id),
    school_id   BIGINT  NOT NULL REFERENCES org_units(id),
    grade       INTEGER NOT NULL DEFAULT 0,   -- 0: every grade
    class_name  TEXT    NOT NULL DEFAULT ''   -- '': every class
);
CREATE INDEX campaign_targets_campaign ON campaign_targets (campaign_id);

-- The students a campaign invites, with their one-time access code (looked
-- up by hash, kept sealed only to print slips) and their progress.
CREATE TABLE campaign_students (
    id           {{ID}},
    campaign_id  BIGINT NOT NULL REFERENCES campaigns(id),
    student_id   BIGINT NOT NULL REFERENCES students(id),
    code_hash    TEXT   NOT NULL UNIQUE,
    code_sealed  {{BLOB}} NOT NULL,
    code_used_at BIGINT NOT NULL DEFAULT 0,
    state        TEXT   NOT NULL DEFAULT 'invited', -- invited, started, completed
    attempt      INTEGER NOT NULL DEFAULT 1,        -- 2, 3...: re-screening offered after an invalid response
    started_at   BIGINT NOT NULL DEFAULT 0,
    completed_at BIGINT NOT NULL DEFAULT 0,
    UNIQUE (campaign_id, student_id)
);
CREATE INDEX campaign_students_student ON campaign_students (student_id);

-- Guardian consent per student and campaign: who, when, which text, how.
-- Rows are never changed; a withdrawal is a new row.
CREATE TABLE consents (
    id           {{ID}},
    campaign_id  BIGINT NOT NULL REFERENCES campaigns(id),
    student_id   BIGINT NOT NULL REFERENCES students(id),
    decision     TEXT   NOT NULL, -- given, refused, withdrawn
    given_by     TEXT   NOT NULL,
    relation     TEXT   NOT NULL,
    method       TEXT   NOT NULL, -- paper, online, phone, in_person
    text_version TEXT   NOT NULL,
    at           BIGINT NOT NULL,
    recorded_by  BIGINT NOT NULL
);
CREATE INDEX consents_campaign_student ON consents (campaign_id, student_id, at);

-- A respondent's short-lived session after a code or number check.
CREATE TABLE respondent_sessions (
    id          {{ID}},
    token_hash  TEXT   NOT NULL UNIQUE,
    campaign_id BIGINT NOT NULL REFERENCES campaigns(id),
    student_id  BIGINT NOT NULL REFERENCES students(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

-- Answers saved as the child goes (sealed), so a closed tab resumes.
CREATE TABLE response_drafts (
    id          {{ID}},
    campaign_id BIGINT   NOT NULL REFERENCES campaigns(id),
    student_id  BIGINT   NOT NULL REFERENCES students(id),
    answers     {{BLOB}} NOT NULL,
    updated_at  BIGINT   NOT NULL,
    UNIQUE (campaign_id, student_id)
);

-- One submitted response per instrument: sealed answers, plain scores for
-- statistics, validity flags. idempotency_key makes a retry harmless.
CREATE TABLE responses (
    id                 {{ID}},
    campaign_id        BIGINT   NOT NULL REFERENCES campaigns(id),
    student_id         BIGINT   NOT NULL REFERENCES students(id),
    instrument_id      TEXT     NOT NULL,
    instrument_version TEXT     NOT NULL,
    answers            {{BLOB}} NOT NULL,
    total              INTEGER  NOT NULL,
    band               TEXT     NOT NULL DEFAULT '',
    tier               TEXT     NOT NULL DEFAULT '',
    subscales          TEXT     NOT NULL DEFAULT '', -- "id=score id=score"
    critical           INTEGER  NOT NULL DEFAULT 0,
    flags              TEXT     NOT NULL DEFAULT '', -- validity flag codes separated by spaces
    elapsed_ms         BIGINT   NOT NULL,
    submitted_at       BIGINT   NOT NULL,
    idempotency_key    TEXT     NOT NULL,
    attempt            INTEGER  NOT NULL DEFAULT 1,
    UNIQUE (campaign_id, student_id, instrument_id, attempt)
);
CREATE INDEX responses_student ON responses (student_id, submitted_at);
CREATE UNIQUE INDEX responses_idempotency ON responses (student_id, idempotency_key, instrument_id);

-- The student's current tier (分层): the latest screening's verdict.
CREATE TABLE student_tiers (
    student_id  BIGINT  PRIMARY KEY REFERENCES students(id),
    tier        TEXT    NOT NULL,  -- green, yellow, orange, red
    critical    INTEGER NOT NULL DEFAULT 0, -- marked for immediate attention
    campaign_id BIGINT  NOT NULL,
    at          BIGINT  NOT NULL
);

-- Durable events for later steps of the loop (the early-warning issue
-- consumes "screening.completed"), written in the same transaction.
CREATE TABLE outbox (
    id          {{ID}},
    kind        TEXT   NOT NULL,
    student_id  BIGINT NOT NULL DEFAULT 0,
    ref_id      BIGINT NOT NULL DEFAULT 0,
    payload     TEXT   NOT NULL DEFAULT '', -- ids and codes only
    created_at  BIGINT NOT NULL,
    consumed_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX outbox_pending ON outbox (consumed_at, id);
CREATE INDEX outbox_student ON outbox (student_id, kind, ref_id);
