// Package student keeps one record per student (一人一档): identity and
// guardians, risk factors (重点摸排), moves between grades and schools, and
// the timeline that later steps of the closed loop add to. A record belongs
// to the student's current school, and every read of it is audited.
package student

import (
	"strings"
	"time"
	"unicode"

	"github.com/mozillazg/go-pinyin"
)

// Status of a record.
const (
	Active    = "active"
	Graduated = "graduated"
	Archived  = "archived"
)

// Genders a roster may give.
var Genders = []string{"female", "male", "other", "unknown"}

// Relations of a guardian to the student.
var Relations = []string{"mother", "father", "grandparent", "relative", "guardian", "other"}

// RiskFactorKinds are the kinds of risk factor a school records (glossary:
// 性格偏差, 家庭矛盾突出, 困境儿童, 留守儿童, and others a school would record).
var RiskFactorKinds = []string{
	"personality_deviation", // 性格偏差
	"family_conflict",       // 家庭矛盾突出
	"child_in_difficulty",   // 困境儿童
	"left_behind",           // 留守儿童
	"bereavement",           // 重大丧失
	"bullying",              // 校园欺凌
	"academic_pressure",     // 学业压力
	"self_harm_history",     // 既往自伤
	"chronic_illness",       // 慢性疾病
	"single_parent",         // 单亲家庭
	"other",
}

// Student is one student's record.
type Student struct {
	ID           int64
	StudentNo    string // 学籍号
	Name         string
	Initials     string // pinyin initials, for search
	Gender       string
	BirthDate    string // YYYY-MM-DD
	SchoolID     int64
	SchoolName   string
	SchoolNameEn string
	SchoolPath   string
	Grade        int
	ClassName    string
	Status       string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Guardians    []Guardian
}

// Age returns the student's age in whole years on day.
func (s Student) Age(day time.Time) int { return AgeOn(s.BirthDate, day) }

// AgeOn returns the age in whole years on day (in China Standard Time) of
// someone born on birthDate (YYYY-MM-DD); 0 for an unreadable date.
func AgeOn(birthDate string, day time.Time) int {
	b, err := time.Parse("2006-01-02", birthDate)
	if err != nil {
		return 0
	}
	day = day.In(cst)
	age := day.Year() - b.Year()
	if day.Month() < b.Month() || (day.Month() == b.Month() && day.Day() < b.Day()) {
		age-- // the birthday of this year has not come yet
	}
	return age
}

var cst = time.FixedZone("CST", 8*3600)

// Guardian is a parent or other guardian of a student.
type Guardian struct {
	Name     string
	Relation string
	Phone    string
}

// RiskFactor is one recorded risk factor. Note is sealed at rest.
type RiskFactor struct {
	ID         int64
	Kind       string
	Note       string
	Since      string
	RecordedBy int64
	RecordedAt time.Time
	EndedAt    time.Time
}

// Event is one entry of a record's timeline.
type Event struct {
	At          time.Time
	Kind        string // e.g. imported, updated, promoted, transferred_in, graduated, risk_factor_added
	ActorUserID int64
	OrgUnitID   int64
	Detail      string // codes only, no personal data
}

// Record is everything a permitted reader sees of one student.
type Record struct {
	Student     Student
	RiskFactors []RiskFactor
	Timeline    []Event
}

// StudentFilter selects students for a list or a search.
type StudentFilter struct {
	Query     string // name, pinyin initials or student number
	SchoolID  int64
	Grade     int
	ClassName string
	Status    string // default active
	Limit     int
}

// surnameInitials are surnames read differently from the character's usual
// reading (曾 is Zēng as a surname, not céng).
var surnameInitials = map[rune]string{'解': "x", '仇': "q", '区': "o", '查': "z", '覃': "q", '曾': "z", '单': "s",
	'朴': "p", '盖': "g", '缪': "m", '尉': "y", '华': "h", '任': "r", '葛': "g", '乐': "y", '员': "y", '召': "s", '种': "c"}

// Initials returns the lower-case pinyin initials of a Chinese name; Latin
// letters and digits are kept as they are ("张三丰" → "zsf", "Li Na" → "ln").
// The first character, the surname, uses its surname reading.
func Initials(name string) string {
	var b strings.Builder
	args := pinyin.NewArgs()
	args.Style = pinyin.FirstLetter
	prevSpace := true
	for i, r := range []rune(strings.TrimSpace(name)) {
		switch {
		case i == 0 && surnameInitials[r] != "":
			b.WriteString(surnameInitials[r])
			prevSpace = false
		case unicode.Is(unicode.Han, r):
			if p := pinyin.SinglePinyin(r, args); len(p) > 0 && p[0] != "" {
				b.WriteString(p[0][:1])
			}
			prevSpace = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if prevSpace {
				b.WriteRune(unicode.ToLower(r))
			}
			prevSpace = false
		default:
			prevSpace = true
		}
	}
	return b.String()
}

func oneOf(v string, list []string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
