-- Crisis intervention (危机干预): an incident opened in seconds, a state
-- machine of timestamped, attributed steps that are never changed (a
-- correction is a new step naming the one it corrects), co-signatures for
-- sending a rescue and for closing, the guardian decision, the case review
-- (个案复盘) and the safety timer's alarms.

-- An incident. The row holds the current values (state, details as known);
-- its history is incident_steps. Location, description and call-back
-- number are sealed; the risk assessment is codes (C-SSRS-modelled).
CREATE TABLE incidents (
    id             {{ID}},
    unit_id        BIGINT NOT NULL REFERENCES org_units(id), -- the handling unit (where it was opened)
    student_id     BIGINT NOT NULL DEFAULT 0, -- 0: an anonymous child
    contact_id     BIGINT NOT NULL DEFAULT 0, -- the hotline contact an anonymous child came from
    source         TEXT   NOT NULL,           -- contact, alert, follow_up, duty
    source_id      BIGINT NOT NULL DEFAULT 0,
    state          TEXT   NOT NULL,           -- the state of the latest effective step
    pending_step   BIGINT NOT NULL DEFAULT 0, -- a step waiting for its co-signature
    handler_id     BIGINT NOT NULL REFERENCES users(id),
    opened_by      BIGINT NOT NULL REFERENCES users(id),
    opened_at      BIGINT NOT NULL,
    location       {{BLOB}},
    description    {{BLOB}},
    callback       {{BLOB}},
    risk           TEXT   NOT NULL DEFAULT '', -- ideation=.. intent=.. plan=.. means=.. timeframe=.. behaviour=..
    risk_level     TEXT   NOT NULL DEFAULT 'unknown',
    police_unit_id BIGINT NOT NULL DEFAULT 0, -- the police unit the incident was handed to
    police_ref     TEXT   NOT NULL DEFAULT '', -- the police's own incident number
    request_step   BIGINT NOT NULL DEFAULT 0, -- the effective police request whose safety timer runs
    safety_at      BIGINT NOT NULL DEFAULT 0,
    closed_at      BIGINT NOT NULL DEFAULT 0,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX incidents_unit ON incidents (unit_id, closed_at, id);
CREATE INDEX incidents_police ON incidents (police_unit_id, closed_at, id);
CREATE INDEX incidents_student ON incidents (student_id, opened_at);

-- The steps of an incident, append-only: the code never updates or
-- deletes a row. kind is state (a transition into state), details (the
-- details were updated; their new values sealed in note) or correction (of
-- the step named in corrects; void=1 undoes it when it is the latest).
-- A step with cosign=1 takes effect when its co-signature is signed.
CREATE TABLE incident_steps (
    id          {{ID}},
    incident_id BIGINT  NOT NULL REFERENCES incidents(id),
    seq         INTEGER NOT NULL, -- 1, 2, ... within the incident
    at          BIGINT  NOT NULL,
    actor_id    BIGINT  NOT NULL REFERENCES users(id),
    actor_role  TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    state       TEXT    NOT NULL DEFAULT '',
    from_state  TEXT    NOT NULL DEFAULT '',
    corrects    BIGINT  NOT NULL DEFAULT 0,
    void        INTEGER NOT NULL DEFAULT 0,
    cosign      INTEGER NOT NULL DEFAULT 0,
    detail      TEXT    NOT NULL DEFAULT '', -- codes and ids: police_unit=, police_ref=, to=, risk=, case=, ...
    note        {{BLOB}},
    UNIQUE (incident_id, seq)
);
CREATE INDEX incident_steps_corrects ON incident_steps (corrects);

-- A co-signature of a step by another person holding crisis.cosign over
-- the incident's unit, or its refusal (or withdrawal by whoever asked).
-- One decision per step.
CREATE TABLE incident_cosigns (
    id          {{ID}},
    step_id     BIGINT NOT NULL UNIQUE REFERENCES incident_steps(id),
    incident_id BIGINT NOT NULL REFERENCES incidents(id),
    signer_id   BIGINT NOT NULL REFERENCES users(id),
    decision    TEXT   NOT NULL, -- signed, declined, withdrawn
    at          BIGINT NOT NULL,
    note        {{BLOB}}
);

-- The guardian decision: notified or not, when, by whom, and why not
-- (sealed). Each decision is a new row; the latest counts.
CREATE TABLE incident_guardian (
    id          {{ID}},
    incident_id BIGINT  NOT NULL REFERENCES incidents(id),
    notified    INTEGER NOT NULL,
    notified_at BIGINT  NOT NULL DEFAULT 0,
    recorded_by BIGINT  NOT NULL REFERENCES users(id),
    recorded_at BIGINT  NOT NULL,
    why_not     {{BLOB}}
);
CREATE INDEX incident_guardian_incident ON incident_guardian (incident_id, id);

-- The case review (个案复盘), written with the step that enters reviewed.
CREATE TABLE incident_reviews (
    id             {{ID}},
    incident_id    BIGINT NOT NULL REFERENCES incidents(id),
    step_id        BIGINT NOT NULL REFERENCES incident_steps(id),
    author_id      BIGINT NOT NULL REFERENCES users(id),
    at             BIGINT NOT NULL,
    what_happened  {{BLOB}},
    what_worked    {{BLOB}},
    what_to_change {{BLOB}}
);
CREATE INDEX incident_reviews_incident ON incident_reviews (incident_id, id);

-- One round of the safety timer's alarm: unique, so that a timer that runs
-- twice alarms once.
CREATE TABLE incident_alarms (
    id           {{ID}},
    incident_id  BIGINT  NOT NULL REFERENCES incidents(id),
    request_step BIGINT  NOT NULL,
    round        INTEGER NOT NULL,
    at           BIGINT  NOT NULL,
    notified     INTEGER NOT NULL,
    UNIQUE (incident_id, request_step, round)
);
