package research

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/db"
)

// stamp is a date of a record: it is shifted per person when written.
type stamp int64

// row is one record of a kind: its student and its whitelisted values
// (string, int64, stamp; nil for none).
type row struct {
	student int64
	vals    map[string]any
}

// window is the subtree and the period an extract draws from.
type window struct {
	lo, hi   string // the unit's path range
	from, to int64  // microseconds; to exclusive
	now      int64
}

// inScope is the condition joining a record's student to the window:
// students st and their current school so, with the period on col.
func inScope(col string) string {
	return ` JOIN students st ON st.id = x.student_id JOIN org_units so ON so.id = st.school_id
		WHERE so.path >= ? AND so.path < ? AND ` + col + ` >= ? AND ` + col + ` < ?`
}

func (w window) args() []any { return []any{w.lo, w.hi, w.from, w.to} }

func minutes(from, to int64) any {
	if from == 0 || to == 0 || to < from {
		return nil
	}
	return (to - from) / int64(time.Minute/time.Microsecond)
}

func days(from, to int64) any {
	if from == 0 || to == 0 || to < from {
		return nil
	}
	return (to - from) / int64(24*time.Hour/time.Microsecond)
}

func when(us int64) any {
	if us == 0 {
		return nil
	}
	return stamp(us)
}

// scanRows runs q and turns each row into a record with fn.
func scanRows(ctx context.Context, tx *db.Tx, q string, args []any, dest func() []any, fn func() row) ([]row, error) {
	rs, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		if err := rs.Scan(dest()...); err != nil {
			return nil, err
		}
		out = append(out, fn())
	}
	return out, rs.Err()
}

// load reads the records of one kind in the window: only the whitelisted
// columns, never a sealed or free-text one.
func load(ctx context.Context, tx *db.Tx, kind string, w window) ([]row, error) {
	switch kind {
	case KindScreening:
		var st, total, crit, attempt, elapsed, at int64
		var inst, ver, band, tier, flags string
		return scanRows(ctx, tx, `SELECT x.student_id, x.instrument_id, x.instrument_version, x.total, x.band, x.tier, x.critical,
			x.flags, x.attempt, x.elapsed_ms, x.submitted_at FROM responses x`+inScope("x.submitted_at")+` ORDER BY x.id`, w.args(),
			func() []any {
				return []any{&st, &inst, &ver, &total, &band, &tier, &crit, &flags, &attempt, &elapsed, &at}
			},
			func() row {
				return row{st, map[string]any{"instrument": inst, "instrument_version": ver, "score": total, "band": band, "tier": tier,
					"critical": crit, "validity": flags, "attempt": attempt, "minutes_taken": elapsed / 60000, "at": when(at)}}
			})
	case KindAlert:
		sources, err := alertSources(ctx, tx, w)
		if err != nil {
			return nil, err
		}
		var id, st, step, raised, ack, contact, closed int64
		var level, state, decision string
		return scanRows(ctx, tx, `SELECT x.id, x.student_id, x.level, x.state, x.decision, x.step, x.raised_at, x.acknowledged_at,
			x.first_contact_at, x.closed_at FROM alerts x`+inScope("x.raised_at")+` ORDER BY x.id`, w.args(),
			func() []any {
				return []any{&id, &st, &level, &state, &decision, &step, &raised, &ack, &contact, &closed}
			},
			func() row {
				return row{st, map[string]any{"level": level, "sources": sources[id], "state": state, "decision": decision, "step": step,
					"raised_at": when(raised), "minutes_to_ack": minutes(raised, ack), "minutes_to_contact": minutes(raised, contact),
					"minutes_to_close": minutes(raised, closed)}}
			})
	case KindCase:
		var id, st, opened, closed, reopened, plans int64
		var state, reason, freq, tier string
		return scanRows(ctx, tx, `SELECT x.id, x.student_id, x.state, x.opened_at, x.closed_at, x.close_reason, x.reopened,
			(SELECT COUNT(*) FROM support_plans sp WHERE sp.case_id = x.id),
			COALESCE((SELECT sp.frequency FROM support_plans sp WHERE sp.case_id = x.id ORDER BY sp.version DESC LIMIT 1), ''),
			COALESCE((SELECT t.tier FROM student_tiers t WHERE t.student_id = x.student_id), '')
			FROM cases x`+inScope("x.opened_at")+` ORDER BY x.id`, w.args(),
			func() []any {
				return []any{&id, &st, &state, &opened, &closed, &reason, &reopened, &plans, &freq, &tier}
			},
			func() row {
				end := closed
				if end == 0 {
					end = w.now
				}
				return row{st, map[string]any{"state": state, "opened_at": when(opened), "closed_at": when(closed), "days_open": days(opened, end),
					"close_reason": reason, "reopened": reopened, "plan_versions": plans, "plan_frequency": freq, "tier": tier, "case_ref": caseRef(id)}}
			})
	case KindFollowUp:
		var caseID, st, due, done int64
		var kind, tierChange string
		return scanRows(ctx, tx, `SELECT x.case_id, x.student_id, x.kind, x.due_at, x.done_at, x.tier_change FROM follow_ups x`+
			inScope("x.due_at")+` ORDER BY x.id`, w.args(),
			func() []any { return []any{&caseID, &st, &kind, &due, &done, &tierChange} },
			func() row {
				late := int64(0)
				if (done != 0 && done > due) || (done == 0 && due < w.now) {
					late = 1
				}
				return row{st, map[string]any{"case_ref": caseRef(caseID), "kind": kind, "due_at": when(due), "done_at": when(done),
					"late": late, "tier_change": tierChange}}
			})
	case KindCounselling:
		var st, held, mins int64
		var kind string
		return scanRows(ctx, tx, `SELECT x.student_id, cs.kind, cs.held_at, cs.minutes FROM session_attendance x
			JOIN counselling_sessions cs ON cs.id = x.session_id`+inScope("cs.held_at")+` ORDER BY cs.id, x.student_id`, w.args(),
			func() []any { return []any{&st, &kind, &held, &mins} },
			func() row { return row{st, map[string]any{"kind": kind, "held_at": when(held), "minutes": mins}} })
	case KindContact:
		var st, started, ended int64
		var channel, caller, cats, risk string
		return scanRows(ctx, tx, `SELECT x.student_id, x.channel, x.caller_type, x.categories, x.risk_level, x.started_at, x.ended_at
			FROM contacts x`+inScope("x.started_at")+` AND x.state = 'final' ORDER BY x.id`, w.args(),
			func() []any { return []any{&st, &channel, &caller, &cats, &risk, &started, &ended} },
			func() row {
				return row{st, map[string]any{"channel": channel, "caller_type": caller, "categories": cats, "risk_level": risk,
					"at": when(started), "minutes": minutes(started, ended)}}
			})
	case KindIncident:
		steps, err := incidentStates(ctx, tx, w)
		if err != nil {
			return nil, err
		}
		var id, st, opened, closed, police int64
		var source, risk, state string
		return scanRows(ctx, tx, `SELECT x.id, x.student_id, x.source, x.risk_level, x.state, x.opened_at, x.closed_at, x.police_unit_id
			FROM incidents x`+inScope("x.opened_at")+` ORDER BY x.id`, w.args(),
			func() []any { return []any{&id, &st, &source, &risk, &state, &opened, &closed, &police} },
			func() row {
				p := int64(0)
				if police != 0 {
					p = 1
				}
				return row{st, map[string]any{"source": source, "risk_level": risk, "state": state, "opened_at": when(opened),
					"closed_at": when(closed), "minutes_to_close": minutes(opened, closed), "police": p, "state_minutes": steps[id]}}
			})
	case KindReferral:
		var st, sent, accepted, appt, seen, feedback, closed int64
		var urgency, state, basis, toKind string
		return scanRows(ctx, tx, `SELECT x.student_id, x.urgency, x.state, x.basis, tu.kind, x.sent_at, x.accepted_at, x.appointment_at,
			x.seen_at, x.feedback_at, x.closed_at FROM referrals x JOIN org_units tu ON tu.id = x.to_unit`+inScope("x.sent_at")+` ORDER BY x.id`, w.args(),
			func() []any {
				return []any{&st, &urgency, &state, &basis, &toKind, &sent, &accepted, &appt, &seen, &feedback, &closed}
			},
			func() row {
				return row{st, map[string]any{"urgency": urgency, "state": state, "basis": basis, "to_kind": toKind, "sent_at": when(sent),
					"minutes_to_accept": minutes(sent, accepted), "days_to_appointment": days(sent, appt), "days_to_seen": days(sent, seen),
					"days_to_feedback": days(sent, feedback), "closed_at": when(closed)}}
			})
	}
	return nil, nil
}

// caseRef marks a case id for pseudonymisation when written.
type caseRef int64

// alertSources returns, per alert in the window, the distinct codes of
// its signals' sources (never the signals' reasons).
func alertSources(ctx context.Context, tx *db.Tx, w window) (map[int64]string, error) {
	rs, err := tx.Query(ctx, `SELECT DISTINCT s.alert_id, s.source FROM alert_signals s JOIN alerts x ON x.id = s.alert_id`+
		inScope("x.raised_at"), w.args()...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	by := map[int64][]string{}
	for rs.Next() {
		var id int64
		var src string
		if err := rs.Scan(&id, &src); err != nil {
			return nil, err
		}
		by[id] = append(by[id], src)
	}
	out := map[int64]string{}
	for id, l := range by {
		sort.Strings(l)
		out[id] = strings.Join(l, " ")
	}
	return out, rs.Err()
}

// incidentStates returns, per incident in the window, "state=minutes"
// pairs: when each state was first reached, in minutes after opening.
func incidentStates(ctx context.Context, tx *db.Tx, w window) (map[int64]string, error) {
	rs, err := tx.Query(ctx, `SELECT s.incident_id, s.state, MIN(s.at), MIN(x.opened_at) FROM incident_steps s JOIN incidents x ON x.id = s.incident_id`+
		inScope("x.opened_at")+` AND s.void = 0 AND s.state <> '' GROUP BY s.incident_id, s.state`, w.args()...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	type reached struct {
		state string
		at    int64
	}
	by := map[int64][]reached{}
	opened := map[int64]int64{}
	for rs.Next() {
		var id, at, open int64
		var state string
		if err := rs.Scan(&id, &state, &at, &open); err != nil {
			return nil, err
		}
		by[id] = append(by[id], reached{state, at})
		opened[id] = open
	}
	out := map[int64]string{}
	for id, l := range by {
		sort.Slice(l, func(i, j int) bool { return l[i].at < l[j].at || (l[i].at == l[j].at && l[i].state < l[j].state) })
		parts := make([]string, len(l))
		for i, r := range l {
			m := int64(0)
			if v, ok := minutes(opened[id], r.at).(int64); ok {
				m = v
			}
			parts[i] = r.state + "=" + strconv.FormatInt(m, 10)
		}
		out[id] = strings.Join(parts, " ")
	}
	return out, rs.Err()
}

// persons reads the quasi-identifiers of the students ids: gender, birth
// year, grade, the current school and its district and city names.
func persons(ctx context.Context, tx *db.Tx, ids []int64) ([]*Person, error) {
	units := map[int64]struct {
		name, kind string
		parent     int64
	}{}
	rs, err := tx.Query(ctx, `SELECT id, name, kind, COALESCE(parent_id, 0) FROM org_units`)
	if err != nil {
		return nil, err
	}
	for rs.Next() {
		var id, parent int64
		var name, kind string
		if err := rs.Scan(&id, &name, &kind, &parent); err != nil {
			rs.Close()
			return nil, err
		}
		units[id] = struct {
			name, kind string
			parent     int64
		}{name, kind, parent}
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, err
	}
	var out []*Person
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rs, err := tx.Query(ctx, `SELECT id, gender, birth_date, grade, school_id FROM students WHERE id IN (?`+
			strings.Repeat(", ?", len(chunk)-1)+`) ORDER BY id`, args...)
		if err != nil {
			return nil, err
		}
		for rs.Next() {
			var p Person
			var birth string
			var school int64
			if err := rs.Scan(&p.ID, &p.Gender, &birth, &p.Grade, &school); err != nil {
				rs.Close()
				return nil, err
			}
			if len(birth) >= 4 {
				p.BirthYear, _ = strconv.Atoi(birth[:4])
			}
			p.School = units[school].name
			for u := units[school].parent; u != 0; u = units[u].parent {
				if units[u].kind == "district" && p.District == "" {
					p.District = units[u].name
				}
				if units[u].parent == 0 {
					p.City = units[u].name
				}
			}
			if p.City == "" {
				p.City = "*"
			}
			out = append(out, &p)
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
