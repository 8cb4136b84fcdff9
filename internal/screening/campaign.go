// Package screening runs screening campaigns (全员心理筛查): the battery of
// instruments, the students invited, guardian consent, access for students
// without accounts, the answers saved as a child goes, and the submission
// that scores, tiers and raises the "screening completed" event in one
// transaction. Scoring itself lives in package instrument.
package screening

import (
	"strings"
	"time"

	"github.com/careloop/careloop/internal/screening/instrument"
)

// Consent rules of a campaign.
const (
	ConsentUnder14 = "under14" // guardian consent needed for students under 14
	ConsentAll     = "all"     // guardian consent needed for every student
	ConsentNone    = "none"    // no consent needed, but a guardian's refusal still excludes
)

// ConsentRules lists the rules in display order.
var ConsentRules = []string{ConsentUnder14, ConsentAll, ConsentNone}

// States of an invited student.
const (
	Invited   = "invited"
	Started   = "started"
	Completed = "completed"
)

// Campaign is one screening campaign.
type Campaign struct {
	ID          int64
	OrgUnitID   int64
	OrgName     string
	OrgPath     string
	Name        string
	Instruments []string
	StartsAt    time.Time
	EndsAt      time.Time
	ConsentRule string
	ConsentText string
	Status      string
	CreatedBy   int64
	CreatedAt   time.Time
	Targets     []Target
}

// Open reports whether students may answer at t.
func (c *Campaign) Open(t time.Time) bool {
	return c.Status == "open" && !t.Before(c.StartsAt) && t.Before(c.EndsAt)
}

// Target selects students: a school, and optionally one grade and one class.
type Target struct {
	SchoolID   int64
	SchoolName string
	SchoolPath string
	Grade      int    // 0: every grade
	ClassName  string // "": every class
}

// NewCampaign is the input for creating a campaign.
type NewCampaign struct {
	OrgUnitID   int64
	Name        string
	Instruments []string
	StartsAt    time.Time
	EndsAt      time.Time
	ConsentRule string
	ConsentText string
	Targets     []Target
}

// battery returns the instruments of the campaign that suit a student of
// age, in order. Instruments outside their age range are skipped.
func (s *Service) battery(ids []string, age int) []*instrument.Instrument {
	var out []*instrument.Instrument
	for _, id := range ids {
		inst, ok := s.Instrument(id)
		if !ok {
			continue
		}
		if age < inst.AgeMin || (inst.AgeMax > 0 && age > inst.AgeMax) {
			continue
		}
		out = append(out, inst)
	}
	return out
}

func joinIDs(ids []string) string { return strings.Join(ids, " ") }
