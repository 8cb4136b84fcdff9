package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/training"
)

// wireTraining builds the training service and registers its workers.
func (e *env) wireTraining(ctx context.Context) error {
	e.training = &training.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Jobs: e.jobs, Notify: e.notify}
	return nil
}

// demoTraining loads the demo's training records: the city's
// crisis-intervention course, required of every head teacher, with a
// session next week; and Xuanwu's intermediate certification course with
// a session held last month (the school leader attended) and two to come.
func (e *env) demoTraining(ctx context.Context, ids map[string]int64, stdout io.Writer) error {
	root, xuanwu := ids["Nanjing (demo)"], ids["Xuanwu District"]
	var rootPath string
	if err := e.db.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, root).Scan(&rootPath)
	}); err != nil {
		return err
	}
	sys := access.Principal{UserID: -1, Username: "demo", Memberships: []access.Membership{{OrgID: root, OrgPath: rootPath, Role: access.Coordinator}}}
	zone := time.FixedZone("CST", 8*3600)
	now := time.Now().In(zone)
	day := func(days, hour int) time.Time {
		return time.Date(now.Year(), now.Month(), now.Day()+days, hour, 0, 0, 0, zone)
	}
	crisis, err := e.training.CreateCourse(ctx, sys, training.NewCourse{UnitID: root, Title: "班主任危机干预培训", TitleEn: "Crisis intervention for head teachers",
		Kind: "crisis", Hours: 3, RequiredFor: []string{access.HeadTeacher}})
	if err != nil {
		return fmt.Errorf("crisis course: %w", err)
	}
	if _, err := e.training.ScheduleSession(ctx, sys, training.NewSession{CourseID: crisis, StartsAt: day(7, 14), EndsAt: day(7, 17),
		Place: "市未成年人成长指导中心 报告厅", Trainers: "陈指导", Capacity: 120}); err != nil {
		return fmt.Errorf("crisis session: %w", err)
	}
	cert, err := e.training.CreateCourse(ctx, sys, training.NewCourse{UnitID: xuanwu, Title: "中级心理辅导员认证培训",
		TitleEn: "Intermediate counsellor certification", Kind: "certification", Level: "intermediate", RequiredSessions: 2, Hours: 4})
	if err != nil {
		return fmt.Errorf("certification course: %w", err)
	}
	held, err := e.training.ScheduleSession(ctx, sys, training.NewSession{CourseID: cert, StartsAt: day(-30, 9), EndsAt: day(-30, 13),
		Place: "玄武区未成年人成长指导中心 301", Trainers: "周指导", Capacity: 40})
	if err != nil {
		return err
	}
	if err := e.training.Assign(ctx, sys, held, "leader"); err != nil {
		return fmt.Errorf("assign: %w", err)
	}
	leader, err := trainingDemoUser(ctx, e.db, "leader")
	if err != nil {
		return err
	}
	if err := e.training.SetAttendance(ctx, sys, held, map[int64]bool{leader: true}); err != nil {
		return fmt.Errorf("attendance: %w", err)
	}
	for _, d := range []int{10, 24} {
		if _, err := e.training.ScheduleSession(ctx, sys, training.NewSession{CourseID: cert, StartsAt: day(d, 9), EndsAt: day(d, 13),
			Place: "玄武区未成年人成长指导中心 301", OnlineURL: "https://meeting.example.cn/xuanwu-cert", Trainers: "周指导", Capacity: 40}); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, "Training: a crisis-intervention course required of head teachers (a session next week), an intermediate certification course in Xuanwu.")
	return nil
}

func trainingDemoUser(ctx context.Context, d *db.DB, username string) (int64, error) {
	var id int64
	err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT id FROM users WHERE username = ?`, username).Scan(&id)
	})
	return id, err
}
