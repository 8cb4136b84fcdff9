package crisis

import (
	"context"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// UpdateDetails replaces what is known of the child's situation (the
// details are "as known": they change as the person on duty learns more).
// The step it appends keeps the changed values (sealed) and the new risk
// codes, so the history stays whole. The caller needs crisis.handle.
func (s *Service) UpdateDetails(ctx context.Context, p access.Principal, id int64, d Details) error {
	if bad := checkDetails(&d); len(bad) > 0 {
		return apperr.Invalid("form.invalid", bad)
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		inc, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		m, err := inc.handler(p)
		if err != nil {
			return err
		}
		if inc.State == Closed {
			return apperr.New(apperr.EConflict, "crisis.closed")
		}
		if err := s.open(inc); err != nil {
			return err
		}
		var changed, lines []string
		for _, f := range []struct{ name, old, new string }{{"location", inc.Location, d.Location},
			{"description", inc.Description, d.Description}, {"callback", inc.Callback, d.Callback}} {
			if f.old != f.new {
				changed = append(changed, f.name)
				lines = append(lines, f.name+": "+f.new)
			}
		}
		if d.Risk != inc.Risk {
			changed = append(changed, "risk")
		}
		if len(changed) == 0 {
			return nil
		}
		if err := s.writeDetails(ctx, tx, id, d); err != nil {
			return err
		}
		detail := "changed=" + strings.Join(changed, ",") + " risk_level=" + d.Risk.Level()
		if _, err := s.addStep(ctx, tx, p, m, id, step{kind: "details", from: inc.State, detail: detail + " " + d.Risk.Codes(),
			note: strings.Join(lines, "\n")}); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "incident.details", id, detail)
	})
}

// GuardianDecision is whether the guardian was told, when and by whom, and
// if not, why not (sealed; for example when the guardian may be the source
// of harm).
type GuardianDecision struct {
	Notified   bool
	NotifiedAt time.Time
	WhyNot     string
	ByID       int64
	ByName     string
	At         time.Time
}

func guardianAAD(id, at int64) string {
	return "incident_guardian:" + itoa(id) + ":" + itoa(at) + ":why_not"
}

// RecordGuardian records the guardian decision; the latest counts, and an
// incident cannot close without one. Notified needs the time (not in the
// future; zero: now); not notified needs the reason. The caller needs
// crisis.handle.
func (s *Service) RecordGuardian(ctx context.Context, p access.Principal, id int64, g GuardianDecision) error {
	g.WhyNot = strings.TrimSpace(g.WhyNot)
	now := s.now()
	if g.Notified && g.NotifiedAt.IsZero() {
		g.NotifiedAt = now
	}
	switch {
	case g.Notified && g.NotifiedAt.After(now):
		return apperr.Invalid("form.invalid", map[string]string{"notified_at": "form.bad_date"})
	case !g.Notified && g.WhyNot == "":
		return apperr.Invalid("form.invalid", map[string]string{"why_not": "crisis.why_not_needed"})
	case len(g.WhyNot) > 4000:
		return apperr.Invalid("form.invalid", map[string]string{"why_not": "form.too_long"})
	}
	if !g.Notified {
		g.NotifiedAt = time.Time{}
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		inc, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		m, err := inc.handler(p)
		if err != nil {
			return err
		}
		if inc.State == Closed {
			return apperr.New(apperr.EConflict, "crisis.closed")
		}
		at := db.Micro(now)
		why, err := s.seal(g.WhyNot, guardianAAD(id, at))
		if err != nil {
			return err
		}
		notifiedAt := int64(0)
		if g.Notified {
			notifiedAt = db.Micro(g.NotifiedAt)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO incident_guardian (incident_id, notified, notified_at, recorded_by, recorded_at, why_not)
			VALUES (?, ?, ?, ?, ?, ?)`, id, db.Bool(g.Notified), notifiedAt, p.UserID, at, why); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "incident.guardian", id, "notified="+itoa(int64(db.Bool(g.Notified))))
	})
}

// Review is the case review (个案复盘): what happened, what worked, what to
// change; each sealed.
type Review struct {
	WhatHappened, WhatWorked, WhatToChange string
	AuthorID                               int64
	AuthorName                             string
	At                                     time.Time
}

func reviewAAD(stepID int64, col string) string {
	return "incident_reviews:" + itoa(stepID) + ":" + col
}

// writeReview stores the review written with the step into reviewed, and
// tells the owner of the child's open case, so that the support plan takes
// up what the review found.
func (s *Service) writeReview(ctx context.Context, tx *db.Tx, p access.Principal, inc *Incident, stepID int64, r Review) error {
	var sealed [3][]byte
	for i, v := range []string{r.WhatHappened, r.WhatWorked, r.WhatToChange} {
		b, err := s.seal(v, reviewAAD(stepID, []string{"what_happened", "what_worked", "what_to_change"}[i]))
		if err != nil {
			return err
		}
		sealed[i] = b
	}
	if _, err := tx.Exec(ctx, `INSERT INTO incident_reviews (incident_id, step_id, author_id, at, what_happened, what_worked, what_to_change)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, inc.ID, stepID, p.UserID, db.Micro(s.now()), sealed[0], sealed[1], sealed[2]); err != nil {
		return err
	}
	return s.tellCaseOwner(ctx, tx, inc, p.UserID, "incident.reviewed")
}
