package phone

import (
	"context"
	"regexp"
	"slices"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Events a PBX reports.
var Events = []string{"offered", "answered", "transferred", "ended"}

// EndReasons say why a call ended.
var EndReasons = []string{"caller_hangup", "agent_hangup", "timeout", "failed", "other"}

// Event is one thing that happened to a call, as the PBX reports it.
// Delivery may repeat and arrive out of order: an event already applied
// (the same call, event and sequence number, or the same time when the PBX
// numbers nothing) changes nothing; an answer reported after the hang-up
// still opens the draft; a transfer older than the last one applied only
// counts.
type Event struct {
	Event     string    // offered, answered, transferred, ended
	CallRef   string    // the PBX's id of the call
	StationID int64     // required when offered; checked against the call's otherwise
	Seq       *int64    // the PBX's sequence number of the event, if it has one
	At        time.Time // when it happened; zero: on receipt
	Caller    string    // offered: the caller's number, hashed at once; "": withheld
	UserID    int64     // answered: who; transferred: to whom; offered: who is rung (optional)
	Extension string    // instead of UserID: the agent's extension at the station
	Reason    string    // ended: one of EndReasons (optional)
}

// Outcome is what an event did.
type Outcome struct {
	CallID    int64
	State     string // the call's state after the event
	ContactID int64  // the draft contact of an answered call
	Result    string // applied, duplicate (delivered before), ignored (too late to matter)
}

var (
	refPattern       = regexp.MustCompile(`^[A-Za-z0-9._:@-]{1,128}$`)
	extensionPattern = regexp.MustCompile(`^[A-Za-z0-9*#+-]{1,32}$`)
)

// check validates an event before anything is read; it fills in At.
func (s *Service) check(e *Event) error {
	bad := map[string]string{}
	if !slices.Contains(Events, e.Event) {
		bad["event"] = "phone.bad_event"
	}
	if !refPattern.MatchString(e.CallRef) {
		bad["call_ref"] = "phone.bad_call_ref"
	}
	if e.Event == "offered" && e.StationID <= 0 {
		bad["station_id"] = "form.required"
	}
	if e.Seq != nil && *e.Seq < 0 {
		bad["seq"] = "phone.bad_seq"
	}
	now := s.now()
	switch {
	case e.At.IsZero():
		e.At = now
	case e.At.After(now.Add(5*time.Minute)) || e.At.Before(now.AddDate(-1, 0, 0)):
		bad["at"] = "phone.bad_time"
	}
	if e.Extension != "" && !extensionPattern.MatchString(e.Extension) {
		bad["extension"] = "phone.bad_extension"
	}
	if (e.Event == "answered" || e.Event == "transferred") && e.UserID == 0 && e.Extension == "" {
		bad["user_id"] = "phone.agent_required"
	}
	if e.Reason != "" && (e.Event != "ended" || !slices.Contains(EndReasons, e.Reason)) {
		bad["reason"] = "phone.bad_reason"
	}
	if len(e.Caller) > 64 {
		bad["caller"] = "phone.bad_caller"
	}
	if len(bad) > 0 {
		return apperr.Invalid("phone.bad_event", bad)
	}
	return nil
}

// Report applies an event from a PBX (p holds hotline.telephony at the
// call's station). Bad input is EInvalid, a call outside the caller's
// stations or never offered ENotFound, an event that cannot apply yet (a
// transfer before the answer) EConflict; none of them changes anything.
func (s *Service) Report(ctx context.Context, p access.Principal, e Event) (*Outcome, error) {
	if err := s.check(&e); err != nil {
		return nil, err
	}
	key := "t:" + itoa(db.Micro(e.At))
	if e.Seq != nil {
		key = "s:" + itoa(*e.Seq)
	}
	var out *Outcome
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, m, created, err := s.callFor(ctx, tx, p, e)
		if err != nil {
			return err
		}
		out = &Outcome{CallID: c.ID, State: c.State, ContactID: c.ContactID, Result: "applied"}
		var seen int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM phone_call_events WHERE call_id = ? AND event = ? AND event_key = ?`,
			c.ID, e.Event, key).Scan(&seen); err != nil {
			return err
		}
		if seen > 0 {
			out.Result = "duplicate"
			return nil
		}
		applied := created
		if !created {
			if applied, err = s.apply(ctx, tx, c, e); err != nil {
				return err
			}
		}
		if !applied {
			out.Result = "ignored"
			return nil
		}
		out.State, out.ContactID = c.State, c.ContactID
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `INSERT INTO phone_call_events (call_id, event, event_key, at, received_at) VALUES (?, ?, ?, ?, ?)`,
			c.ID, e.Event, key, db.Micro(e.At), now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE phone_calls SET state = ?, profile_id = ?, counsellor_id = ?, contact_id = ?, ringing_id = ?,
			answered_at = ?, ended_at = ?, transfers = ?, transfer_at = ?, end_reason = ?, updated_at = ? WHERE id = ?`,
			c.State, c.ProfileID, c.CounsellorID, c.ContactID, c.RingingID, c.AnsweredAt, c.Ended, c.Transfers, c.TransferAt,
			c.EndReason, now, c.ID); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, entry(p, m, "phone."+e.Event, "phone_call", c.ID,
			"state="+c.State+" contact="+itoa(c.ContactID)+" key="+key))
	})
	return out, err
}

// callFor finds the event's call in the caller's stations, or creates it
// for a first offer (created is then true).
func (s *Service) callFor(ctx context.Context, tx *db.Tx, p access.Principal, e Event) (*call, access.Membership, bool, error) {
	c, err := findCall(ctx, tx, e.CallRef)
	switch {
	case err == nil:
		m, ok := p.At(access.HotlineTelephony, c.StationPath)
		if !ok {
			if e.Event == "offered" {
				// Another station's PBX used the reference first.
				return nil, m, false, apperr.New(apperr.EConflict, "phone.call_ref_taken")
			}
			return nil, m, false, apperr.New(apperr.ENotFound, "phone.unknown_call")
		}
		if e.StationID != 0 && e.StationID != c.StationID {
			return nil, m, false, apperr.Invalid("phone.bad_event", map[string]string{"station_id": "phone.wrong_station"})
		}
		return c, m, false, nil
	case apperr.CodeOf(err) != apperr.ENotFound:
		return nil, access.Membership{}, false, err
	case e.Event != "offered":
		return nil, access.Membership{}, false, apperr.New(apperr.ENotFound, "phone.unknown_call")
	}
	var path, kind string
	var active int
	if err := tx.QueryRow(ctx, `SELECT path, kind, active FROM org_units WHERE id = ?`, e.StationID).Scan(&path, &kind, &active); err != nil {
		return nil, access.Membership{}, false, apperr.New(apperr.ENotFound, "phone.unknown_station")
	}
	m, ok := p.At(access.HotlineTelephony, path)
	if !ok || kind != "hotline_station" || active != 1 {
		return nil, m, false, apperr.New(apperr.ENotFound, "phone.unknown_station")
	}
	c = &call{StationID: e.StationID, StationPath: path, Ref: e.CallRef, State: "offered", OfferedAt: db.Micro(e.At)}
	if e.UserID != 0 || e.Extension != "" {
		a, err := s.agent(ctx, tx, c, e)
		if err != nil {
			return nil, m, false, err
		}
		c.RingingID = a.UserID
	}
	if c.ProfileID, err = s.Hotline.CallerProfile(ctx, e.Caller); err != nil {
		return nil, m, false, err
	}
	c.ID, err = tx.InsertID(ctx, `INSERT INTO phone_calls (call_ref, station_id, state, profile_id, ringing_id, offered_at, updated_at)
		VALUES (?, ?, 'offered', ?, ?, ?, ?)`, c.Ref, c.StationID, c.ProfileID, c.RingingID, c.OfferedAt, db.Micro(s.now()))
	if apperr.CodeOf(err) == apperr.EConflict {
		return nil, m, false, apperr.New(apperr.EConflict, "phone.call_ref_taken")
	}
	return c, m, true, err
}

// apply changes c (in memory, and the draft contact in the database) for
// an event on a known call; false: the event is too late to matter.
func (s *Service) apply(ctx context.Context, tx *db.Tx, c *call, e Event) (bool, error) {
	at := db.Micro(e.At)
	switch e.Event {
	case "offered":
		// Offered again (re-queued): follow whom the PBX rings now.
		if c.State != "offered" || (e.UserID == 0 && e.Extension == "") {
			return false, nil
		}
		a, err := s.agent(ctx, tx, c, e)
		if err != nil || a.UserID == c.RingingID {
			return false, err
		}
		c.RingingID = a.UserID
	case "answered":
		if c.ContactID != 0 || (c.State != "offered" && c.State != "abandoned") {
			return false, nil
		}
		if at < c.OfferedAt || (c.State == "abandoned" && at > c.Ended) {
			return false, apperr.Invalid("phone.bad_event", map[string]string{"at": "phone.bad_time"})
		}
		a, err := s.agent(ctx, tx, c, e)
		if err != nil {
			return false, err
		}
		contact, err := s.Hotline.StartCall(ctx, a, c.StationID, c.ProfileID, e.At)
		if err != nil {
			return false, err
		}
		c.CounsellorID, c.ContactID, c.AnsweredAt, c.RingingID = a.UserID, contact.ID, at, 0
		if c.State == "offered" {
			c.State = "answered"
		} else {
			c.State = "ended" // the hang-up came first
		}
	case "transferred":
		if c.ContactID == 0 {
			return false, apperr.New(apperr.EConflict, "phone.not_answered")
		}
		if at < c.AnsweredAt {
			return false, apperr.Invalid("phone.bad_event", map[string]string{"at": "phone.bad_time"})
		}
		to, err := s.agent(ctx, tx, c, e)
		if err != nil {
			return false, err
		}
		c.Transfers++
		if at >= c.TransferAt {
			if err := s.moveDraft(ctx, tx, c.ContactID, to.UserID); err != nil {
				return false, err
			}
			c.CounsellorID, c.TransferAt = to.UserID, at
		}
	case "ended":
		if c.State != "offered" && c.State != "answered" {
			return false, nil
		}
		if at < c.OfferedAt || at < c.AnsweredAt {
			return false, apperr.Invalid("phone.bad_event", map[string]string{"at": "phone.bad_time"})
		}
		c.Ended, c.EndReason, c.RingingID = at, e.Reason, 0
		if c.State == "offered" {
			c.State = "abandoned"
		} else {
			c.State = "ended"
		}
	}
	return true, nil
}

// moveDraft hands the call's draft contact to the colleague the call went
// to, as its holder would (hotline.Service.Transfer); a contact already
// finalised, or held by that colleague, stays as it is.
func (s *Service) moveDraft(ctx context.Context, tx *db.Tx, contactID, to int64) error {
	holder, state, err := s.Hotline.Holder(ctx, contactID)
	if err != nil || state != "draft" || holder == to {
		return err
	}
	hp, err := staff(ctx, tx, holder)
	if err != nil {
		return err
	}
	return s.Hotline.Transfer(ctx, hp, contactID, to)
}

// agent resolves the counsellor an event names, by user id or by the
// extension mapped at the call's station; they must answer contacts there.
func (s *Service) agent(ctx context.Context, tx *db.Tx, c *call, e Event) (access.Principal, error) {
	unknown := apperr.Invalid("phone.bad_event", map[string]string{"user_id": "phone.unknown_agent"})
	id := e.UserID
	if e.Extension != "" {
		err := tx.QueryRow(ctx, `SELECT user_id FROM phone_agents WHERE station_id = ? AND extension = ?`, c.StationID, e.Extension).Scan(&id)
		if apperr.CodeOf(err) == apperr.ENotFound || (err == nil && e.UserID != 0 && e.UserID != id) {
			return access.Principal{}, unknown
		}
		if err != nil {
			return access.Principal{}, err
		}
	}
	a, err := staff(ctx, tx, id)
	if err != nil {
		return a, err
	}
	if _, ok := a.At(access.HotlineContact, c.StationPath); !ok {
		return a, unknown
	}
	return a, nil
}
