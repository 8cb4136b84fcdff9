package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/workforce"
)

// wireWorkforce builds the workforce service, registers its daily
// certification check (scheduled once per day, whatever the number of
// starts) and gives care the lapse rule.
func (e *env) wireWorkforce(ctx context.Context) error {
	e.workforce = &workforce.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Jobs: e.jobs, Notify: e.notify}
	jobs.Handle(e.jobs, &workforce.ExpiryWorker{S: e.workforce})
	if e.care != nil {
		e.care.NotesBarred = e.workforce.NotesBarred
	}
	return e.workforce.ScheduleCheck(ctx)
}

// demoWorkforce loads the demo's registry: the counsellor account as a
// full-time psychology teacher of Xuanwu Experimental Primary School, a
// part-time teacher at Qinhuai Middle School, the hotline counsellor (a
// volunteer, with a certification expiring in 30 days), the supervisor
// (core team, senior) and an expert. Gulou Senior High School and Xuanwu
// No. 1 Middle School have no teacher: the coverage page shows the gaps.
func (e *env) demoWorkforce(ctx context.Context, ids map[string]int64, stdout io.Writer) error {
	var rootPath string
	var rootID int64
	if err := e.db.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT id, path FROM org_units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&rootID, &rootPath)
	}); err != nil {
		return err
	}
	sys := access.Principal{UserID: -1, Memberships: []access.Membership{{OrgID: rootID, OrgPath: rootPath, Role: access.Coordinator}}}
	now := time.Now()
	people := []struct {
		entry workforce.Entry
		level string
		body  string
		from  time.Time
		to    time.Time
	}{
		{workforce.Entry{UnitID: ids["Xuanwu Experimental Primary School"], Name: "刘老师", Kind: workforce.KindTeacherFull, Tier: "core",
			Username: "counsellor", Qualifications: []string{"心理学学士", "中小学心理健康教育教师资格"}}, "intermediate", "江苏省教育厅",
			now.AddDate(-2, 0, 0), now.AddDate(3, 0, 0)},
		{workforce.Entry{UnitID: ids["Qinhuai Middle School"], Name: "马老师", Kind: workforce.KindTeacherPart, Tier: "none",
			Qualifications: []string{"心理健康教育 C 证"}}, "", "", time.Time{}, time.Time{}},
		{workforce.Entry{UnitID: ids["Xuanwu Branch"], Name: "吴咨询", Kind: "hotline_counsellor", Tier: "volunteer",
			Username: "hotline", Qualifications: []string{"热线咨询员培训结业"}}, "intermediate", "南京市心理卫生协会",
			now.AddDate(-3, 0, 0), now.AddDate(0, 0, 30)},
		{workforce.Entry{UnitID: ids["Teacher Tao Hotline Station"], Name: "郑督导", Kind: "hotline_counsellor", Tier: "core",
			Username: "supervisor", Qualifications: []string{"应用心理学硕士", "注册督导师"}}, "senior", "中国心理学会",
			now.AddDate(-1, 0, 0), now.AddDate(4, 0, 0)},
		{workforce.Entry{UnitID: ids["City Growth-Guidance Centre"], Name: "黄教授", Kind: "expert", Tier: "expert",
			Qualifications: []string{"精神科主任医师", "儿童青少年心理"}}, "senior", "中国心理学会", now.AddDate(-5, 0, 0), now.AddDate(1, 0, 0)},
	}
	for _, pr := range people {
		id, err := e.workforce.AddPerson(ctx, sys, pr.entry)
		if err != nil {
			return fmt.Errorf("registry %s: %w", pr.entry.Name, err)
		}
		if pr.level == "" {
			continue
		}
		if _, err := e.workforce.AddCert(ctx, sys, id, workforce.NewCert{Level: pr.level, Body: pr.body, Issued: pr.from, Expires: pr.to}); err != nil {
			return fmt.Errorf("certification of %s: %w", pr.entry.Name, err)
		}
	}
	fmt.Fprintf(stdout, "Demo workforce registry: %d people.\n", len(people))
	return nil
}
