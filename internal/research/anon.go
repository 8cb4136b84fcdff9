package research

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"sort"
	"strconv"
	"time"
)

// MaxShiftDays bounds the per-person date shift: every date of a person
// moves by the same whole number of days in [-MaxShiftDays, -1] or
// [1, MaxShiftDays].
const MaxShiftDays = 180

// MaxSuppressShare is the share of people the generaliser may leave out
// (in groups under k) before it generalises one more step.
const MaxSuppressShare = 0.05

// keyed returns HMAC-SHA-256(key, label ":" id).
func keyed(key []byte, label string, id int64) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label + ":" + strconv.FormatInt(id, 10)))
	return m.Sum(nil)
}

// Pseudonym is the keyed pseudonym of id under an extract's key: stable
// within the extract, unlinkable across extracts (each has its own key).
// prefix tells what it names ("P" a person, "C" a case). It is 14 small
// letters (about 65 bits) after the prefix: never a run of digits that
// could pass for a number.
func Pseudonym(key []byte, prefix string, id int64) string {
	v := binary.BigEndian.Uint64(keyed(key, prefix, id)[:8])
	b := make([]byte, 14)
	for i := range b {
		b[i] = byte('a' + v%26)
		v /= 26
	}
	return prefix + string(b)
}

// ShiftDays is the person's date shift under an extract's key: constant
// for the person within the extract, never zero, at most MaxShiftDays
// either way.
func ShiftDays(key []byte, id int64) int {
	h := keyed(key, "shift", id)
	d := int(binary.BigEndian.Uint32(h[:4])%MaxShiftDays) + 1
	if h[4]&1 == 1 {
		d = -d
	}
	return d
}

// Week is a shifted date as an extract gives it: the Monday of its week in
// China time, without the time of day. Exact days and minutes would let a
// reader undo the shifts: the people screened on one day spread their
// shifted dates symmetrically around it, which gives the day back and then
// each person's shift; to the week, the shifts come back only to within
// weeks.
func Week(t time.Time) string {
	t = t.In(zone)
	wd := (int(t.Weekday()) + 6) % 7 // Monday 0
	return t.AddDate(0, 0, -wd).Format("2006-01-02")
}

// Person is one child of an extract with their quasi-identifiers.
type Person struct {
	ID        int64
	Gender    string
	BirthYear int // 0: unknown
	Grade     int
	School    string // the current school's name
	District  string // the school's district ("" if none)
	City      string // the network's root
}

// Level is how far each quasi-identifier is generalised.
type Level struct {
	School int // 0 school, 1 district, 2 city
	Birth  int // 0 year, 1 three-year band, 2 suppressed (*)
	Grade  int // 0 grade, 1 stage (primary, junior, senior), 2 *
	Gender int // 0 kept, 1 *
}

var maxLevel = Level{School: 2, Birth: 2, Grade: 2, Gender: 1}

func (l Level) height() int { return l.School + l.Birth + l.Grade + l.Gender }

// String describes the level as codes, for the file's README and the page.
func (l Level) String() string {
	return "school=" + [...]string{"school", "district", "city"}[l.School] +
		" birth=" + [...]string{"year", "band3", "none"}[l.Birth] +
		" grade=" + [...]string{"grade", "stage", "none"}[l.Grade] +
		" gender=" + [...]string{"kept", "none"}[l.Gender]
}

// QI returns the person's quasi-identifiers at level l, in QI's order.
func (l Level) QI(p *Person) [4]string {
	var out [4]string
	switch l.Gender {
	case 0:
		out[0] = p.Gender
	default:
		out[0] = "*"
	}
	switch {
	case l.Birth >= 2 || p.BirthYear == 0:
		out[1] = "*"
	case l.Birth == 1:
		lo := p.BirthYear - p.BirthYear%3
		out[1] = strconv.Itoa(lo) + "-" + strconv.Itoa(lo+2)
	default:
		out[1] = strconv.Itoa(p.BirthYear)
	}
	switch l.Grade {
	case 0:
		out[2] = strconv.Itoa(p.Grade)
	case 1:
		out[2] = stage(p.Grade)
	default:
		out[2] = "*"
	}
	switch {
	case l.School == 0:
		out[3] = p.School
	case l.School == 1 && p.District != "":
		out[3] = p.District
	default:
		out[3] = p.City
	}
	return out
}

// stage is a grade's school stage.
func stage(grade int) string {
	switch {
	case grade >= 1 && grade <= 6:
		return "primary"
	case grade >= 7 && grade <= 9:
		return "junior"
	case grade >= 10 && grade <= 12:
		return "senior"
	}
	return "*"
}

// groups counts the people of each quasi-identifier combination at l.
func groups(people []*Person, l Level) map[[4]string]int {
	g := map[[4]string]int{}
	for _, p := range people {
		g[l.QI(p)]++
	}
	return g
}

// undersized counts the people in groups of fewer than k at l.
func undersized(people []*Person, l Level, k int) int {
	n := 0
	for _, c := range groups(people, l) {
		if c < k {
			n += c
		}
	}
	return n
}

// Generalise chooses the least generalised level at which at most
// MaxSuppressShare of the people sit in groups under k (the fewest such
// people breaking ties, then the order school, birth, grade, gender), and
// returns it with the set of people to suppress: those still in a group
// under k. Every combination of quasi-identifiers left covers at least k
// people. people must be distinct.
func Generalise(people []*Person, k int) (Level, map[int64]bool) {
	var lattice []Level
	for s := 0; s <= maxLevel.School; s++ {
		for b := 0; b <= maxLevel.Birth; b++ {
			for gr := 0; gr <= maxLevel.Grade; gr++ {
				for ge := 0; ge <= maxLevel.Gender; ge++ {
					lattice = append(lattice, Level{School: s, Birth: b, Grade: gr, Gender: ge})
				}
			}
		}
	}
	sort.SliceStable(lattice, func(i, j int) bool { return lattice[i].height() < lattice[j].height() })
	allowed := int(MaxSuppressShare * float64(len(people)))
	chosen, best := maxLevel, -1
	for i := 0; i < len(lattice); {
		h := lattice[i].height()
		for ; i < len(lattice) && lattice[i].height() == h; i++ {
			n := undersized(people, lattice[i], k)
			if n <= allowed && (best < 0 || n < best) {
				chosen, best = lattice[i], n
			}
		}
		if best >= 0 {
			break
		}
	}
	sizes := groups(people, chosen)
	suppressed := map[int64]bool{}
	for _, p := range people {
		if sizes[chosen.QI(p)] < k {
			suppressed[p.ID] = true
		}
	}
	return chosen, suppressed
}
