package main

import (
	"context"
	"fmt"

	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// verdict is what the database holds after the load, checked directly.
type verdict struct {
	Students          int      `json:"students"`             // warm-up and measured submissions sent
	Responses         int64    `json:"responses"`            // rows in responses
	ResponsesExpected int64    `json:"responses_expected"`   // students × instruments
	StudentsNotTwo    int64    `json:"students_not_two"`     // students with other than one response per instrument
	Completed         int64    `json:"completed_events"`     // screening.completed outbox rows
	CompletedStudents int64    `json:"completed_students"`   // distinct students among them
	Critical          int64    `json:"critical_events"`      // screening.critical outbox rows
	CriticalExpected  int      `json:"critical_expected"`    // students whose answers hit a critical rule
	CampaignCompleted int64    `json:"campaign_completed"`   // campaign_students in state completed
	AuditEntries      int64    `json:"audit_entries"`        // entries whose hash chain verified
	AuditSubmits      int64    `json:"audit_submit_entries"` // screening.submit entries
	AuditOK           bool     `json:"audit_ok"`
	OK                bool     `json:"ok"`
	Problems          []string `json:"problems,omitempty"`
}

// verify counts, in the database itself, that every submission was
// recorded exactly once with its event and audit entry, and that the audit
// chain verifies.
func verify(ctx context.Context, d *db.DB, campaignID int64, students, critical int) (*verdict, error) {
	v := &verdict{Students: students, CriticalExpected: critical, ResponsesExpected: int64(students * len(battery))}
	err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		queries := []struct {
			dst  *int64
			q    string
			args []any
		}{
			{&v.Responses, `SELECT COUNT(*) FROM responses WHERE campaign_id = ?`, []any{campaignID}},
			{&v.StudentsNotTwo, `SELECT COUNT(*) FROM (SELECT student_id FROM responses WHERE campaign_id = ?
				GROUP BY student_id HAVING COUNT(*) <> ?) x`, []any{campaignID, len(battery)}},
			{&v.Completed, `SELECT COUNT(*) FROM outbox WHERE kind = 'screening.completed' AND ref_id = ?`, []any{campaignID}},
			{&v.CompletedStudents, `SELECT COUNT(DISTINCT student_id) FROM outbox WHERE kind = 'screening.completed' AND ref_id = ?`, []any{campaignID}},
			{&v.Critical, `SELECT COUNT(*) FROM outbox WHERE kind = 'screening.critical' AND ref_id = ?`, []any{campaignID}},
			{&v.CampaignCompleted, `SELECT COUNT(*) FROM campaign_students WHERE campaign_id = ? AND state = 'completed'`, []any{campaignID}},
			{&v.AuditSubmits, `SELECT COUNT(*) FROM audit_log WHERE action = 'screening.submit'`, nil},
		}
		for _, q := range queries {
			if err := tx.QueryRow(ctx, q.q, q.args...).Scan(q.dst); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	good, problem, err := audit.Verify(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("audit verify: %w", err)
	}
	v.AuditEntries, v.AuditOK = good, problem == nil
	n := int64(students)
	check := func(ok bool, format string, args ...any) {
		if !ok {
			v.Problems = append(v.Problems, fmt.Sprintf(format, args...))
		}
	}
	check(v.Responses == v.ResponsesExpected, "%d responses, expected %d", v.Responses, v.ResponsesExpected)
	check(v.StudentsNotTwo == 0, "%d students without exactly one response per instrument", v.StudentsNotTwo)
	check(v.Completed == n && v.CompletedStudents == n, "%d screening.completed events for %d students, expected %d",
		v.Completed, v.CompletedStudents, n)
	check(v.Critical == int64(critical), "%d screening.critical events, expected %d", v.Critical, critical)
	check(v.CampaignCompleted == n, "%d students completed in the campaign, expected %d", v.CampaignCompleted, n)
	check(v.AuditSubmits == n, "%d screening.submit audit entries, expected %d", v.AuditSubmits, n)
	if problem != nil {
		v.Problems = append(v.Problems, problem.Error())
	}
	v.OK = len(v.Problems) == 0
	return v, nil
}
