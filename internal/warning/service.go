package warning

import (
	"database/sql"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/google/cel-go/cel"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/seal"
)

// Service evaluates rules, raises alerts and runs their deadlines.
type Service struct {
	DB     *db.DB
	Audit  *audit.Log
	Seal   seal.Sealer
	Jobs   *jobs.Queue
	Notify *notify.Service
	Now    func() time.Time
	// Instruments lists every instrument id, so that a rule can name any
	// instrument's score without failing when a student did not take it.
	Instruments func() []string
	// Hours are the school hours; outside them an alert goes to whoever is
	// on duty.
	Hours SchoolHours

	mu    sync.Mutex
	progs map[string]cel.Program // by rule id and version
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// program returns the compiled program of a rule version, compiling it once.
func (s *Service) program(r *Rule) (cel.Program, error) {
	key := itoa(r.ID) + "@" + strconv.Itoa(r.Version)
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.progs[key]; ok {
		return p, nil
	}
	p, err := Compile(r.Expression)
	if err != nil {
		return nil, err
	}
	if s.progs == nil {
		s.progs = map[string]cel.Program{}
	}
	s.progs[key] = p
	return p, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) || apperr.CodeOf(err) == apperr.ENotFound {
		return apperr.NotFound()
	}
	return err
}
