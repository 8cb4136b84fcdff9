package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/family"
)

// wireFamily builds the family service and registers its workers. The
// one-time codes go through the deployment's SMS gateway (--sms-url); in
// demo mode without one, a console sender prints them on the server's
// standard output (phone masked), never in the JSON log.
func (e *env) wireFamily(ctx context.Context) error {
	key, err := e.keys.Derive("family codes")
	if err != nil {
		return err
	}
	e.family = &family.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Jobs: e.jobs, Notify: e.notify, Key: key,
		Screening: e.screen, Warning: e.warn, Log: e.log}
	switch {
	case e.notify.SMS != nil:
		e.family.SMS = e.notify.SMS
		e.family.SendAsync = true
	case e.cfg.Demo:
		e.family.SMS = &family.ConsoleSMS{Out: os.Stdout}
	}
	return nil
}

// demoFamily loads the demo's family records: consultation slots of the
// demo counsellor next week, an article of the city centre, and prints
// which guardian phone to try at /family. It also points the console SMS
// sender at the server's stdout.
func (e *env) demoFamily(ctx context.Context, ids map[string]int64, stdout io.Writer) error {
	if c, ok := e.family.SMS.(*family.ConsoleSMS); ok {
		c.SetOut(stdout)
	}
	var counsellor int64
	var name, phone string
	err := e.db.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT id FROM users WHERE username = 'counsellor'`).Scan(&counsellor); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT st.name, g.phone FROM students st JOIN guardians g ON g.student_id = st.id
			WHERE st.school_id = ? AND st.grade = 6 AND st.class_name = '1班' AND g.phone <> '' AND st.status = 'active'
			ORDER BY st.student_no, g.id LIMIT 1`, ids["Xuanwu Experimental Primary School"]).Scan(&name, &phone)
	})
	if err != nil {
		return fmt.Errorf("demo guardian: %w", err)
	}
	school := ids["Xuanwu Experimental Primary School"]
	cp := access.Principal{UserID: counsellor, Username: "counsellor", Memberships: []access.Membership{{OrgID: school,
		OrgPath: familyUnitPath(ctx, e, school), Role: access.SchoolCounsellor}}}
	// Next week's Tuesday and Thursday, 16:00 China time.
	cst := time.FixedZone("CST", 8*3600)
	now := time.Now().In(cst)
	days := (8 - int(now.Weekday())) % 7
	if days == 0 {
		days = 7
	}
	monday := time.Date(now.Year(), now.Month(), now.Day(), 16, 0, 0, 0, cst).AddDate(0, 0, days)
	for i, day := range []int{1, 1, 3} {
		start := monday.AddDate(0, 0, day).Add(time.Duration(i%2) * time.Hour)
		mode, place := "in_person", "心理辅导室（二楼）"
		if i == 2 {
			mode, place = "phone", ""
		}
		if _, err := e.family.AddSlot(ctx, cp, family.NewSlot{UnitID: school, StartsAt: start, Minutes: 30, Mode: mode, Place: place}); err != nil {
			return fmt.Errorf("demo slot: %w", err)
		}
	}
	centre := ids["City Growth-Guidance Centre"]
	coord := access.Principal{UserID: -1, Memberships: []access.Membership{{OrgID: ids["Nanjing (demo)"], OrgPath: familyUnitPath(ctx, e, ids["Nanjing (demo)"]),
		Role: access.Coordinator}}}
	id, err := e.family.SaveItem(ctx, coord, 0, family.NewItem{UnitID: centre, Kind: "article",
		TitleZH: "孩子情绪低落时，家长可以怎么做", TitleEN: "When your child feels low: what parents can do",
		BodyZH: "先倾听，不急着评判或讲道理。让孩子知道，无论发生什么，您都愿意陪着他。\n\n留意睡眠、食欲和上学意愿的变化。如果持续两周以上，请联系学校的心理老师，或拨打 12355 青少年服务热线。\n\n如果孩子说到伤害自己，请不要让孩子独处，立即拨打 120 或 110。",
		BodyEN: "Listen first, without rushing to judge or lecture. Let your child know you are there, whatever happens.\n\nWatch for changes in sleep, appetite and wanting to go to school. If they last more than two weeks, contact the school counsellor or call the 12355 youth line.\n\nIf your child talks about hurting themselves, do not leave them alone: call 120 or 110 now.",
	})
	if err != nil {
		return fmt.Errorf("demo article: %w", err)
	}
	if err := e.family.SetItemState(ctx, coord, id, "published"); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "Parent portal (demo): open /family and sign in with the phone %s (guardian of %s, 玄武实验小学 6年级1班); the one-time code appears on this console.\n",
		phone, name)
	return err
}

// familyUnitPath is the materialized path of a unit ("" when unknown).
func familyUnitPath(ctx context.Context, e *env, id int64) string {
	var p string
	_ = e.db.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, id).Scan(&p)
	})
	return p
}
