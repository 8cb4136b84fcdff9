-- The disclosure log: every time data about a child leaves its owning
-- unit (to the police, a hospital, civil affairs, a joint meeting): who
-- sent what to whom, why and on which basis. The record's owner sees it.
CREATE TABLE disclosures (
    id          {{ID}},
    student_id  BIGINT NOT NULL DEFAULT 0, -- 0: an anonymous child (a hotline contact)
    from_unit   BIGINT NOT NULL REFERENCES org_units(id),
    to_unit     BIGINT NOT NULL REFERENCES org_units(id),
    what        TEXT   NOT NULL, -- codes of the data sent, separated by spaces
    purpose     TEXT   NOT NULL, -- crisis, referral, meeting, ...
    basis       TEXT   NOT NULL, -- consent, agreement, emergency, law
    ref_type    TEXT   NOT NULL, -- incident, referral, meeting
    ref_id      BIGINT NOT NULL,
    actor_id    BIGINT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX disclosures_student ON disclosures (student_id, at);
CREATE INDEX disclosures_from ON disclosures (from_unit, at);
