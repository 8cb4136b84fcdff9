// Package chat is the live conversations of the hotline station: the
// anonymous web chat for children and WeChat, one queue ordered by risk
// then waiting time, durable messages, transfers that carry the draft
// contact and the transcript, and supervisors who watch and join.
package chat

import (
	"context"
	"time"
)

// Service runs conversations.
type Service struct {
	// Repliers send counsellors' messages back through outside channels,
	// by channel ("wechat"). A reply is sent by a durable job, retried.
	Repliers map[string]Replier
}

// Inbound is a message from a child through an outside channel (WeChat).
type Inbound struct {
	Channel   string    // "wechat"
	StationID int64     // the station whose queue receives it
	From      string    // the channel's id of the sender (an openid): hashed and sealed, never stored in clear
	MessageID string    // the channel's id of the message: a redelivery is stored once
	Text      string    // the message (sealed when stored)
	At        time.Time // when the channel received it
}

// Replier sends a counsellor's message to a child through an outside
// channel. to is the channel's id of the child (an openid).
type Replier interface {
	Reply(ctx context.Context, to, text string) error
}
