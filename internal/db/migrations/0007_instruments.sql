-- Instrument definitions an organisation imported (FHIR Questionnaire), for
-- instruments careloop does not ship (licensed ones, local ones). The newest
-- version of an id is used; older versions stay for the responses that used them.
CREATE TABLE instrument_definitions (
    id          {{ID}},
    instrument  TEXT   NOT NULL,
    version     TEXT   NOT NULL,
    fhir        TEXT   NOT NULL,
    imported_by BIGINT NOT NULL,
    imported_at BIGINT NOT NULL,
    UNIQUE (instrument, version)
);
