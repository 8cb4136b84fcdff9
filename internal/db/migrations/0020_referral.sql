-- Referrals (转介, 医教结合): a child referred from a case, a support plan
-- or a crisis incident to a hospital or an agency, through a closed loop of
-- states kept as data. What the referral carries about the child is sealed;
-- codes, dates and units stay plain for the work lists and the metrics.
CREATE TABLE referrals (
    id              {{ID}},
    source_type     TEXT    NOT NULL, -- case, plan, incident
    source_id       BIGINT  NOT NULL, -- the case (case, plan) or the incident, as given
    plan_version    INTEGER NOT NULL DEFAULT 0, -- a plan referral: the plan's version when sent
    case_id         BIGINT  NOT NULL DEFAULT 0,
    student_id      BIGINT  NOT NULL DEFAULT 0, -- 0: a child without a record (an incident's caller)
    from_unit       BIGINT  NOT NULL REFERENCES org_units(id), -- the unit that owns the data
    to_unit         BIGINT  NOT NULL REFERENCES org_units(id), -- a hospital or an agency
    sender_id       BIGINT  NOT NULL REFERENCES users(id),
    urgency         TEXT    NOT NULL, -- routine, urgent (the fast track, 绿色通道)
    state           TEXT    NOT NULL, -- sent, accepted, appointment_set, seen, feedback_received, closed, declined
    identity        {{BLOB}} NOT NULL, -- sealed JSON: what the referral carries about the child
    reason          {{BLOB}} NOT NULL, -- sealed
    shares          TEXT    NOT NULL, -- codes of what was disclosed: identity reason guardian_contact documents
    basis           TEXT    NOT NULL, -- consent, emergency (urgent, sent before consent could be had)
    under14         INTEGER NOT NULL,
    consent_given   INTEGER NOT NULL DEFAULT 0,
    consent_by      TEXT    NOT NULL DEFAULT '', -- mother, father, guardian, self
    consent_at      BIGINT  NOT NULL DEFAULT 0,
    consent_how     TEXT    NOT NULL DEFAULT '', -- written, verbal, phone, electronic
    consent_version TEXT    NOT NULL DEFAULT '', -- the version of the consent text
    consent_detail  INTEGER NOT NULL DEFAULT 0,  -- detailed findings may be shared with the school
    sent_at         BIGINT  NOT NULL,
    accepted_at     BIGINT  NOT NULL DEFAULT 0,
    appointment_at  BIGINT  NOT NULL DEFAULT 0, -- the appointment's date and time
    seen_at         BIGINT  NOT NULL DEFAULT 0,
    feedback_at     BIGINT  NOT NULL DEFAULT 0, -- the first feedback
    closed_at       BIGINT  NOT NULL DEFAULT 0, -- closed or declined
    decline_reason  TEXT    NOT NULL DEFAULT '',
    close_reason    TEXT    NOT NULL DEFAULT '',
    due_step        TEXT    NOT NULL DEFAULT '', -- the step awaited: accept, appointment, feedback, or ''
    due_at          BIGINT  NOT NULL DEFAULT 0,
    esc_level       INTEGER NOT NULL DEFAULT 0, -- escalations of the awaited step so far
    chain_step      INTEGER NOT NULL DEFAULT 0, -- the escalation chain's step reached (warning.Step*)
    seq             INTEGER NOT NULL DEFAULT 0  -- the timer generation: an older timer does nothing
);
CREATE INDEX referrals_to ON referrals (to_unit, state, id);
CREATE INDEX referrals_from ON referrals (from_unit, sent_at);
CREATE INDEX referrals_sender ON referrals (sender_id, state, id);
CREATE INDEX referrals_due ON referrals (due_at) WHERE due_step <> '';
CREATE INDEX referrals_student ON referrals (student_id, sent_at);

-- Every step of a referral: timestamped, attributed, never changed.
CREATE TABLE referral_events (
    id          {{ID}},
    referral_id BIGINT NOT NULL REFERENCES referrals(id),
    at          BIGINT NOT NULL,
    actor_id    BIGINT NOT NULL,
    actor_unit  BIGINT NOT NULL,
    kind        TEXT   NOT NULL, -- sent, accepted, declined, appointment_set, seen, feedback, closed, consent, detail_withdrawn, documents, return_plan
    from_state  TEXT   NOT NULL,
    to_state    TEXT   NOT NULL,
    detail      TEXT   NOT NULL DEFAULT '', -- codes and dates
    note        {{BLOB}}                   -- sealed: a decline's or a closing's explanation
);
CREATE INDEX referral_events_referral ON referral_events (referral_id, at);

-- Documents sent with a referral: sealed in the database, so that a
-- document, its disclosure and its audit entry commit together.
CREATE TABLE referral_documents (
    id           {{ID}},
    referral_id  BIGINT NOT NULL REFERENCES referrals(id),
    name         {{BLOB}} NOT NULL, -- sealed: a file name may hold the child's name
    content_type TEXT   NOT NULL,
    bytes        BIGINT NOT NULL,
    body         {{BLOB}} NOT NULL, -- sealed
    added_by     BIGINT NOT NULL,
    added_at     BIGINT NOT NULL
);
CREATE INDEX referral_documents_referral ON referral_documents (referral_id, id);

-- What the hospital returns: recommendations for the school (always shown
-- to the sender), a detailed note (only with consent to detailed sharing),
-- and after a hospital stay the return-to-school assessment and plan.
CREATE TABLE referral_feedback (
    id              {{ID}},
    referral_id     BIGINT  NOT NULL REFERENCES referrals(id),
    at              BIGINT  NOT NULL,
    author_id       BIGINT  NOT NULL,
    recommendations {{BLOB}} NOT NULL, -- sealed
    detail          {{BLOB}},          -- sealed
    hospital_stay   INTEGER NOT NULL DEFAULT 0,
    return_at       BIGINT  NOT NULL DEFAULT 0,
    return_plan     {{BLOB}},          -- sealed
    adopted_at      BIGINT  NOT NULL DEFAULT 0, -- the return plan went into the support plan
    adopted_by      BIGINT  NOT NULL DEFAULT 0,
    case_id         BIGINT  NOT NULL DEFAULT 0,
    plan_version    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX referral_feedback_referral ON referral_feedback (referral_id, at);

-- How long each step may take, per urgency (set by the city), and how
-- often an overdue step is escalated again.
CREATE TABLE referral_deadlines (
    urgency             TEXT    PRIMARY KEY,
    accept_minutes      INTEGER NOT NULL, -- from sending
    appointment_minutes INTEGER NOT NULL, -- from acceptance
    feedback_minutes    INTEGER NOT NULL, -- from the visit (the appointment, or when seen)
    repeat_minutes      INTEGER NOT NULL  -- between escalations
);
INSERT INTO referral_deadlines (urgency, accept_minutes, appointment_minutes, feedback_minutes, repeat_minutes) VALUES
    ('urgent', 240, 1440, 20160, 120), ('routine', 2880, 20160, 43200, 1440);

-- A passed deadline, escalated once per timer generation.
CREATE TABLE referral_escalations (
    id          {{ID}},
    referral_id BIGINT  NOT NULL REFERENCES referrals(id),
    seq         INTEGER NOT NULL,
    step        TEXT    NOT NULL, -- accept, appointment, feedback
    level       INTEGER NOT NULL, -- 1: the sender; 2 and up: the chain above
    due_at      BIGINT  NOT NULL,
    at          BIGINT  NOT NULL,
    to_user_id  BIGINT  NOT NULL,
    UNIQUE (referral_id, seq)
);
CREATE INDEX referral_escalations_to ON referral_escalations (to_user_id, referral_id);
