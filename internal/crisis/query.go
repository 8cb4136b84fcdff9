package crisis

import (
	"context"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
)

// Step is one entry of an incident's timeline as its handlers see it.
type Step struct {
	ID           int64
	Seq          int64
	At           time.Time
	ActorID      int64
	ActorName    string
	ActorRole    string
	Kind         string // state, details, correction
	State        string
	From         string
	Corrects     int64
	Void         bool
	Cosign       bool   // it needed a co-signature
	Decision     string // "" (pending), signed, declined, withdrawn
	SignerName   string
	DecidedAt    time.Time
	DecisionNote string
	Voided       bool // a later correction voided it
	Detail       string
	Note         string
}

// Pending reports whether the step still waits for its co-signature.
func (st Step) Pending() bool { return st.Cosign && st.Decision == "" }

// Detail is an incident with its timeline, guardian decisions, reviews and
// what the caller may do next.
type Detail struct {
	Incident
	Steps    []Step
	Guardian []GuardianDecision
	Reviews  []Review
	Next     []Transition // steps the caller may record now
	Handler  bool         // the caller handles crises here (may record steps)
	Pending  *Step        // the step waiting for a co-signature
	// CanCosign: the caller may sign or decline the pending step;
	// CanWithdraw: the caller asked for it.
	CanCosign, CanWithdraw bool
}

// Find returns an incident with its sealed fields opened, for a caller
// holding crisis.handle or crisis.cosign over it; the child's name only
// for one who may read the child's record. The read is audited.
func (s *Service) Find(ctx context.Context, p access.Principal, id int64) (*Detail, error) {
	var d *Detail
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		inc, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		m, err := inc.viewer(p)
		if err != nil {
			return err
		}
		if err := s.open(inc); err != nil {
			return err
		}
		if _, ok := p.At(access.RecordRead, inc.schoolPath); ok && inc.StudentID != 0 {
			if err := tx.QueryRow(ctx, `SELECT name, student_no FROM students WHERE id = ?`, inc.StudentID).Scan(&inc.StudentName,
				&inc.StudentNo); err != nil {
				return err
			}
		}
		d = &Detail{Incident: *inc}
		if d.Steps, err = s.steps(ctx, tx, id); err != nil {
			return err
		}
		if d.Guardian, err = s.guardian(ctx, tx, id); err != nil {
			return err
		}
		if d.Reviews, err = s.reviews(ctx, tx, id); err != nil {
			return err
		}
		_, d.Handler = inc.grant(p, access.CrisisHandle)
		for i := range d.Steps {
			if st := &d.Steps[i]; st.ID == inc.PendingStep {
				d.Pending = st
				_, cosigner := inc.grant(p, access.CrisisCosign)
				d.CanCosign = cosigner
				d.CanWithdraw = st.ActorID == p.UserID
			}
		}
		if d.Handler && d.Pending == nil && inc.State != Closed {
			d.Next = Next(inc.State, false)
		}
		return s.record(ctx, tx, p, m, "incident.read", id, "")
	})
	return d, err
}

// steps reads the timeline of an incident, notes opened.
func (s *Service) steps(ctx context.Context, tx *db.Tx, id int64) ([]Step, error) {
	rows, err := tx.Query(ctx, `SELECT s.id, s.seq, s.at, s.actor_id, u.display_name, s.actor_role, s.kind, s.state, s.from_state, s.corrects,
		s.void, s.cosign, s.detail, s.note, COALESCE(c.decision, ''), COALESCE(cu.display_name, ''), COALESCE(c.at, 0), c.note
		FROM incident_steps s JOIN users u ON u.id = s.actor_id LEFT JOIN incident_cosigns c ON c.step_id = s.id
		LEFT JOIN users cu ON cu.id = c.signer_id WHERE s.incident_id = ? ORDER BY s.seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type sealedStep struct {
		Step
		note, decisionNote []byte
	}
	var raw []sealedStep
	for rows.Next() {
		var st sealedStep
		var at, decided int64
		var void, cosign int
		if err := rows.Scan(&st.ID, &st.Seq, &at, &st.ActorID, &st.ActorName, &st.ActorRole, &st.Kind, &st.State, &st.From, &st.Corrects,
			&void, &cosign, &st.Detail, &st.note, &st.Decision, &st.SignerName, &decided, &st.decisionNote); err != nil {
			return nil, err
		}
		st.At, st.DecidedAt, st.Void, st.Cosign = db.FromMicro(at), db.FromMicro(decided), void == 1, cosign == 1
		raw = append(raw, st)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	voided := map[int64]bool{}
	for _, st := range raw {
		if st.Void {
			voided[st.Corrects] = true
		}
	}
	out := make([]Step, len(raw))
	for i, st := range raw {
		if st.Step.Note, err = s.unseal(st.note, stepAAD(id, st.Seq)); err != nil {
			return nil, err
		}
		if st.DecisionNote, err = s.unseal(st.decisionNote, "incident_cosigns:"+itoa(st.ID)+":note"); err != nil {
			return nil, err
		}
		st.Voided = voided[st.ID]
		out[i] = st.Step
	}
	return out, nil
}

func (s *Service) guardian(ctx context.Context, tx *db.Tx, id int64) ([]GuardianDecision, error) {
	rows, err := tx.Query(ctx, `SELECT g.notified, g.notified_at, g.recorded_by, u.display_name, g.recorded_at, g.why_not FROM incident_guardian g
		JOIN users u ON u.id = g.recorded_by WHERE g.incident_id = ? ORDER BY g.id DESC`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GuardianDecision
	for rows.Next() {
		var g GuardianDecision
		var notified int
		var nat, at int64
		var why []byte
		if err := rows.Scan(&notified, &nat, &g.ByID, &g.ByName, &at, &why); err != nil {
			return nil, err
		}
		g.Notified, g.NotifiedAt, g.At = notified == 1, db.FromMicro(nat), db.FromMicro(at)
		if g.WhyNot, err = s.unseal(why, guardianAAD(id, at)); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func (s *Service) reviews(ctx context.Context, tx *db.Tx, id int64) ([]Review, error) {
	rows, err := tx.Query(ctx, `SELECT r.step_id, r.author_id, u.display_name, r.at, r.what_happened, r.what_worked, r.what_to_change
		FROM incident_reviews r JOIN users u ON u.id = r.author_id WHERE r.incident_id = ? ORDER BY r.id DESC`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Review
	for rows.Next() {
		var r Review
		var stepID, at int64
		var sealed [3][]byte
		if err := rows.Scan(&stepID, &r.AuthorID, &r.AuthorName, &at, &sealed[0], &sealed[1], &sealed[2]); err != nil {
			return nil, err
		}
		r.At = db.FromMicro(at)
		for i, dst := range []*string{&r.WhatHappened, &r.WhatWorked, &r.WhatToChange} {
			if *dst, err = s.unseal(sealed[i], reviewAAD(stepID, []string{"what_happened", "what_worked", "what_to_change"}[i])); err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Lists of incidents.
const (
	ListOpen    = "open"    // not closed, handled or co-signed in the caller's scope
	ListClosed  = "closed"  // closed, the latest first
	ListPending = "pending" // waiting for a co-signature the caller may give
)

// Summary is an incident in a list: no sealed field and no name.
type Summary struct {
	ID          int64
	UnitName    string
	UnitNameEn  string
	State       string
	RiskLevel   string
	StudentID   int64
	Pending     bool
	HandlerName string
	OpenedAt    time.Time
	ClosedAt    time.Time
}

// List lists incidents in the caller's scope, scoped in SQL: crisis.handle
// or crisis.cosign over the handling unit, or crisis.handle over a known
// child's school (ListPending: crisis.cosign over the handling unit). The
// read is audited.
func (s *Service) List(ctx context.Context, p access.Principal, which string, limit int) ([]Summary, error) {
	handle, hargs := p.Scope(access.CrisisHandle, "u.path")
	cosign, cargs := p.Scope(access.CrisisCosign, "u.path")
	school, sargs := p.Scope(access.CrisisHandle, "so.path")
	cond := "(" + handle + " OR " + cosign + " OR " + school + ")"
	args := append(append(hargs, cargs...), sargs...)
	order := "i.risk_level = 'imminent' DESC, i.opened_at DESC"
	switch which {
	case ListClosed:
		cond += " AND i.closed_at <> 0"
		order = "i.closed_at DESC"
	case ListPending:
		cond, args = cosign+" AND i.pending_step <> 0", cargs
		order = "i.opened_at"
	default:
		which = ListOpen
		cond += " AND i.closed_at = 0"
	}
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	var out []Summary
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT i.id, u.name, u.name_en, i.state, i.risk_level, i.student_id, i.pending_step, h.display_name,
			i.opened_at, i.closed_at FROM incidents i JOIN org_units u ON u.id = i.unit_id JOIN users h ON h.id = i.handler_id
			LEFT JOIN students st ON st.id = i.student_id LEFT JOIN org_units so ON so.id = st.school_id
			WHERE `+cond+` ORDER BY `+order+` LIMIT ?`, append(args, limit)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var sm Summary
			var pending, opened, closed int64
			if err := rows.Scan(&sm.ID, &sm.UnitName, &sm.UnitNameEn, &sm.State, &sm.RiskLevel, &sm.StudentID, &pending, &sm.HandlerName,
				&opened, &closed); err != nil {
				return err
			}
			sm.Pending, sm.OpenedAt, sm.ClosedAt = pending != 0, db.FromMicro(opened), db.FromMicro(closed)
			out = append(out, sm)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		m, ok := p.Grant(access.CrisisHandle)
		if !ok {
			m, _ = p.Grant(access.CrisisCosign)
		}
		return s.record(ctx, tx, p, m, "incident.list", 0, "list="+which+" rows="+itoa(int64(len(out))))
	})
	return out, err
}

// Partner is a unit an incident may be handed to (a police unit, a
// hospital, a school): the network's directory, not a child's data.
type Partner struct {
	ID           int64
	Name, NameEn string
}

// DisplayName returns the name to show in locale.
func (u Partner) DisplayName(locale string) string {
	if locale == "en" && u.NameEn != "" {
		return u.NameEn
	}
	return u.Name
}

// Partners lists the active units of a kind (police, hospital) that an
// incident may be handed to.
func (s *Service) Partners(ctx context.Context, kind string) ([]Partner, error) {
	var out []Partner
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, name, name_en FROM org_units WHERE kind = ? AND active = 1 ORDER BY path LIMIT 500`, kind)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u Partner
			if err := rows.Scan(&u.ID, &u.Name, &u.NameEn); err != nil {
				return err
			}
			out = append(out, u)
		}
		return rows.Err()
	})
	return out, err
}
