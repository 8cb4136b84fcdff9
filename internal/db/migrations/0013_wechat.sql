-- The WeChat official account's message push (公众号消息推送): what is
-- needed to refuse a replayed push and to store a redelivered message
-- once, shared by every server instance and kept across restarts. No
-- openid and no message text is stored here.

-- Pushes accepted: a push's (timestamp, nonce) is accepted once. A row
-- is useless once its timestamp is outside the accepted window (a push
-- that old is refused anyway), and is then deleted.
CREATE TABLE wechat_pushes (
    stamp   BIGINT NOT NULL, -- the push's timestamp, in seconds
    nonce   TEXT   NOT NULL,
    app_id  TEXT   NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (stamp, nonce, app_id)
);

-- Messages by WeChat's MsgId: WeChat delivers a message again when it
-- had no answer within 5 seconds, and a message routed into the chat queue
-- is not routed again. Rows older than a day are deleted.
CREATE TABLE wechat_messages (
    app_id    TEXT   NOT NULL,
    msg_id    TEXT   NOT NULL,
    seen_at   BIGINT NOT NULL,
    routed_at BIGINT NOT NULL DEFAULT 0, -- 0 until the chat queue took it
    PRIMARY KEY (app_id, msg_id)
);
CREATE INDEX wechat_messages_seen ON wechat_messages (seen_at);
