// Package export is the one way a table leaves careloop as a file: the
// caller asks for an export of a kind with its filters; a durable job
// builds the XLSX as that caller (scoped and audited as theirs, with the
// roles they hold when it runs), reporting progress; the file is kept
// sealed for a week and only its requester downloads it, audited.
package export

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/seal"
)

// Keep is how long a built file can be downloaded.
const Keep = 7 * 24 * time.Hour

// Rows receives a table: its size when known (for progress), then rows.
type Rows interface {
	Total(n int)
	Row(cells ...any) error
}

// Source is one kind of table. Header is its first row in locale; Write
// writes the rows the caller may see for the filters, reading and
// auditing through the caller's own services.
type Source interface {
	// Permission is what asking for and downloading this table needs.
	Permission() access.Permission
	Header(locale string) []string
	Write(ctx context.Context, p access.Principal, locale string, filters url.Values, out Rows) error
}

// Service keeps exports.
type Service struct {
	DB      *db.DB
	Audit   *audit.Log
	Seal    seal.Sealer
	Jobs    *jobs.Queue
	Sources map[string]Source
	Now     func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func fileAAD(id int64) string { return "exports:" + itoa(id) + ":file" }

// Export is one requested export.
type Export struct {
	ID         int64
	Kind       string
	Filters    url.Values
	State      string // queued, running, ready, failed, expired
	Done       int
	Total      int
	Filename   string
	CreatedAt  time.Time
	FinishedAt time.Time
	ExpiresAt  time.Time
}

// Percent is the progress, 0 to 100.
func (e Export) Percent() int {
	switch {
	case e.State == "ready":
		return 100
	case e.Total <= 0:
		return 0
	}
	return min(99, e.Done*100/e.Total)
}
