package audit

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Filter selects entries for the auditor's page, newest first. Every field
// left zero selects everything.
type Filter struct {
	Before     int64  // only entries with seq < Before (0: from the newest)
	Limit      int    // at most this many (1-500; else 100)
	ObjectType string // e.g. student, alert: exactly
	ObjectID   string // exactly, with ObjectType
	Actor      int64  // the acting user's id
	Action     string // entries whose action begins with it (screening. or screening.submit)
	From, To   time.Time
}

// ParseFilter reads a filter from the auditor's form: object_type,
// object_id, actor ("12" or "#12"), action, from and to (dates in zone,
// both days included) and before. A value it cannot read is named in an
// EInvalid error, and nothing is searched.
func ParseFilter(f url.Values, zone *time.Location) (Filter, error) {
	var out Filter
	bad := map[string]string{}
	out.Before, _ = strconv.ParseInt(f.Get("before"), 10, 64)
	out.ObjectType, out.ObjectID = strings.TrimSpace(f.Get("object_type")), strings.TrimSpace(f.Get("object_id"))
	out.Action = strings.TrimSpace(f.Get("action"))
	for k, v := range map[string]string{"object_type": out.ObjectType, "object_id": out.ObjectID, "action": out.Action} {
		if len(v) > 100 {
			bad[k] = "form.too_long"
		}
	}
	if out.ObjectID != "" && out.ObjectType == "" {
		bad["object_type"] = "form.required"
	}
	if a := strings.TrimPrefix(strings.TrimSpace(f.Get("actor")), "#"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n <= 0 {
			bad["actor"] = "form.invalid"
		}
		out.Actor = n
	}
	day := func(name string) time.Time {
		v := strings.TrimSpace(f.Get(name))
		if v == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation("2006-01-02", v, zone)
		if err != nil {
			bad[name] = "form.bad_date"
		}
		return t
	}
	out.From, out.To = day("from"), day("to")
	if !out.To.IsZero() {
		out.To = out.To.AddDate(0, 0, 1)
	}
	if !out.From.IsZero() && !out.To.IsZero() && !out.From.Before(out.To) {
		bad["to"] = "audit.to_before_from"
	}
	if len(bad) > 0 {
		return Filter{}, apperr.Invalid("audit.bad_filter", bad)
	}
	return out, nil
}

// Query is the filter as form values, for the next page's link and the
// export: what ParseFilter reads back to the same filter (without Before).
func (f Filter) Query(zone *time.Location) url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("object_type", f.ObjectType)
	set("object_id", f.ObjectID)
	set("action", f.Action)
	if f.Actor != 0 {
		v.Set("actor", strconv.FormatInt(f.Actor, 10))
	}
	if !f.From.IsZero() {
		v.Set("from", f.From.In(zone).Format("2006-01-02"))
	}
	if !f.To.IsZero() {
		v.Set("to", f.To.AddDate(0, 0, -1).In(zone).Format("2006-01-02"))
	}
	return v
}

// where is the filter's condition and its arguments.
func (f Filter) where() (string, []any) {
	var cond []string
	var args []any
	add := func(c string, a ...any) { cond, args = append(cond, c), append(args, a...) }
	if f.Before > 0 {
		add(`seq < ?`, f.Before)
	}
	if f.ObjectType != "" {
		add(`object_type = ?`, f.ObjectType)
	}
	if f.ObjectID != "" {
		add(`object_id = ?`, f.ObjectID)
	}
	if f.Actor != 0 {
		add(`actor_user_id = ?`, f.Actor)
	}
	if f.Action != "" {
		add(`substr(action, 1, `+strconv.Itoa(utf8.RuneCountInString(f.Action))+`) = ?`, f.Action) // substr counts characters
	}
	if !f.From.IsZero() {
		add(`at >= ?`, db.Micro(f.From))
	}
	if !f.To.IsZero() {
		add(`at < ?`, db.Micro(f.To))
	}
	if len(cond) == 0 {
		return "", nil
	}
	return ` WHERE ` + strings.Join(cond, ` AND `), args
}

// detail describes the filter for the audit entry of the read: ids,
// types, actions, and the days as instants in UTC.
func (f Filter) detail() string {
	q := f.Query(time.UTC)
	if !f.From.IsZero() {
		q.Set("from", f.From.UTC().Format(time.RFC3339))
	}
	if !f.To.IsZero() {
		q.Set("to", f.To.UTC().Format(time.RFC3339))
	}
	d := "before=" + strconv.FormatInt(f.Before, 10)
	if len(q) > 0 {
		d += " " + q.Encode()
	}
	return d
}

// FindEntries returns entries for an auditor and records that read, with
// reader as the actor, in the same transaction. Callers check the
// permission before calling.
func FindEntries(ctx context.Context, d *db.DB, l *Log, reader Entry, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var out []Entry
	err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		where, args := f.where()
		rows, err := tx.Query(ctx, `SELECT seq, at, actor_user_id, actor_role, actor_org_id, action, object_type, object_id, outcome, detail,
			algo, prev_hash, hash FROM audit_log`+where+` ORDER BY seq DESC LIMIT `+strconv.Itoa(f.Limit), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e Entry
			var at int64
			if err := rows.Scan(&e.Seq, &at, &e.ActorUserID, &e.ActorRole, &e.ActorOrgID, &e.Action, &e.ObjectType,
				&e.ObjectID, &e.Outcome, &e.Detail, &e.Algo, &e.PrevHash, &e.Hash); err != nil {
				rows.Close()
				return err
			}
			e.At = db.FromMicro(at)
			out = append(out, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		reader.Action, reader.ObjectType, reader.Outcome = "audit.read", "audit_log", Success
		reader.Detail = f.detail()
		return l.Record(ctx, tx, reader)
	})
	return out, err
}
