// Package chat is the live conversations of the hotline station: the
// anonymous web chat for children and WeChat, one queue ordered by risk
// then waiting time, durable messages, transfers that carry the draft
// contact and the transcript, and supervisors who watch and join.
package chat

// Service runs conversations.
type Service struct{}
