// Package research is de-identified research data: a coordinator defines an extract (records, fields, period); careloop removes identifiers and free text, pseudonymises IDs with a key per extract, shifts dates per person, generalises quasi-identifiers until every group holds at least k people, and records the extract as a disclosure.
package research

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
	"github.com/careloop/careloop/internal/sharing"
)

// Service is the package's one entry point; handlers call it with the
// caller's Principal.
type Service struct {
	DB      *db.DB
	Audit   *audit.Log
	Seal    seal.Sealer
	Jobs    *jobs.Queue // builds extracts; nil: nothing is scheduled and the caller runs Build
	Notify  *notify.Service
	Sharing *sharing.Service // the disclosure log
	Now     func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// record writes an audit entry for the caller's act through membership m.
func (s *Service) record(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: "research_extract", ObjectID: itoa(id), Outcome: audit.Success, Detail: detail})
}
