// Package training is the training of the workforce: courses and their sessions, enrolment, attendance (by list or a QR code at the door, or imported from XLSX), credited hours, eligibility for certification, and the reports of who was trained and who still lacks a required training.
package training

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
