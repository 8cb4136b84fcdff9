package chat

import (
	"context"
	"sync"
)

// Broker carries wake-ups between the writers and readers of
// conversations: a topic name only, never content.
type Broker interface {
	// Publish wakes the topic's subscribers, on every server instance.
	Publish(ctx context.Context, topic string) error
	// Subscribe returns a channel that receives a value after each
	// Publish of topic (coalesced: a reader re-reads everything new), and
	// a function that ends the subscription.
	Subscribe(topic string) (<-chan struct{}, func())
}

// Local is the broker of a single instance.
type Local struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

// NewLocal returns an in-process broker.
func NewLocal() *Local { return &Local{subs: map[string]map[chan struct{}]struct{}{}} }

// Publish wakes the topic's local subscribers.
func (l *Local) Publish(_ context.Context, topic string) error {
	l.wake(topic)
	return nil
}

func (l *Local) wake(topic string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.subs[topic] {
		select {
		case ch <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
}

// wakeAll wakes every subscriber (after a lost connection, when some
// wake-ups may have been missed).
func (l *Local) wakeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, set := range l.subs {
		for ch := range set {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}
}

// Subscribe registers a subscriber of topic.
func (l *Local) Subscribe(topic string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	l.mu.Lock()
	if l.subs[topic] == nil {
		l.subs[topic] = map[chan struct{}]struct{}{}
	}
	l.subs[topic][ch] = struct{}{}
	l.mu.Unlock()
	return ch, func() {
		l.mu.Lock()
		delete(l.subs[topic], ch)
		if len(l.subs[topic]) == 0 {
			delete(l.subs, topic)
		}
		l.mu.Unlock()
	}
}
