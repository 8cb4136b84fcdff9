package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
)

// worklistData is what the seed made: the owners (one counsellor per school)
// and the one who holds the most open items.
type worklistData struct {
	students     int
	owners       []owner
	busiest      owner
	busiestItems int
}

type owner struct {
	userID, schoolID int64
	path             string
}

func (w *worklistData) principal(o owner) access.Principal {
	return access.Principal{UserID: o.userID, Memberships: []access.Membership{{OrgID: o.schoolID, OrgPath: o.path, Role: access.SchoolCounsellor}}}
}

// insertRows inserts n rows of cols into table, 500 rows a statement and
// 50,000 a transaction.
func insertRows(ctx context.Context, d *db.DB, table string, cols []string, n int, row func(i int) []any) error {
	const per, perTx = 500, 50000
	for start := 0; start < n; start += perTx {
		end := min(n, start+perTx)
		err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
			for s := start; s < end; s += per {
				e := min(end, s+per)
				args := make([]any, 0, (e-s)*len(cols))
				for i := s; i < e; i++ {
					args = append(args, row(i)...)
				}
				q := placeholders("INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES ", e-s, len(cols))
				if _, err := tx.Exec(ctx, q, args...); err != nil {
					return fmt.Errorf("%s: %w", table, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// seedWorklist makes a city of districts and schools of 1,000 students, a
// counsellor per school, and items open items: alerts (acknowledged or
// not), follow-ups of open cases, plans due for review and review tasks,
// owned by the counsellor of the student's school, except one owner in
// twenty items who is the busiest; plus as many closed alerts as open
// items, so that the indexes hold history too.
func seedWorklist(ctx context.Context, d *db.DB, students, items int) (*worklistData, error) {
	now := time.Now()
	us := db.Micro(now)
	schools := max(1, students/1000)
	w := &worklistData{students: students}
	var root int64
	err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		if root, err = tx.InsertID(ctx, `INSERT INTO org_units (kind, name, created_at, updated_at) VALUES ('city', 'City', ?, ?)`, us, us); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE org_units SET path = ? WHERE id = ?`, "/"+strconv.FormatInt(root, 10)+"/", root); err != nil {
			return err
		}
		districts := map[int]int64{}
		for s := range schools {
			dn := s % 10
			if _, ok := districts[dn]; !ok {
				id, err := tx.InsertID(ctx, `INSERT INTO org_units (kind, name, parent_id, depth, created_at, updated_at) VALUES ('district', ?, ?, 1, ?, ?)`,
					"District "+strconv.Itoa(dn), root, us, us)
				if err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `UPDATE org_units SET path = ? WHERE id = ?`, fmt.Sprintf("/%d/%d/", root, id), id); err != nil {
					return err
				}
				districts[dn] = id
			}
			dist := districts[dn]
			sid, err := tx.InsertID(ctx, `INSERT INTO org_units (kind, name, parent_id, depth, created_at, updated_at) VALUES ('school', ?, ?, 2, ?, ?)`,
				"School "+strconv.Itoa(s), dist, us, us)
			if err != nil {
				return err
			}
			path := fmt.Sprintf("/%d/%d/%d/", root, dist, sid)
			if _, err := tx.Exec(ctx, `UPDATE org_units SET path = ? WHERE id = ?`, path, sid); err != nil {
				return err
			}
			uid, err := tx.InsertID(ctx, `INSERT INTO users (username, display_name, password_hash, password_changed_at, created_at) VALUES (?, ?, 'x', ?, ?)`,
				"counsellor"+strconv.Itoa(s), "Counsellor "+strconv.Itoa(s), us, us)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO memberships (user_id, org_unit_id, role, created_at) VALUES (?, ?, ?, ?)`,
				uid, sid, access.SchoolCounsellor, us); err != nil {
				return err
			}
			w.owners = append(w.owners, owner{userID: uid, schoolID: sid, path: path})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	w.busiest = w.owners[0]
	// Students: school k holds students k*1000+1 .. (k+1)*1000, in order of id.
	err = insertRows(ctx, d, "students", []string{"student_no", "name", "name_initials", "gender", "birth_date", "school_id", "grade",
		"class_name", "created_at", "updated_at"}, students, func(i int) []any {
		o := w.owners[min(i/1000, len(w.owners)-1)]
		return []any{fmt.Sprintf("G%09d", i+1), "学生" + strconv.Itoa(i+1), "xs", "female", "2012-05-01", o.schoolID, 7 + i%3,
			strconv.Itoa(1 + i%8), us, us}
	})
	if err != nil {
		return nil, err
	}
	ownerOf := func(i int) owner {
		if i%20 == 0 {
			return w.busiest
		}
		return w.owners[min(i/1000, len(w.owners)-1)]
	}
	// Each kind of item uses its own students (one open alert and one open
	// case per student): the student of item i of a kind is
	// spread evenly over every school (of n items of the kind).
	student := func(kind, i, n int) int64 { return int64((i*max(1, students/n)+kind)%students + 1) }
	nAlerts, nFollow, nPlans := items*40/100, items*25/100, items*15/100
	nTasks := items - nAlerts - nFollow - nPlans
	hour := int64(time.Hour / time.Microsecond)
	err = insertRows(ctx, d, "alerts", []string{"student_id", "school_id", "level", "state", "owner_user_id", "owner_org_id", "signal_at",
		"raised_at", "ack_due_at", "contact_due_at", "acknowledged_at", "closed_at"}, 2*nAlerts, func(i int) []any {
		open := i < nAlerts
		sid := student(0, i%nAlerts, nAlerts)
		o := ownerOf(int(sid - 1))
		raised := us - int64(i%500)*hour
		acked, closed := int64(0), int64(0)
		if i%3 == 0 {
			acked = raised + hour
		}
		if !open {
			closed = raised + 2*hour
			sid = student(1, i%nAlerts, nAlerts) // history on other students
		}
		return []any{sid, o.schoolID, []string{"red", "orange", "yellow"}[i%3], "open", o.userID, o.schoolID, raised, raised, raised + hour/4,
			raised + 48*hour, acked, closed}
	})
	if err != nil {
		return nil, err
	}
	nCases := nFollow + nPlans
	err = insertRows(ctx, d, "cases", []string{"student_id", "state", "owner_user_id", "opened_at", "opened_by"}, nCases, func(i int) []any {
		sid := student(2, i, nCases)
		return []any{sid, "open", ownerOf(int(sid - 1)).userID, us, 1}
	})
	if err != nil {
		return nil, err
	}
	var firstCase int64
	if err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT MIN(id) FROM cases`).Scan(&firstCase)
	}); err != nil {
		return nil, err
	}
	err = insertRows(ctx, d, "support_plans", []string{"case_id", "version", "body", "frequency", "next_review_at", "author_id", "created_at"},
		nCases, func(i int) []any {
			review := us + int64(30*24)*hour // not due
			if i >= nFollow {
				review = us + int64(i%96)*hour // due within the window
			}
			return []any{firstCase + int64(i), 1, []byte{0}, "weekly", review, 1, us}
		})
	if err != nil {
		return nil, err
	}
	err = insertRows(ctx, d, "follow_ups", []string{"case_id", "student_id", "owner_id", "kind", "due_at", "created_at"}, nFollow, func(i int) []any {
		sid := student(2, i, nCases)
		return []any{firstCase + int64(i), sid, ownerOf(int(sid - 1)).userID, "student", us + int64(i%200-100)*hour, us}
	})
	if err != nil {
		return nil, err
	}
	err = insertRows(ctx, d, "tasks", []string{"student_id", "kind", "owner_id", "due_at", "created_at"}, nTasks, func(i int) []any {
		sid := student(3, i, nTasks)
		return []any{sid, "plan_change", ownerOf(int(sid - 1)).userID, us + int64(i%300)*hour, us}
	})
	if err != nil {
		return nil, err
	}
	if d.Dialect == db.Postgres {
		if _, err := d.Exec(ctx, `ANALYZE`); err != nil {
			return nil, err
		}
	} else if _, err := d.Exec(ctx, `ANALYZE`); err != nil {
		return nil, err
	}
	return w, d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var a, f, t int
		id := w.busiest.userID
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM alerts WHERE owner_user_id = ? AND closed_at = 0`, id).Scan(&a); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM follow_ups WHERE owner_id = ? AND done_at = 0`, id).Scan(&f); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM tasks WHERE owner_id = ? AND done_at = 0`, id).Scan(&t); err != nil {
			return err
		}
		w.busiestItems = a + f + t
		return nil
	})
}
