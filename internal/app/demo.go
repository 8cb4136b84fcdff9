package app

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
)

// DemoPassword is the password of every demo account. Demo mode only.
const DemoPassword = "Careloop-Demo-2026"

type demoUnit struct {
	kind     org.Kind
	name, en string
	children []demoUnit
}

// demoNetwork is a small, fictitious city shaped like the seed's Nanjing:
// a city guidance centre, districts with their centres, schools and
// community stations, the hotline station with district branches, a
// hospital, the police dispatch centre and the partner agencies.
var demoNetwork = []demoUnit{
	{org.GuidanceCentre, "市未成年人成长指导中心", "City Growth-Guidance Centre", nil},
	{org.District, "玄武区", "Xuanwu District", []demoUnit{
		{org.GuidanceCentre, "玄武区未成年人成长指导中心", "Xuanwu Guidance Centre", nil},
		{org.School, "玄武实验小学", "Xuanwu Experimental Primary School", nil},
		{org.School, "玄武第一中学", "Xuanwu No. 1 Middle School", nil},
		{org.CommunityStation, "梅园社区校外教育辅导站", "Meiyuan Community Station", nil},
	}},
	{org.District, "秦淮区", "Qinhuai District", []demoUnit{
		{org.GuidanceCentre, "秦淮区未成年人成长指导中心", "Qinhuai Guidance Centre", nil},
		{org.School, "秦淮中学", "Qinhuai Middle School", nil},
		{org.CommunityStation, "夫子庙社区校外教育辅导站", "Fuzimiao Community Station", nil},
	}},
	{org.District, "鼓楼区", "Gulou District", []demoUnit{
		{org.School, "鼓楼高级中学", "Gulou Senior High School", nil},
	}},
	{org.HotlineStation, "陶老师工作站", "Teacher Tao Hotline Station", []demoUnit{
		{org.HotlineStation, "玄武分站", "Xuanwu Branch", nil},
		{org.HotlineStation, "秦淮分站", "Qinhuai Branch", nil},
	}},
	{org.Hospital, "市脑科医院", "City Brain Hospital", nil},
	{org.Police, "市公安局 110 指挥中心", "Police 110 Dispatch Centre", nil},
	{org.Agency, "市教育局", "Education Bureau", nil},
	{org.Agency, "市民政局", "Civil Affairs Bureau", nil},
	{org.Agency, "市妇联", "Women's Federation", nil},
	{org.Agency, "团市委", "Youth League Committee", nil},
	{org.Agency, "市卫健委", "Health Commission", nil},
	{org.Agency, "市文明办", "Civilization Office", nil},
}

// demoAccounts gives one account per role: username, display name, role,
// and the English name of the unit the role is held in.
var demoAccounts = []struct{ username, name, role, unit string }{
	{"admin", "王管理 (Admin)", access.SysAdmin, "Nanjing (demo)"},
	{"security", "李安全 (Security)", access.SecurityAdmin, "Nanjing (demo)"},
	{"auditor", "赵审计 (Auditor)", access.Auditor, "Nanjing (demo)"},
	{"city.coord", "陈指导 (City coordinator)", access.Coordinator, "City Growth-Guidance Centre"},
	{"xuanwu.coord", "周指导 (District coordinator)", access.Coordinator, "Xuanwu District"},
	{"counsellor", "刘老师 (School counsellor)", access.SchoolCounsellor, "Xuanwu Experimental Primary School"},
	{"headteacher", "孙老师 (Head teacher)", access.HeadTeacher, "Xuanwu Experimental Primary School"},
	{"leader", "钱校长 (School leader)", access.SchoolLeader, "Xuanwu Experimental Primary School"},
	{"community", "钟主任 (Community worker)", access.CommunityWorker, "Meiyuan Community Station"},
	{"hotline", "吴咨询 (Hotline counsellor)", access.HotlineCounsellor, "Xuanwu Branch"},
	{"supervisor", "郑督导 (Hotline supervisor)", access.HotlineSupervisor, "Teacher Tao Hotline Station"},
	{"hospital", "冯医生 (Hospital liaison)", access.HospitalLiaison, "City Brain Hospital"},
	{"police", "何警官 (Police liaison)", access.PoliceLiaison, "Police 110 Dispatch Centre"},
	{"researcher", "徐研究 (Researcher)", access.Researcher, "Nanjing (demo)"},
}

// loadDemo creates the demo network and accounts and prints them.
func loadDemo(ctx context.Context, e *env, stdout io.Writer) error {
	root, err := e.org.CreateRoot(ctx, "南京市（演示）", "Nanjing (demo)")
	if err != nil {
		return err
	}
	ids := map[string]int64{root.NameEn: root.ID}
	sys := access.Principal{UserID: -1, Memberships: []access.Membership{{OrgID: root.ID, OrgPath: root.Path, Role: access.SysAdmin}}}
	var add func(parent int64, units []demoUnit) error
	add = func(parent int64, units []demoUnit) error {
		for _, u := range units {
			created, err := e.org.CreateUnit(ctx, sys, org.NewUnit{Kind: u.kind, Name: u.name, NameEn: u.en, ParentID: parent})
			if err != nil {
				return err
			}
			ids[u.en] = created.ID
			if err := add(created.ID, u.children); err != nil {
				return err
			}
		}
		return nil
	}
	if err := add(root.ID, demoNetwork); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\ncareloop demo network loaded. Every demo account's password: %s\n", DemoPassword)
	fmt.Fprintln(tw, "Roles that can see identified data set up a second factor (TOTP) at first sign-in.")
	fmt.Fprintln(tw, "username\trole\tunit")
	for _, a := range demoAccounts {
		id, _, err := e.people.Bootstrap(ctx, people.NewUser{Username: a.username, DisplayName: a.name}, DemoPassword, ids[a.unit], a.role)
		if err != nil {
			return fmt.Errorf("demo account %s: %w", a.username, err)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.username, a.role, a.unit)
		if a.username == "city.coord" {
			// The city centre's coordinator works over the whole city (its
			// districts' dashboards, escalations, joint work), beside the
			// centre itself, where escalations to the city centre find them.
			sec := access.Principal{UserID: -2, Memberships: []access.Membership{{OrgID: root.ID, OrgPath: root.Path, Role: access.SecurityAdmin}}}
			if err := e.people.GrantRole(ctx, sec, id, root.ID, access.Coordinator); err != nil {
				return fmt.Errorf("demo account %s: %w", a.username, err)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", a.username, access.Coordinator, root.NameEn)
		}
	}
	fmt.Fprintln(tw)
	if err := tw.Flush(); err != nil {
		return err
	}
	// The warning rules and a duty roster come before the students, so
	// that the demo's screening answers raise alerts as they would.
	if err := e.defaultRules(ctx); err != nil {
		return err
	}
	if err := demoDuty(ctx, e, ids["Teacher Tao Hotline Station"]); err != nil {
		return err
	}
	if err := loadDemoStudents(ctx, e, root.ID, root.Path, stdout); err != nil {
		return fmt.Errorf("demo students: %w", err)
	}
	return e.demoAround(ctx, ids, stdout)
}

// demoDuty puts the hotline supervisor on duty around the clock for a
// year, so that alerts outside school hours have an owner in the demo, and
// the station's supervisor and counsellor on its hotline roster.
func demoDuty(ctx context.Context, e *env, station int64) error {
	return e.db.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var uid int64
		if err := tx.QueryRow(ctx, `SELECT id FROM users WHERE username = 'supervisor'`).Scan(&uid); err != nil {
			return err
		}
		now := time.Now()
		from, to := db.Micro(now.Add(-24*time.Hour)), db.Micro(now.AddDate(1, 0, 0))
		_, err := tx.Exec(ctx, `INSERT INTO duty_shifts (org_unit_id, user_id, starts_at, ends_at, purpose) VALUES (?, ?, ?, ?, 'alerts')`,
			station, uid, from, to)
		if err != nil {
			return err
		}
		// The hotline's roster: the supervisor and the counsellor answer
		// around the clock too, so that the queue shows them on duty.
		_, err = tx.Exec(ctx, `INSERT INTO duty_shifts (org_unit_id, user_id, starts_at, ends_at, purpose)
			SELECT ?, id, ?, ?, 'hotline' FROM users WHERE username IN ('supervisor', 'hotline')`, station, from, to)
		return err
	})
}
