-- Telephony: calls reported by a PBX or cloud call centre.

CREATE TABLE phone_calls (
    id             {{ID}},
    call_ref       TEXT    NOT NULL UNIQUE,       -- the PBX's id of the call
    station_id     BIGINT  NOT NULL REFERENCES org_units(id),
    state          TEXT    NOT NULL DEFAULT 'offered', -- offered, answered, ended, abandoned
    profile_id     BIGINT  NOT NULL DEFAULT 0,    -- repeat-contacter profile of the caller's number
    counsellor_id  BIGINT  NOT NULL DEFAULT 0,
    contact_id     BIGINT  NOT NULL DEFAULT 0,
    offered_at     BIGINT  NOT NULL,
    answered_at    BIGINT  NOT NULL DEFAULT 0,
    ended_at       BIGINT  NOT NULL DEFAULT 0,
    transfers      INTEGER NOT NULL DEFAULT 0,
    called_back_at BIGINT  NOT NULL DEFAULT 0     -- an abandoned call returned
);
CREATE INDEX phone_calls_station ON phone_calls (station_id, offered_at);
