-- Lawful sharing across agencies: consent records, sharing agreements,
-- emergency access (break the glass) and joint meetings (联席会议). The
-- disclosure log itself is 0019_disclosures.sql.

-- Consent records (PIPL art. 13, 29, 31): a guardian's consent, the
-- separate consent for sensitive personal information, and a child's own
-- consent at 14 or older. A withdrawal takes effect at once.
CREATE TABLE consent_records (
    id              {{ID}},
    student_id      BIGINT NOT NULL REFERENCES students(id),
    kind            TEXT   NOT NULL, -- guardian, sensitive, child
    scope           TEXT   NOT NULL, -- codes separated by spaces: screening referral share_police ...
    text_version    TEXT   NOT NULL, -- the version of the consent text shown
    given_by_name   {{BLOB}},        -- sealed: the guardian's name ('' for the child)
    relation        TEXT   NOT NULL, -- mother, father, ..., or self
    given_at        BIGINT NOT NULL,
    method          TEXT   NOT NULL, -- paper, online, verbal_witnessed
    recorded_by     BIGINT NOT NULL REFERENCES users(id),
    recorded_at     BIGINT NOT NULL,
    withdrawn_at    BIGINT NOT NULL DEFAULT 0,
    withdrawn_by    TEXT   NOT NULL DEFAULT '', -- who withdrew it: a relation, or self
    withdrawn_rec   BIGINT NOT NULL DEFAULT 0    -- the user who recorded the withdrawal
);
CREATE INDEX consent_records_student ON consent_records (student_id, withdrawn_at);

-- Sharing agreements between units (信息互通机制), kept by the from-unit.
CREATE TABLE sharing_agreements (
    id           {{ID}},
    from_unit    BIGINT NOT NULL REFERENCES org_units(id),
    to_unit      BIGINT NOT NULL REFERENCES org_units(id),
    data         TEXT   NOT NULL, -- codes of the data covered, separated by spaces
    purpose      TEXT   NOT NULL, -- crisis, referral, meeting, ...
    legal_basis  TEXT   NOT NULL, -- code: legal_duty, vital_interests, public_duty, consent
    legal_ref    TEXT   NOT NULL DEFAULT '', -- the article of law relied on
    valid_from   BIGINT NOT NULL,
    valid_to     BIGINT NOT NULL,
    document_ref TEXT   NOT NULL DEFAULT '', -- reference of the signed document
    created_by   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    ended_at     BIGINT NOT NULL DEFAULT 0,
    ended_by     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sharing_agreements_from ON sharing_agreements (from_unit, valid_to);
CREATE INDEX sharing_agreements_to ON sharing_agreements (to_unit, valid_to);

-- Emergency access (break the glass): one user, one student, a sealed
-- reason, a time limit. Reads go through the grant, never around it.
CREATE TABLE emergency_grants (
    id            {{ID}},
    user_id       BIGINT  NOT NULL REFERENCES users(id),
    org_unit_id   BIGINT  NOT NULL REFERENCES org_units(id), -- the unit of the role used
    role          TEXT    NOT NULL,
    student_id    BIGINT  NOT NULL REFERENCES students(id),
    reason        {{BLOB}} NOT NULL, -- sealed
    life_exception INTEGER NOT NULL DEFAULT 0, -- acting without consent to protect a life
    task_id       BIGINT  NOT NULL DEFAULT 0,  -- the task to inform the guardian or child afterwards
    started_at    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    ended_at      BIGINT  NOT NULL DEFAULT 0,
    end_kind      TEXT    NOT NULL DEFAULT '', -- ended, expired
    reads         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX emergency_grants_user ON emergency_grants (user_id, started_at);
CREATE INDEX emergency_grants_student ON emergency_grants (student_id, started_at);

-- Who was alerted of a grant, and so may review it.
CREATE TABLE emergency_watchers (
    grant_id BIGINT NOT NULL REFERENCES emergency_grants(id),
    user_id  BIGINT NOT NULL REFERENCES users(id),
    why      TEXT   NOT NULL, -- supervisor, school_leader
    PRIMARY KEY (grant_id, user_id)
);
CREATE INDEX emergency_watchers_user ON emergency_watchers (user_id);

-- Joint meetings of agencies (联席会议).
CREATE TABLE joint_meetings (
    id             {{ID}},
    convening_unit BIGINT NOT NULL REFERENCES org_units(id),
    title          TEXT   NOT NULL,
    held_at        BIGINT NOT NULL,
    decisions      {{BLOB}}, -- sealed
    created_by     BIGINT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX joint_meetings_unit ON joint_meetings (convening_unit, held_at);

CREATE TABLE meeting_members (
    meeting_id  BIGINT NOT NULL REFERENCES joint_meetings(id),
    org_unit_id BIGINT NOT NULL REFERENCES org_units(id),
    attendance  TEXT   NOT NULL DEFAULT '', -- '', attended, absent
    PRIMARY KEY (meeting_id, org_unit_id)
);
CREATE INDEX meeting_members_unit ON meeting_members (org_unit_id);

-- Agenda items; one that names a student presents the child's case, and
-- records a disclosure to each member unit.
CREATE TABLE meeting_items (
    id          {{ID}},
    meeting_id  BIGINT NOT NULL REFERENCES joint_meetings(id),
    position    INTEGER NOT NULL,
    body        {{BLOB}} NOT NULL, -- sealed
    student_id  BIGINT NOT NULL DEFAULT 0,
    basis       TEXT   NOT NULL DEFAULT '',
    created_by  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX meeting_items_meeting ON meeting_items (meeting_id, position);

-- Action items, each with an owner, an owning unit and a due date,
-- tracked to done.
CREATE TABLE meeting_actions (
    id          {{ID}},
    meeting_id  BIGINT NOT NULL REFERENCES joint_meetings(id),
    body        {{BLOB}} NOT NULL, -- sealed
    owner_id    BIGINT NOT NULL REFERENCES users(id),
    owning_unit BIGINT NOT NULL REFERENCES org_units(id),
    due_at      BIGINT NOT NULL,
    done_at     BIGINT NOT NULL DEFAULT 0,
    done_by     BIGINT NOT NULL DEFAULT 0,
    done_note   {{BLOB}}, -- sealed
    created_at  BIGINT NOT NULL
);
CREATE INDEX meeting_actions_meeting ON meeting_actions (meeting_id, id);
CREATE INDEX meeting_actions_owner ON meeting_actions (owner_id, done_at, due_at);
CREATE INDEX meeting_actions_due ON meeting_actions (done_at, due_at);
