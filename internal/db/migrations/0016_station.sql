-- The running of a hotline station: supervision (督导) of finished
-- contacts. The roster reuses duty_shifts (0008); call-backs use the
-- called_back_at columns of conversations (0012) and phone_calls (0014).

-- A supervisor's review of one finished contact against the rubric
-- (internal/hotline/station/rubric.json). A contact is reviewed once.
CREATE TABLE supervision_reviews (
    id            {{ID}},
    contact_id    BIGINT NOT NULL UNIQUE REFERENCES contacts(id),
    station_id    BIGINT NOT NULL REFERENCES org_units(id), -- the contact's station
    counsellor_id BIGINT NOT NULL REFERENCES users(id),     -- who held the contact when it was finalised
    reviewer_id   BIGINT NOT NULL REFERENCES users(id),
    rubric        TEXT   NOT NULL,  -- the rubric's version
    scores        TEXT   NOT NULL,  -- criterion=score separated by spaces
    comment       {{BLOB}},         -- sealed
    reviewed_at   BIGINT NOT NULL
);
CREATE INDEX supervision_reviews_counsellor ON supervision_reviews (counsellor_id, reviewed_at);
CREATE INDEX supervision_reviews_station ON supervision_reviews (station_id, reviewed_at);

-- A debrief after a high-risk contact: the supervisor and the counsellor
-- went through it together. One per contact.
CREATE TABLE contact_debriefs (
    id            {{ID}},
    contact_id    BIGINT NOT NULL UNIQUE REFERENCES contacts(id),
    station_id    BIGINT NOT NULL REFERENCES org_units(id),
    counsellor_id BIGINT NOT NULL REFERENCES users(id),
    supervisor_id BIGINT NOT NULL REFERENCES users(id),
    note          {{BLOB}},         -- sealed
    held_at       BIGINT NOT NULL
);
CREATE INDEX contact_debriefs_counsellor ON contact_debriefs (counsellor_id, held_at);

-- Finished high-risk contacts waiting for a debrief are found by level.
CREATE INDEX contacts_risk ON contacts (risk_level, state, finalised_at);
