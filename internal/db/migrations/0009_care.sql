-- Care (一生一策, 跟踪辅导, 个辅/团辅, 研判): cases with versioned support
-- plans, follow-ups, counselling, risk reviews and the tasks they decide.

-- One open case per student (the partial unique index); a closed case can
-- be reopened and keeps its history.
CREATE TABLE cases (
    id            {{ID}},
    student_id    BIGINT  NOT NULL REFERENCES students(id),
    state         TEXT    NOT NULL DEFAULT 'open', -- open, closed
    owner_user_id BIGINT  NOT NULL REFERENCES users(id),
    opened_at     BIGINT  NOT NULL,
    opened_by     BIGINT  NOT NULL,
    closed_at     BIGINT  NOT NULL DEFAULT 0,
    closed_by     BIGINT  NOT NULL DEFAULT 0,
    signed_off_by BIGINT  NOT NULL DEFAULT 0,
    close_reason  TEXT    NOT NULL DEFAULT '', -- improved, moved_away, graduated, referred_out, other
    close_note    {{BLOB}},
    reopened      INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX cases_one_open ON cases (student_id) WHERE state = 'open';
CREATE INDEX cases_owner ON cases (owner_user_id, state, id);

CREATE TABLE case_events (
    id       {{ID}},
    case_id  BIGINT NOT NULL REFERENCES cases(id),
    at       BIGINT NOT NULL,
    actor_id BIGINT NOT NULL,
    kind     TEXT   NOT NULL, -- opened, alert_joined, plan, follow_up, closed, reopened
    detail   TEXT   NOT NULL DEFAULT ''
);
CREATE INDEX case_events_case ON case_events (case_id, at);

-- Support plan versions: a change writes a new version, the old stays.
CREATE TABLE support_plans (
    id             {{ID}},
    case_id        BIGINT  NOT NULL REFERENCES cases(id),
    version        INTEGER NOT NULL,
    body           {{BLOB}} NOT NULL, -- sealed JSON: concern summary, goals, measures' notes
    frequency      TEXT    NOT NULL,  -- counselling frequency: weekly, fortnightly, monthly
    measures       TEXT    NOT NULL DEFAULT '', -- codes: teacher_attention family_contact referral ...
    responsible    TEXT    NOT NULL DEFAULT '', -- user ids separated by spaces
    next_review_at BIGINT  NOT NULL,
    author_id      BIGINT  NOT NULL,
    created_at     BIGINT  NOT NULL,
    UNIQUE (case_id, version)
);
CREATE INDEX support_plans_review ON support_plans (next_review_at);

-- Follow-ups: planned contacts with the student, family or teacher.
CREATE TABLE follow_ups (
    id          {{ID}},
    case_id     BIGINT  NOT NULL REFERENCES cases(id),
    student_id  BIGINT  NOT NULL REFERENCES students(id),
    owner_id    BIGINT  NOT NULL REFERENCES users(id),
    kind        TEXT    NOT NULL, -- student, family, teacher
    due_at      BIGINT  NOT NULL,
    done_at     BIGINT  NOT NULL DEFAULT 0,
    done_by     BIGINT  NOT NULL DEFAULT 0,
    notes       {{BLOB}},
    tier_change TEXT    NOT NULL DEFAULT '', -- the tier after this contact, if changed
    step        INTEGER NOT NULL DEFAULT 0,
    seq         INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX follow_ups_owner ON follow_ups (owner_id, done_at, due_at, id);
CREATE INDEX follow_ups_case ON follow_ups (case_id, due_at);

-- Counselling appointments on a counsellor's calendar.
CREATE TABLE appointments (
    id            {{ID}},
    counsellor_id BIGINT NOT NULL REFERENCES users(id),
    student_id    BIGINT NOT NULL DEFAULT 0,
    org_unit_id   BIGINT NOT NULL REFERENCES org_units(id),
    requested_by  TEXT   NOT NULL, -- staff, student, parent
    starts_at     BIGINT NOT NULL,
    minutes       INTEGER NOT NULL,
    state         TEXT   NOT NULL DEFAULT 'requested', -- requested, confirmed, done, cancelled
    created_at    BIGINT NOT NULL
);
CREATE INDEX appointments_counsellor ON appointments (counsellor_id, starts_at);

-- Counselling sessions: individual (notes sealed) or group (topic and
-- attendance). Person-times are attendance rows; people are distinct students.
CREATE TABLE counselling_sessions (
    id            {{ID}},
    kind          TEXT    NOT NULL, -- individual, group
    counsellor_id BIGINT  NOT NULL REFERENCES users(id),
    org_unit_id   BIGINT  NOT NULL REFERENCES org_units(id),
    case_id       BIGINT  NOT NULL DEFAULT 0,
    held_at       BIGINT  NOT NULL,
    minutes       INTEGER NOT NULL,
    topic         TEXT    NOT NULL DEFAULT '',
    notes         {{BLOB}},
    created_at    BIGINT  NOT NULL
);
CREATE INDEX counselling_sessions_unit ON counselling_sessions (org_unit_id, held_at);

CREATE TABLE session_attendance (
    session_id BIGINT NOT NULL REFERENCES counselling_sessions(id),
    student_id BIGINT NOT NULL REFERENCES students(id),
    PRIMARY KEY (session_id, student_id)
);

-- Risk reviews (心理安全定期研判) and case reviews (个案复盘).
CREATE TABLE risk_reviews (
    id          {{ID}},
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    kind        TEXT   NOT NULL, -- regular, case_review
    held_at     BIGINT NOT NULL,
    attendees   TEXT   NOT NULL DEFAULT '', -- user ids separated by spaces
    minutes     {{BLOB}},
    created_by  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX risk_reviews_unit ON risk_reviews (org_unit_id, held_at);

CREATE TABLE review_decisions (
    id         {{ID}},
    review_id  BIGINT NOT NULL REFERENCES risk_reviews(id),
    student_id BIGINT NOT NULL REFERENCES students(id),
    decision   TEXT   NOT NULL, -- keep, tier_change, plan_change, referral, close
    new_tier   TEXT   NOT NULL DEFAULT '',
    UNIQUE (review_id, student_id)
);

-- Tasks a review decided, with an owner and a date; they show on work lists.
CREATE TABLE tasks (
    id          {{ID}},
    review_id   BIGINT NOT NULL DEFAULT 0,
    student_id  BIGINT NOT NULL REFERENCES students(id),
    kind        TEXT   NOT NULL, -- the decision it carries out
    owner_id    BIGINT NOT NULL REFERENCES users(id),
    due_at      BIGINT NOT NULL,
    done_at     BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);
CREATE INDEX tasks_owner ON tasks (owner_id, done_at, due_at, id);
