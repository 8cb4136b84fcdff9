package station

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/careloop/careloop/internal/db"
)

// QueueChannels are the channels of the live queue, in order.
var QueueChannels = []string{"phone", "web_chat", "wechat"}

// queueRow is one call or conversation offered in the period.
type queueRow struct {
	channel   string
	state     string
	offered   int64
	answered  int64 // answered_at or taken_at; 0 if never
	abandoned bool
}

// queueRows reads the calls and conversations offered in the period at
// stations in [lo, hi).
func queueRows(ctx context.Context, tx *db.Tx, lo, hi string, per Period) ([]queueRow, error) {
	var out []queueRow
	from, to := db.Micro(per.From), db.Micro(per.To)
	for _, q := range []string{
		`SELECT 'phone', p.state, p.offered_at, p.answered_at FROM phone_calls p JOIN org_units o ON o.id = p.station_id
			WHERE p.offered_at >= ? AND p.offered_at < ? AND o.path >= ? AND o.path < ?`,
		`SELECT c.channel, c.state, c.offered_at, c.taken_at FROM conversations c JOIN org_units o ON o.id = c.station_id
			WHERE c.offered_at >= ? AND c.offered_at < ? AND o.path >= ? AND o.path < ?`,
	} {
		rows, err := tx.Query(ctx, q, from, to, lo, hi)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var r queueRow
			if err := rows.Scan(&r.channel, &r.state, &r.offered, &r.answered); err != nil {
				rows.Close()
				return nil, err
			}
			r.abandoned = r.state == "abandoned"
			out = append(out, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// queues sums the rows per channel and in all.
func queues(rows []queueRow) ([]Queue, Queue) {
	type sum struct {
		q    Queue
		wait time.Duration
	}
	all := &sum{}
	by := map[string]*sum{}
	for _, c := range QueueChannels {
		by[c] = &sum{q: Queue{Channel: c}}
	}
	for _, r := range rows {
		b, ok := by[r.channel]
		if !ok {
			b = &sum{q: Queue{Channel: r.channel}}
			by[r.channel] = b
		}
		for _, x := range []*sum{b, all} {
			x.q.Offered++
			if r.abandoned {
				x.q.Abandoned++
			}
			if r.answered > 0 {
				w := max(time.Duration(r.answered-r.offered)*time.Microsecond, 0)
				x.q.Answered++
				x.wait += w
				x.q.WorstWait = max(x.q.WorstWait, w)
			}
		}
	}
	finish := func(x *sum) Queue {
		q := x.q
		if q.Offered > 0 {
			q.AnswerRate = float64(q.Answered) / float64(q.Offered)
			q.AbandonRate = float64(q.Abandoned) / float64(q.Offered)
		}
		if q.Answered > 0 {
			q.AvgWait = x.wait / time.Duration(q.Answered)
		}
		return q
	}
	var out []Queue
	for _, c := range QueueChannels {
		out = append(out, finish(by[c]))
		delete(by, c)
	}
	for _, c := range slices.Sorted(maps.Keys(by)) { // a channel the chat part added later
		out = append(out, finish(by[c]))
	}
	return out, finish(all)
}
