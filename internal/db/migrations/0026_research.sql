-- Research extracts: a coordinator defines which records, which coded
-- fields and which period of a unit's subtree go to a named researcher; a
-- durable job builds the de-identified file (pseudonyms keyed per extract,
-- dates shifted per person, quasi-identifiers generalised to k people) and
-- records the extract as a disclosure. The extract key is never stored.
CREATE TABLE research_extracts (
    id              {{ID}},
    unit_id         BIGINT  NOT NULL REFERENCES org_units(id), -- the subtree the records come from
    definer_id      BIGINT  NOT NULL REFERENCES users(id),
    researcher_id   BIGINT  NOT NULL REFERENCES users(id),
    researcher_unit BIGINT  NOT NULL REFERENCES org_units(id), -- where the researcher holds research.extract
    kinds           TEXT    NOT NULL, -- record kinds separated by spaces
    fields          TEXT    NOT NULL, -- kind.field codes separated by spaces (whitelisted)
    period_from     BIGINT  NOT NULL,
    period_to       BIGINT  NOT NULL, -- exclusive
    k               INTEGER NOT NULL,
    basis           TEXT    NOT NULL, -- agreement, law
    purpose         TEXT    NOT NULL, -- the study's purpose as the definer wrote it (no personal data)
    state           TEXT    NOT NULL DEFAULT 'pending', -- pending, building, ready, failed
    progress        INTEGER NOT NULL DEFAULT 0, -- percent
    failure         TEXT    NOT NULL DEFAULT '', -- an i18n key
    persons         INTEGER NOT NULL DEFAULT 0, -- people in the output
    suppressed      INTEGER NOT NULL DEFAULT 0, -- people left out: still in a group under k
    record_count    INTEGER NOT NULL DEFAULT 0,
    generalisation  TEXT    NOT NULL DEFAULT '', -- e.g. "school=district birth=band3 grade=stage gender=kept"
    disclosure_id   BIGINT  NOT NULL DEFAULT 0,
    xlsx            {{BLOB}}, -- sealed (research_extracts:ID:xlsx)
    csv             {{BLOB}}, -- sealed (research_extracts:ID:csv)
    created_at      BIGINT  NOT NULL,
    built_at        BIGINT  NOT NULL DEFAULT 0,
    downloads       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX research_extracts_researcher ON research_extracts (researcher_id, state, id);
CREATE INDEX research_extracts_unit ON research_extracts (unit_id, id);
