// Package outreach is the work around the loop that reaches the public: outreach activities (awareness events, lectures, parent classes, group activities, media) in series with a calendar, and the venues (counselling rooms, centres, youth-care rooms, civic practice centres) with their yearly rating and ranking.
package outreach

import (
	"time"

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
	Jobs   *jobs.Queue
	Notify *notify.Service
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
