// Package stats is the figures of the network, computed from the records:
// indicators defined as data (indicators.json), rolled up per unit and
// period as the records change (a durable job refreshes the current
// periods), read by the dashboards, the briefing and the exports the same
// way. Small counts are hidden from viewers who may not see identities.
package stats

import (
	"context"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
)

// Service keeps the rollups and reads them for callers.
type Service struct {
	DB    *db.DB
	Audit *audit.Log
	Jobs  *jobs.Queue
	Now   func() time.Time
	// Every is how often the current periods are refreshed (default 10 minutes).
	Every time.Duration
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// record writes an audit entry for the caller's act.
func (s *Service) record(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action, objType string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: objType, ObjectID: itoa(id), Outcome: audit.Success, Detail: detail})
}
