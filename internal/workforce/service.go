// Package workforce is the people who counsel: the counsellor registry (school psychology teachers, centre staff, hotline counsellors, experts, volunteers, peer supporters), their team tier, certifications with expiry, and the coverage of schools by psychology teachers.
package workforce

import (
	"context"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/seal"
)

// Service is the package's one entry point; handlers call it with the
// caller's Principal.
type Service struct {
	DB     *db.DB
	Audit  *audit.Log
	Seal   seal.Sealer
	Jobs   *jobs.Queue     // the daily expiry check; nil: no check is scheduled
	Notify *notify.Service // expiry notices; nil: none are sent
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Kinds of people who counsel. The first two are the school psychology
// teachers that coverage counts.
const (
	KindTeacherFull = "psych_teacher_full" // 专职心理健康教育教师
	KindTeacherPart = "psych_teacher_part" // 兼职心理健康教育教师
)

// Kinds lists every kind of registry entry.
var Kinds = []string{KindTeacherFull, KindTeacherPart, "centre_staff", "hotline_counsellor", "expert", "volunteer", "peer_supporter"}

// Tiers are the team tiers (core team, expert team, volunteer team) and none.
var Tiers = []string{"core", "expert", "volunteer", "none"}

// Marks filter the list by the state of certifications.
var Marks = []string{"expiring", "lapsed"}

// DefaultWarnDays is how many days ahead an expiring certification is
// flagged where no unit above sets another window.
const DefaultWarnDays = 90

// CoverageTarget is the national target: 95% of primary and secondary
// schools with a full- or part-time psychology teacher by 2025
// (全面加强和改进新时代学生心理健康工作专项行动计划（2023—2025年）).
const CoverageTarget = 95 // percent

// UnitName is a unit as the pages show it.
type UnitName struct {
	ID     int64
	Name   string
	NameEn string
}

// Display is the unit's name in locale l.
func (u UnitName) Display(l string) string {
	if l == "en" && u.NameEn != "" {
		return u.NameEn
	}
	return u.Name
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// record writes an audit entry for the caller's act.
func (s *Service) record(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action, objType string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: objType, ObjectID: itoa(id), Outcome: audit.Success, Detail: detail})
}

// cst is China Standard Time: certification dates are days there.
var cst = time.FixedZone("CST", 8*3600)

const day = 24 * time.Hour

// Day returns the start of t's day in China Standard Time.
func Day(t time.Time) time.Time {
	d := t.In(cst)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, cst)
}
