package care

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
)

// Kinds of review, decisions a review takes per student, and the tiers a
// tier change may set.
var (
	ReviewKinds     = []string{"regular", "case_review"}
	ReviewDecisions = []string{"keep", "tier_change", "plan_change", "referral", "close"}
	reviewTiers     = []string{"green", "yellow", "orange", "red"}
)

// Review is a risk review (研判) or a case review after a crisis (个案复盘):
// a meeting of a unit with attendees, sealed minutes and a decision per
// student. Every decision other than keep becomes a task.
type Review struct {
	ID, OrgUnitID int64
	Kind          string // regular, case_review
	HeldAt        time.Time
	Attendees     []int64 // user ids
	Minutes       string  // sealed in the database; only FindReview opens it
	Decisions     []ReviewDecision
	DecisionCount int // filled by FindReviews, which leaves Decisions empty
	CreatedBy     int64
	CreatedAt     time.Time
}

// ReviewDecision is a review's decision about one student. TaskOwner and
// TaskDue are required unless the decision is keep; on reads TaskID and
// TaskDone describe the task it became.
type ReviewDecision struct {
	StudentID   int64
	StudentName string // filled on reads
	Decision    string // keep, tier_change, plan_change, referral, close
	NewTier     string // for tier_change: green, yellow, orange, red
	TaskOwner   int64
	TaskDue     time.Time
	TaskID      int64
	TaskDone    time.Time
}

func reviewMinutesAAD(id int64) string { return "risk_reviews:" + itoa(id) + ":minutes" }

// fieldProblem notes key for field when bad, keeping the field's first problem.
func fieldProblem(f map[string]string, bad bool, field, key string) {
	if bad && f[field] == "" {
		f[field] = key
	}
}

// unitFor returns the path of a unit (an active one to write) and the
// caller's membership holding perm over it (EForbidden without one).
func unitFor(ctx context.Context, tx *db.Tx, p access.Principal, perm access.Permission, unitID int64, write bool) (string, access.Membership, error) {
	var path string
	if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ? AND active >= ?`, unitID, db.Bool(write)).Scan(&path); err != nil {
		return "", access.Membership{}, err
	}
	m, ok := p.At(perm, path)
	if !ok {
		return "", m, apperr.Forbidden()
	}
	return path, m, nil
}

// eachRow runs a query and calls scan for every row; the rows are closed
// before it returns, so the transaction may run the next statement.
func eachRow(ctx context.Context, tx *db.Tx, q string, args []any, scan func(sc func(...any) error) error) error {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows.Scan); err != nil {
			return apperr.Internal(err)
		}
	}
	return apperr.Internal(rows.Err())
}

// usersExist reports whether every id names a user (an active one if active).
func usersExist(ctx context.Context, tx *db.Tx, ids []int64, active bool) (bool, error) {
	q, args := `SELECT COUNT(*) FROM users WHERE active >= ? AND id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, []any{db.Bool(active)}
	for _, id := range ids {
		args = append(args, id)
	}
	var n int
	err := tx.QueryRow(ctx, q, args...).Scan(&n)
	return n == len(ids), err
}

func (s *Service) checkReview(r *Review) error {
	r.Minutes = strings.TrimSpace(r.Minutes)
	slices.Sort(r.Attendees)
	r.Attendees = slices.Compact(r.Attendees)
	f := map[string]string{}
	fieldProblem(f, !slices.Contains(ReviewKinds, r.Kind), "kind", "form.invalid")
	fieldProblem(f, r.HeldAt.IsZero() || r.HeldAt.After(s.now().Add(time.Hour)), "held_at", "form.bad_date")
	fieldProblem(f, len(r.Attendees) == 0, "attendees", "form.required")
	fieldProblem(f, len([]rune(r.Minutes)) > 50000, "minutes", "form.too_long")
	seen := map[int64]bool{}
	for i, d := range r.Decisions {
		k := "decisions[" + strconv.Itoa(i) + "]."
		fieldProblem(f, d.StudentID <= 0, k+"student_id", "form.required")
		fieldProblem(f, seen[d.StudentID], k+"student_id", "review.duplicate_student")
		seen[d.StudentID] = true
		fieldProblem(f, !slices.Contains(ReviewDecisions, d.Decision), k+"decision", "form.invalid")
		fieldProblem(f, d.Decision == "tier_change" && !slices.Contains(reviewTiers, d.NewTier), k+"new_tier", "form.required")
		if d.Decision != "keep" {
			fieldProblem(f, d.TaskOwner <= 0, k+"task_owner", "form.required")
			fieldProblem(f, d.TaskDue.IsZero(), k+"task_due", "form.required")
			fieldProblem(f, !d.TaskDue.IsZero() && d.TaskDue.Before(r.HeldAt), k+"task_due", "form.bad_date")
		}
	}
	if len(f) > 0 {
		return apperr.Invalid("form.invalid", f)
	}
	return nil
}

// HoldReview records a review held by the unit, in one transaction: the
// review with sealed minutes; each decision (one per student, who must be
// reachable with review.manage and at a school in the unit's subtree); a
// tier change applied to student_tiers with a "tier_change" event; for
// every decision other than keep a task with its owner (an active user)
// and due date, and a "task.assigned" notification to the owner. The
// caller needs review.manage at the unit.
func (s *Service) HoldReview(ctx context.Context, p access.Principal, r Review) (int64, error) {
	if err := s.checkReview(&r); err != nil {
		return 0, err
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		path, m, err := unitFor(ctx, tx, p, access.ReviewManage, r.OrgUnitID, true)
		if err != nil {
			return err
		}
		if ok, err := usersExist(ctx, tx, r.Attendees, false); err != nil {
			return err
		} else if !ok {
			return apperr.Invalid("form.invalid", map[string]string{"attendees": "form.invalid"})
		}
		attendees := make([]string, len(r.Attendees))
		for i, u := range r.Attendees {
			attendees[i] = itoa(u)
		}
		now := db.Micro(s.now())
		if id, err = tx.InsertID(ctx, `INSERT INTO risk_reviews (org_unit_id, kind, held_at, attendees, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, r.OrgUnitID, r.Kind, db.Micro(r.HeldAt), strings.Join(attendees, " "), p.UserID, now); err != nil {
			return err
		}
		if r.Minutes != "" {
			sealed, err := s.Seal.Seal([]byte(r.Minutes), reviewMinutesAAD(id))
			if err != nil {
				return apperr.Internal(err)
			}
			if _, err := tx.Exec(ctx, `UPDATE risk_reviews SET minutes = ? WHERE id = ?`, sealed, id); err != nil {
				return err
			}
		}
		tasks := 0
		for i, d := range r.Decisions {
			k := "decisions[" + strconv.Itoa(i) + "]."
			_, spath, err := studentAt(ctx, tx, p, access.ReviewManage, d.StudentID)
			if err != nil && apperr.CodeOf(err) != apperr.ENotFound {
				return err
			}
			if err != nil || !strings.HasPrefix(spath, path) {
				return apperr.Invalid("form.invalid", map[string]string{k + "student_id": "review.student_out_of_unit"})
			}
			if _, err := tx.Exec(ctx, `INSERT INTO review_decisions (review_id, student_id, decision, new_tier) VALUES (?, ?, ?, ?)`,
				id, d.StudentID, d.Decision, d.NewTier); err != nil {
				return err
			}
			if d.Decision == "tier_change" {
				if err := s.changeTier(ctx, tx, p, id, r.OrgUnitID, d, now); err != nil {
					return err
				}
			}
			if d.Decision == "keep" {
				continue
			}
			if ok, err := usersExist(ctx, tx, []int64{d.TaskOwner}, true); err != nil {
				return err
			} else if !ok {
				return apperr.Invalid("form.invalid", map[string]string{k + "task_owner": "review.bad_owner"})
			}
			task, err := tx.InsertID(ctx, `INSERT INTO tasks (review_id, student_id, kind, owner_id, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				id, d.StudentID, d.Decision, d.TaskOwner, db.Micro(d.TaskDue), now)
			if err != nil {
				return err
			}
			if s.Notify != nil {
				if err := s.Notify.Send(ctx, tx, d.TaskOwner, notify.Note{Kind: "task.assigned", RefType: "task", RefID: task}); err != nil {
					return err
				}
			}
			tasks++
		}
		return s.record(ctx, tx, p, m, "review.hold", "risk_review", id,
			"kind="+r.Kind+" decisions="+strconv.Itoa(len(r.Decisions))+" tasks="+strconv.Itoa(tasks))
	})
	return id, err
}

// changeTier applies a review's tier change and notes it on the timeline.
// The critical mark and the source campaign of the tier row are kept.
func (s *Service) changeTier(ctx context.Context, tx *db.Tx, p access.Principal, reviewID, unitID int64, d ReviewDecision, now int64) error {
	var old string
	if err := tx.QueryRow(ctx, `SELECT tier FROM student_tiers WHERE student_id = ?`, d.StudentID).Scan(&old); err != nil && apperr.CodeOf(err) != apperr.ENotFound {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO student_tiers (student_id, tier, critical, campaign_id, at) VALUES (?, ?, 0, 0, ?)
		ON CONFLICT (student_id) DO UPDATE SET tier = excluded.tier, at = excluded.at`, d.StudentID, d.NewTier, now); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, actor_user_id, org_unit_id, detail) VALUES (?, ?, 'tier_change', ?, ?, ?)`,
		d.StudentID, now, p.UserID, unitID, "review="+itoa(reviewID)+" from="+old+" to="+d.NewTier)
	return err
}

// CompleteTask marks a review's task done. The task's owner may, and so
// may a caller with review.manage over the student's current school;
// completing a done task again changes nothing.
func (s *Service) CompleteTask(ctx context.Context, p access.Principal, id int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var owner, student, done int64
		var path string
		if err := tx.QueryRow(ctx, `SELECT t.owner_id, t.student_id, t.done_at, o.path FROM tasks t JOIN students st ON st.id = t.student_id
			JOIN org_units o ON o.id = st.school_id WHERE t.id = ?`, id).Scan(&owner, &student, &done, &path); err != nil {
			return err
		}
		m, ok := p.At(access.ReviewManage, path)
		if !ok && (p.UserID == 0 || owner != p.UserID) {
			return apperr.NotFound()
		}
		if !ok && len(p.Memberships) > 0 {
			m = p.Memberships[0]
		}
		if done != 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE tasks SET done_at = ? WHERE id = ? AND done_at = 0`, db.Micro(s.now()), id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "task.complete", "task", id, "student="+itoa(student))
	})
}

func scanReview(sc func(...any) error, r *Review, extra ...any) error {
	var held, created int64
	var attendees string
	if err := sc(append([]any{&r.ID, &r.OrgUnitID, &r.Kind, &held, &attendees, &r.CreatedBy, &created}, extra...)...); err != nil {
		return err
	}
	r.HeldAt, r.CreatedAt = db.FromMicro(held), db.FromMicro(created)
	for _, f := range strings.Fields(attendees) {
		if n, err := strconv.ParseInt(f, 10, 64); err == nil {
			r.Attendees = append(r.Attendees, n)
		}
	}
	return nil
}

const reviewColumns = `r.id, r.org_unit_id, r.kind, r.held_at, r.attendees, r.created_by, r.created_at`

// FindReviews lists the reviews held by the unit and the units of its
// subtree, newest first, without minutes or decisions (only how many
// decisions each took: DecisionCount). The caller needs
// review.manage at the unit.
func (s *Service) FindReviews(ctx context.Context, p access.Principal, orgUnitID int64) ([]Review, error) {
	var out []Review
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		path, _, err := unitFor(ctx, tx, p, access.ReviewManage, orgUnitID, false)
		if err != nil {
			return err
		}
		return eachRow(ctx, tx, `SELECT `+reviewColumns+`, (SELECT COUNT(*) FROM review_decisions d WHERE d.review_id = r.id)
			FROM risk_reviews r JOIN org_units o ON o.id = r.org_unit_id
			WHERE o.path >= ? AND o.path < ? ORDER BY r.held_at DESC, r.id DESC`, []any{path, access.SubtreeEnd(path)},
			func(sc func(...any) error) error {
				var r Review
				err := scanReview(sc, &r, &r.DecisionCount)
				out = append(out, r)
				return err
			})
	})
	return out, err
}

// FindReview returns a review with its minutes opened and its decisions
// with the students' names and their tasks. The caller needs review.manage
// at the review's unit; the read is audited.
func (s *Service) FindReview(ctx context.Context, p access.Principal, id int64) (*Review, error) {
	var r Review
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var minutes []byte
		var path string
		row := tx.QueryRow(ctx, `SELECT `+reviewColumns+`, r.minutes, o.path FROM risk_reviews r JOIN org_units o ON o.id = r.org_unit_id
			WHERE r.id = ?`, id)
		if err := scanReview(row.Scan, &r, &minutes, &path); err != nil {
			return err
		}
		m, ok := p.At(access.ReviewManage, path)
		if !ok {
			return apperr.NotFound()
		}
		if len(minutes) > 0 {
			plain, err := s.Seal.Open(minutes, reviewMinutesAAD(id))
			if err != nil {
				return apperr.Internal(err)
			}
			r.Minutes = string(plain)
		}
		err := eachRow(ctx, tx, `SELECT d.student_id, st.name, d.decision, d.new_tier, COALESCE(t.id, 0), COALESCE(t.owner_id, 0),
			COALESCE(t.due_at, 0), COALESCE(t.done_at, 0) FROM review_decisions d JOIN students st ON st.id = d.student_id
			LEFT JOIN tasks t ON t.review_id = d.review_id AND t.student_id = d.student_id WHERE d.review_id = ? ORDER BY d.id`,
			[]any{id}, func(sc func(...any) error) error {
				var d ReviewDecision
				var due, done int64
				err := sc(&d.StudentID, &d.StudentName, &d.Decision, &d.NewTier, &d.TaskID, &d.TaskOwner, &due, &done)
				d.TaskDue, d.TaskDone = db.FromMicro(due), db.FromMicro(done)
				r.Decisions = append(r.Decisions, d)
				return err
			})
		if err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "review.read", "risk_review", id, "decisions="+strconv.Itoa(len(r.Decisions)))
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}
