-- Live conversations (web chat and WeChat): one queue ordered by risk,
-- then waiting time; messages durable before they are shown as sent.

CREATE TABLE conversations (
    id             {{ID}},
    station_id     BIGINT  NOT NULL REFERENCES org_units(id),
    channel        TEXT    NOT NULL,            -- web_chat, wechat
    urgency        TEXT    NOT NULL DEFAULT '', -- the child's answer before starting: now, today, later
    risk           INTEGER NOT NULL DEFAULT 0,  -- queue priority: 0 none, 1 urgent, 2 risk expression, 3 both
    flags          TEXT    NOT NULL DEFAULT '', -- lexicon categories matched, separated by spaces
    state          TEXT    NOT NULL DEFAULT 'waiting', -- waiting, active, ended, abandoned
    visitor_hash   TEXT    NOT NULL,            -- keyed hash of the child's token or WeChat id
    profile_id     BIGINT  NOT NULL DEFAULT 0,  -- repeat-contacter profile (WeChat)
    reply_to       {{BLOB}},                    -- sealed: the channel's address of the child (a WeChat openid)
    counsellor_id  BIGINT  NOT NULL DEFAULT 0,  -- who holds it now
    contact_id     BIGINT  NOT NULL DEFAULT 0,  -- the draft contact, made when taken
    last_seq       INTEGER NOT NULL DEFAULT 0,
    offered_at     BIGINT  NOT NULL,            -- joined the queue
    taken_at       BIGINT  NOT NULL DEFAULT 0,
    ended_at       BIGINT  NOT NULL DEFAULT 0,
    ended_by       TEXT    NOT NULL DEFAULT '', -- child, counsellor, timeout
    called_back_at BIGINT  NOT NULL DEFAULT 0   -- an abandoned conversation followed up
);
CREATE INDEX conversations_queue ON conversations (state, risk, offered_at);
CREATE INDEX conversations_station ON conversations (station_id, offered_at);
CREATE INDEX conversations_counsellor ON conversations (counsellor_id, state);
CREATE UNIQUE INDEX conversations_one_open ON conversations (visitor_hash) WHERE state IN ('waiting', 'active');

CREATE TABLE chat_messages (
    conversation_id BIGINT  NOT NULL REFERENCES conversations(id),
    seq             INTEGER NOT NULL,
    sender          TEXT    NOT NULL,            -- child, counsellor, system
    author_id       BIGINT  NOT NULL DEFAULT 0,  -- the counsellor or supervisor
    client_id       TEXT    NOT NULL DEFAULT '', -- the sender's id for the message: a resend is stored once
    body            {{BLOB}} NOT NULL,           -- sealed
    sent_at         BIGINT  NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE UNIQUE INDEX chat_messages_client ON chat_messages (conversation_id, sender, client_id) WHERE client_id <> '';

-- Who is in a conversation besides the child: the holder, supervisors
-- watching silently or joined, and earlier holders after a transfer.
CREATE TABLE chat_participants (
    conversation_id BIGINT NOT NULL REFERENCES conversations(id),
    user_id         BIGINT NOT NULL REFERENCES users(id),
    role            TEXT   NOT NULL, -- holder, watcher, joined, former
    since_at        BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);

-- Counsellors' cap on concurrent chats (default 3 when absent).
CREATE TABLE chat_caps (
    user_id BIGINT  NOT NULL PRIMARY KEY REFERENCES users(id),
    cap     INTEGER NOT NULL
);
