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
    called_back_at BIGINT  NOT NULL DEFAULT 0,    -- an abandoned call returned
    ringing_id     BIGINT  NOT NULL DEFAULT 0,    -- the counsellor the PBX rings while offered (0: the station's queue)
    end_reason     TEXT    NOT NULL DEFAULT '',   -- caller_hangup, agent_hangup, timeout, failed, other
    transfer_at    BIGINT  NOT NULL DEFAULT 0,    -- the latest transfer applied: an older one delivered late only counts
    updated_at     BIGINT  NOT NULL
);
CREATE INDEX phone_calls_station ON phone_calls (station_id, offered_at);
CREATE INDEX phone_calls_state ON phone_calls (state, station_id);
CREATE INDEX phone_calls_counsellor ON phone_calls (counsellor_id, state);

-- Every event applied, so that a re-delivered one changes nothing: keyed
-- by the PBX's sequence number, or by the event's time when it sends none.
CREATE TABLE phone_call_events (
    call_id     BIGINT NOT NULL REFERENCES phone_calls(id),
    event       TEXT   NOT NULL, -- offered, answered, transferred, ended
    event_key   TEXT   NOT NULL, -- s:<sequence> or t:<microseconds>
    at          BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (call_id, event, event_key)
);

-- The PBX's agent extensions of a station, each mapped to a counsellor.
CREATE TABLE phone_agents (
    station_id BIGINT NOT NULL REFERENCES org_units(id),
    extension  TEXT   NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    set_by     BIGINT NOT NULL,
    set_at     BIGINT NOT NULL,
    PRIMARY KEY (station_id, extension)
);

-- Call recordings: the audio is a sealed file in the recordings folder
-- (see package phone), named by file_key; the row keeps what the audio is
-- and when it goes. A deleted recording keeps its row, without audio.
CREATE TABLE phone_recordings (
    id           {{ID}},
    call_id      BIGINT NOT NULL REFERENCES phone_calls(id),
    ref          TEXT   NOT NULL,        -- the PBX's id of the recording: an upload sent twice is stored once
    file_key     TEXT   NOT NULL UNIQUE,
    content_type TEXT   NOT NULL,
    bytes        BIGINT NOT NULL,
    stored_at    BIGINT NOT NULL,
    deleted_at   BIGINT NOT NULL DEFAULT 0,
    UNIQUE (call_id, ref)
);
CREATE INDEX phone_recordings_age ON phone_recordings (deleted_at, stored_at);

-- A call's screen-pop is audited the first time each counsellor is shown
-- it, not at every poll of the ringing panel.
CREATE TABLE phone_pop_views (
    call_id  BIGINT NOT NULL REFERENCES phone_calls(id),
    user_id  BIGINT NOT NULL,
    shown_at BIGINT NOT NULL,
    PRIMARY KEY (call_id, user_id)
);
