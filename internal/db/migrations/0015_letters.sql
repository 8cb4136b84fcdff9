-- The letter box (信箱): anonymous web letters, whose writer keeps a
-- reading code, and e-mail; each letter has a reply deadline and an
-- assignee. Texts, subjects and sender addresses are sealed.

CREATE TABLE letters (
    id             {{ID}},
    station_id     BIGINT  NOT NULL REFERENCES org_units(id),
    source         TEXT    NOT NULL,                -- web, email
    state          TEXT    NOT NULL DEFAULT 'open', -- open, answered, closed
    age_band       TEXT    NOT NULL DEFAULT '',     -- the writer's choice (web), codes of hotline.AgeBands
    flags          TEXT    NOT NULL DEFAULT '',     -- risk expressions matched, codes separated by spaces
    body           {{BLOB}},                        -- sealed: the letter
    subject        {{BLOB}},                        -- sealed: an e-mail's subject
    code_hash      TEXT    NOT NULL DEFAULT '',     -- web: keyed hash of the reading code
    sender         {{BLOB}},                        -- e-mail: sealed sender address
    sender_hash    TEXT    NOT NULL DEFAULT '',     -- e-mail: keyed hash of the address (letters of one writer)
    mail_key       TEXT    NOT NULL DEFAULT '',     -- e-mail: keyed hash of the Message-ID (a redelivery is stored once)
    assignee_id    BIGINT  NOT NULL DEFAULT 0,      -- who answers it
    contact_id     BIGINT  NOT NULL DEFAULT 0,      -- the hotline contact of channel letter, made when taken
    received_at    BIGINT  NOT NULL,
    due_at         BIGINT  NOT NULL,                -- the reply deadline
    answered_at    BIGINT  NOT NULL DEFAULT 0,      -- first reply
    closed_at      BIGINT  NOT NULL DEFAULT 0,
    close_reason   TEXT    NOT NULL DEFAULT '',     -- done, no_reply_needed, spam
    writer_read_at BIGINT  NOT NULL DEFAULT 0       -- web: the writer last opened it with the code
);
CREATE UNIQUE INDEX letters_code ON letters (code_hash) WHERE code_hash <> '';
CREATE UNIQUE INDEX letters_mail_key ON letters (mail_key) WHERE mail_key <> '';
CREATE INDEX letters_station ON letters (station_id, state, due_at);
CREATE INDEX letters_due ON letters (state, due_at);
CREATE INDEX letters_sender ON letters (sender_hash) WHERE sender_hash <> '';

CREATE TABLE letter_replies (
    id         {{ID}},
    letter_id  BIGINT  NOT NULL REFERENCES letters(id),
    author_id  BIGINT  NOT NULL REFERENCES users(id),
    body       {{BLOB}} NOT NULL,           -- sealed
    sent_at    BIGINT  NOT NULL,
    mail_state TEXT    NOT NULL DEFAULT '', -- e-mail letters: queued, sent
    mailed_at  BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX letter_replies_letter ON letter_replies (letter_id, id);

-- A station's reply deadline; a station without one takes its nearest
-- ancestor's, else the service default (3 days).
CREATE TABLE letter_settings (
    station_id  BIGINT  NOT NULL PRIMARY KEY REFERENCES org_units(id),
    reply_hours INTEGER NOT NULL,
    set_by      BIGINT  NOT NULL,
    set_at      BIGINT  NOT NULL
);
