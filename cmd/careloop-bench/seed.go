package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/screening/instrument"
	"github.com/careloop/careloop/internal/seal"
	"github.com/careloop/careloop/internal/student"
)

// battery is what every benchmark student answers.
var battery = []string{"phq-a", "gad-7"}

// studentsPerSchool sizes the seeded schools (a large secondary school).
const studentsPerSchool = 1000

// seeded is what the load needs: one access code per student.
type seeded struct {
	Codes      []string
	CampaignID int64
	Took       time.Duration
}

// seed creates, through careloop's own services and as a system principal
// (coordinator at the root unit), one district, its schools, n students
// aged 14–15 (PHQ-A and GAD-7 both apply; the "none" consent rule needs no
// guardian consent) and an open campaign with the PHQ-A + GAD-7 battery,
// and reads every access code back from the slips. The server has already
// migrated the database and generated the key file in dataDir.
func seed(ctx context.Context, d *db.DB, dataDir string, n int) (*seeded, error) {
	start := time.Now()
	keys, err := seal.LoadKeyFile(filepath.Join(dataDir, "seal.keys"))
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	log, err := audit.New("sha256", nil)
	if err != nil {
		return nil, err
	}
	catalog, err := instrument.Library()
	if err != nil {
		return nil, err
	}
	var rootID int64
	var rootPath string
	err = d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT id, path FROM org_units WHERE parent_id IS NULL`).Scan(&rootID, &rootPath)
	})
	if err != nil {
		return nil, fmt.Errorf("root unit: %w", err)
	}
	// The bench acts as the system: the installer's administrator (user 1)
	// holding the coordinator role at the root, plus the right to create units.
	p := access.Principal{UserID: 1, Username: "careloop-bench", Memberships: []access.Membership{
		{OrgID: rootID, OrgPath: rootPath, Role: access.Coordinator},
		{OrgID: rootID, OrgPath: rootPath, Role: access.SysAdmin},
	}}
	orgs := &org.Service{DB: d, Audit: log}
	district, err := orgs.CreateUnit(ctx, p, org.NewUnit{Kind: org.District, Name: "基准测试区", NameEn: "Benchmark district", ParentID: rootID})
	if err != nil {
		return nil, fmt.Errorf("create district: %w", err)
	}
	var schools []int64
	for i := 0; i*studentsPerSchool < n; i++ {
		u, err := orgs.CreateUnit(ctx, p, org.NewUnit{Kind: org.School, Name: fmt.Sprintf("基准第%d中学", i+1),
			NameEn: fmt.Sprintf("Benchmark Secondary School %d", i+1), Code: fmt.Sprintf("BENCH-%03d", i+1), ParentID: district.ID})
		if err != nil {
			return nil, fmt.Errorf("create school: %w", err)
		}
		schools = append(schools, u.ID)
	}
	starts := time.Now().Add(-time.Hour)
	rows := make([]student.RosterRow, n)
	surnames := []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	given := []string{"子涵", "欣怡", "梓轩", "浩然", "雨桐", "一诺", "宇航", "思远", "佳怡", "俊杰"}
	for i := range rows {
		// 14 years and 1–20 months old when the campaign starts
		birth := starts.AddDate(-14, -1-i%20, -(i % 28))
		rows[i] = student.RosterRow{Line: i + 2, StudentNo: fmt.Sprintf("BENCH%07d", i+1),
			Name:   string(surnames[i%len(surnames)]) + given[(i/len(surnames))%len(given)],
			Gender: []string{"女", "男"}[i%2], BirthDate: birth.Format("2006-01-02"),
			School: fmt.Sprintf("BENCH-%03d", i/studentsPerSchool+1), Grade: "8", ClassName: fmt.Sprintf("%d班", i%studentsPerSchool/50+1)}
	}
	people := &student.Service{DB: d, Audit: log, Seal: keys}
	rep, err := people.Import(ctx, p, rows, false, nil)
	if err != nil {
		return nil, fmt.Errorf("import students: %w", err)
	}
	if !rep.OK() || rep.Created != n {
		return nil, fmt.Errorf("import students: created %d of %d, problems %v", rep.Created, n, rep.Problems[:min(3, len(rep.Problems))])
	}
	screen := &screening.Service{DB: d, Audit: log, Seal: keys, Catalog: catalog}
	targets := make([]screening.Target, len(schools))
	for i, id := range schools {
		targets[i] = screening.Target{SchoolID: id}
	}
	cid, err := screen.CreateCampaign(ctx, p, screening.NewCampaign{OrgUnitID: district.ID, Name: "基准筛查 Benchmark screening",
		Instruments: battery, StartsAt: starts, EndsAt: starts.Add(7 * 24 * time.Hour), ConsentRule: screening.ConsentNone, Targets: targets})
	if err != nil {
		return nil, fmt.Errorf("create campaign: %w", err)
	}
	out := &seeded{CampaignID: cid}
	for _, id := range schools {
		slips, err := screen.Slips(ctx, p, cid, id)
		if err != nil {
			return nil, fmt.Errorf("slips: %w", err)
		}
		for _, s := range slips {
			if s.Excluded != "" {
				return nil, fmt.Errorf("student %s excluded: %s", s.StudentName, s.Excluded)
			}
			out.Codes = append(out.Codes, s.Code)
		}
	}
	if len(out.Codes) != n {
		return nil, fmt.Errorf("slips: %d codes for %d students", len(out.Codes), n)
	}
	out.Took = time.Since(start)
	return out, nil
}
