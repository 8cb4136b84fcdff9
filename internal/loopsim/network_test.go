package loopsim

import (
	"fmt"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/warning"
)

// The district's shape. Schools without a counsellor have their alerts
// owned by whoever is on duty; schools without a leader escalate from the
// first owner straight to the district centre.
const (
	numSchools  = 20
	importBatch = 5000
)

var (
	noCounsellor = map[int]bool{17: true, 18: true, 19: true}
	noLeader     = map[int]bool{15: true, 16: true}
	hasHead      = map[int]bool{0: true, 3: true, 7: true, 12: true, 17: true, 19: true}
)

type school struct {
	idx                      int
	unit                     *org.Unit
	counsellor, leader, head access.Principal // UserID 0: nobody holds the role
	students                 []int64
}

// network is the city: one district with its centre, its schools and
// their staff, a hotline station whose supervisor is on duty around the
// clock, and the students.
type network struct {
	city, district, station *org.Unit
	admin                   access.Principal // not an account: creates units
	cityCoord, distCoord    access.Principal
	supervisor              access.Principal
	schools                 []*school
	bySchool                map[int64]*school
	schoolOf                map[int64]*school // by student id
	staff                   map[int64]access.Principal
	birth                   map[int64]string
	studentNo               map[int64]string
}

// handler is who acts on a school's alerts and cases: its counsellor, or
// the district centre for a school without one.
func (sc *school) handler(n *network) access.Principal {
	if sc.counsellor.UserID != 0 {
		return sc.counsellor
	}
	return n.distCoord
}

// holder returns who holds a step of the escalation chain for a school, by
// the network's own shape (independently of warning.NextHolder).
func (n *network) holder(sc *school, step int) (int64, bool) {
	switch step {
	case 1:
		return sc.leader.UserID, sc.leader.UserID != 0
	case 2:
		return n.distCoord.UserID, true
	case 3:
		return n.cityCoord.UserID, true
	}
	return 0, false
}

// nextHolder is the first step after from that has someone.
func (n *network) nextHolder(sc *school, from int) (step int, user int64, ok bool) {
	for st := from + 1; st <= 3; st++ {
		if u, ok := n.holder(sc, st); ok {
			return st, u, true
		}
	}
	return 0, 0, false
}

func (s *sim) unit(kind org.Kind, name, code string, parent *org.Unit) *org.Unit {
	s.t.Helper()
	u, err := s.srv.org.CreateUnit(s.ctx, s.net.admin, org.NewUnit{Kind: kind, Name: name, Code: code, ParentID: parent.ID})
	if err != nil {
		s.t.Fatalf("CreateUnit %s: %v", name, err)
	}
	return u
}

func (s *sim) account(role string, at *org.Unit) access.Principal {
	s.t.Helper()
	name := fmt.Sprintf("%s-%d", role[:4], len(s.net.staff)+1)
	id, _, err := s.srv.ppl.Bootstrap(s.ctx, people.NewUser{Username: name, DisplayName: role + " " + name}, "Correct-Horse-42x", at.ID, role)
	if err != nil {
		s.t.Fatalf("Bootstrap %s: %v", name, err)
	}
	p := access.Principal{UserID: id, Username: name, Memberships: []access.Membership{{OrgID: at.ID, OrgPath: at.Path, Role: role}}}
	s.net.staff[id] = p
	return p
}

// setup builds the network, its staff and duty roster, installs the
// default warning rules and imports the students.
func (s *sim) setup(students int) {
	s.t.Helper()
	n := &network{bySchool: map[int64]*school{}, schoolOf: map[int64]*school{}, staff: map[int64]access.Principal{},
		birth: map[int64]string{}, studentNo: map[int64]string{}}
	s.net = n
	var err error
	if n.city, err = s.srv.org.CreateRoot(s.ctx, "江海市", "Jianghai"); err != nil {
		s.t.Fatal(err)
	}
	n.admin = access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: n.city.ID, OrgPath: n.city.Path, Role: access.SysAdmin}}}
	n.district = s.unit(org.District, "东城区", "", n.city)
	n.station = s.unit(org.HotlineStation, "陶老师工作站", "", n.city)
	for i := 0; i < numSchools; i++ {
		sc := &school{idx: i, unit: s.unit(org.School, fmt.Sprintf("东城第%d中学", i+1), fmt.Sprintf("LS%02d", i+1), n.district)}
		n.schools = append(n.schools, sc)
		n.bySchool[sc.unit.ID] = sc
	}
	mark := time.Now()
	n.cityCoord = s.account(access.Coordinator, n.city)
	n.distCoord = s.account(access.Coordinator, n.district)
	n.supervisor = s.account(access.HotlineSupervisor, n.station)
	for _, sc := range n.schools {
		if !noCounsellor[sc.idx] {
			sc.counsellor = s.account(access.SchoolCounsellor, sc.unit)
		}
		if !noLeader[sc.idx] {
			sc.leader = s.account(access.SchoolLeader, sc.unit)
		}
		if hasHead[sc.idx] {
			sc.head = s.account(access.HeadTeacher, sc.unit)
		}
	}
	s.timing["setup: staff accounts (argon2id)"] = time.Since(mark)
	// The hotline supervisor is on duty around the clock: two shifts (a
	// shift is at most 31 days), kept by the city centre.
	start := s.w.clk.Now()
	for _, span := range [][2]time.Time{{start.Add(-hours(1)), start.AddDate(0, 0, 16)}, {start.AddDate(0, 0, 16), start.AddDate(0, 0, 40)}} {
		if _, err := s.srv.warn.AddShift(s.ctx, n.cityCoord, warning.DutyShift{OrgUnitID: n.station.ID, UserID: n.supervisor.UserID,
			Start: span[0], End: span[1]}); err != nil {
			s.t.Fatalf("AddShift: %v", err)
		}
	}
	if err := s.srv.warn.InstallDefaults(s.ctx, n.city.ID); err != nil {
		s.t.Fatalf("InstallDefaults: %v", err)
	}
	mark = time.Now()
	s.importStudents(students)
	s.timing["setup: import students"] = time.Since(mark)
}

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
var given = []rune("子涵欣怡梓轩浩然雨桐一诺宇航思远佳怡俊杰嘉豪晨曦梦琪博文雅婷天佑明哲若曦")

// importStudents imports students through student.Service.Import in
// batches, spread over the schools, aged 12 to 15 (PHQ-A and GAD-7 apply).
func (s *sim) importStudents(total int) {
	s.t.Helper()
	n := s.net
	start := s.w.clk.Now().In(cst)
	var rows []student.RosterRow
	flush := func() {
		rep, err := s.srv.stu.Import(s.ctx, n.distCoord, rows, false, nil)
		if err != nil || !rep.OK() || rep.Created != len(rows) {
			s.t.Fatalf("Import: %+v, %v", rep, err)
		}
		rows = rows[:0]
	}
	for i := 0; i < total; i++ {
		sc := n.schools[i%numSchools]
		grade := 7 + (i/numSchools)%3
		age := 12 + (grade - 7) + s.rng.IntN(2)
		birth := start.AddDate(-age, -s.rng.IntN(11)-1, -s.rng.IntN(27)).Format("2006-01-02")
		name := string(surnames[s.rng.IntN(len(surnames))]) + string(given[s.rng.IntN(len(given))]) + string(given[s.rng.IntN(len(given))])
		rows = append(rows, student.RosterRow{Line: len(rows) + 2, StudentNo: fmt.Sprintf("%s-%05d", sc.unit.Code, i), Name: name,
			Gender: []string{"女", "男"}[i%2], BirthDate: birth, School: sc.unit.Code, Grade: strconv.Itoa(grade),
			ClassName: strconv.Itoa(1+s.rng.IntN(8)) + "班",
			Guardians: []student.Guardian{{Name: "家长" + name, Relation: "母亲", Phone: "13800000000"}}})
		if len(rows) == importBatch {
			flush()
		}
	}
	if len(rows) > 0 {
		flush()
	}
	s.each(`SELECT id, school_id, student_no, birth_date FROM students ORDER BY id`, nil, func(sc func(...any) error) error {
		var id, schoolID int64
		var no, birth string
		if err := sc(&id, &schoolID, &no, &birth); err != nil {
			return err
		}
		school := n.bySchool[schoolID]
		school.students = append(school.students, id)
		n.schoolOf[id], n.studentNo[id], n.birth[id] = school, no, birth
		return nil
	})
	if len(n.schoolOf) != total {
		s.t.Fatalf("%d students imported, want %d", len(n.schoolOf), total)
	}
}
