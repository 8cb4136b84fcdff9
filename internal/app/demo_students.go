package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/student"
)

// demoSchools are the demo schools that get students, with their grades.
var demoSchools = []struct {
	name          string
	first, last   int
	perClass, cls int
}{
	{"玄武实验小学", 4, 6, 6, 2},
	{"玄武第一中学", 7, 9, 6, 2},
	{"秦淮中学", 7, 9, 5, 1},
	{"鼓楼高级中学", 10, 12, 5, 1},
}

var (
	demoSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"}
	demoGiven    = []string{"子涵", "欣怡", "梓萱", "浩然", "宇轩", "一诺", "思远", "雨桐", "俊杰", "佳怡", "明轩", "若曦", "天佑", "可馨", "嘉懿", "晨阳"}
)

// loadDemoStudents files fictitious students in the demo schools, through
// the same roster import that schools use.
func loadDemoStudents(ctx context.Context, e *env, rootID int64, rootPath string, stdout io.Writer) error {
	var rows []student.RosterRow
	n := 0
	for _, sc := range demoSchools {
		for g := sc.first; g <= sc.last; g++ {
			for c := 1; c <= sc.cls; c++ {
				for k := 0; k < sc.perClass; k++ {
					n++
					year := 2026 - (g + 6)
					rows = append(rows, student.RosterRow{
						Line:      n + 1,
						StudentNo: fmt.Sprintf("G32010%06d", 100000+n),
						Name:      demoSurnames[(n*7)%len(demoSurnames)] + demoGiven[(n*5)%len(demoGiven)],
						Gender:    []string{"女", "男"}[n%2],
						BirthDate: fmt.Sprintf("%d-%02d-%02d", year, 1+n%12, 1+n%28),
						School:    sc.name,
						Grade:     fmt.Sprint(g),
						ClassName: fmt.Sprintf("%d班", c),
						Guardians: []student.Guardian{{Name: demoSurnames[(n*7)%len(demoSurnames)] + "家长", Relation: []string{"母亲", "父亲"}[n%2],
							Phone: fmt.Sprintf("139%08d", 10000000+n*7919%90000000)}},
					})
				}
			}
		}
	}
	sys := access.Principal{UserID: -1, Memberships: []access.Membership{{OrgID: rootID, OrgPath: rootPath, Role: access.Coordinator}}}
	rep, err := e.student.Import(ctx, sys, rows, false, nil)
	if err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("demo roster has %d problems, first: %+v", len(rep.Problems), rep.Problems[0])
	}
	fmt.Fprintf(stdout, "Demo students filed: %d (fictitious names and numbers).\n", rep.Created)
	schools, err := e.org.FindUnits(ctx, sys, org.UnitFilter{Query: demoSchools[0].name, Kind: org.School, Limit: 1})
	if err != nil || len(schools) == 0 {
		return fmt.Errorf("demo school: %v", err)
	}
	if err := e.student.AssignClass(ctx, sys, "headteacher", schools[0].ID, demoSchools[0].first, "1班"); err != nil {
		return fmt.Errorf("demo class: %w", err)
	}
	return loadDemoCampaign(ctx, e, sys, stdout)
}

// loadDemoCampaign opens a screening campaign at one demo middle school and
// prints one access code, so a newcomer can answer as a student at /s.
func loadDemoCampaign(ctx context.Context, e *env, sys access.Principal, stdout io.Writer) error {
	schools, err := e.org.FindUnits(ctx, sys, org.UnitFilter{Query: "玄武第一中学", Kind: org.School, Limit: 1})
	if err != nil || len(schools) == 0 {
		return fmt.Errorf("demo school: %v", err)
	}
	school := schools[0]
	now := time.Now()
	id, err := e.screen.CreateCampaign(ctx, sys, screening.NewCampaign{OrgUnitID: school.ParentID,
		Name: "2026 秋季学生心理健康筛查（演示）", Instruments: []string{"phq-a", "gad-7"},
		StartsAt: now.Add(-time.Hour), EndsAt: now.Add(30 * 24 * time.Hour), ConsentRule: screening.ConsentUnder14,
		ConsentText: "v1", Targets: []screening.Target{{SchoolID: school.ID}}})
	if err != nil {
		return fmt.Errorf("demo campaign: %w", err)
	}
	slips, err := e.screen.Slips(ctx, sys, id, school.ID)
	if err != nil {
		return err
	}
	answered := 0
	for _, sl := range slips {
		if sl.Excluded != "" {
			continue
		}
		if answered < 12 {
			if err := demoAnswer(ctx, e, sl.Code, answered); err != nil {
				return fmt.Errorf("demo answers: %w", err)
			}
			answered++
			continue
		}
		fmt.Fprintf(stdout, "Demo screening campaign #%d is open (%d students have answered). Answer as a student: open /s and type the code %s (%s).\n",
			id, answered, sl.Code, sl.StudentName)
		break
	}
	return nil
}

// demoAnswer submits a fictitious response for one demo slip; n varies the
// answers so that the demo shows every tier, and one critical answer.
func demoAnswer(ctx context.Context, e *env, code string, n int) error {
	token, err := e.screen.OpenWithCode(ctx, code)
	if err != nil {
		return err
	}
	level := n % 4 // 0..3: from no symptoms to many
	phq, gad := map[string]int{}, map[string]int{}
	for _, inst := range e.screen.Instruments() {
		target := map[string]map[string]int{"phq-a": phq, "gad-7": gad}[inst.ID]
		if target == nil {
			continue
		}
		for _, it := range inst.Items {
			if it.Unscored || len(it.Options) == 0 {
				continue
			}
			v := (level + len(it.ID)) % 4
			if v >= len(it.Options) {
				v = len(it.Options) - 1
			}
			target[it.ID] = it.Options[v].Value
		}
	}
	phq["9"] = 0
	if n == 3 {
		phq["9"] = 1 // one demo student gives a critical answer
	}
	_, err = e.screen.Submit(ctx, token, screening.Submission{IdempotencyKey: fmt.Sprintf("demo-%d", n),
		Answers: screening.Answers{"phq-a": phq, "gad-7": gad}, Elapsed: 6 * time.Minute})
	return err
}
