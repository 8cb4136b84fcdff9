package app

import (
	"context"
	"io"

	"github.com/careloop/careloop/internal/outreach"
)

// wireOutreach builds the outreach service and registers its workers.
func (e *env) wireOutreach(ctx context.Context) error {
	e.outreach = &outreach.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Jobs: e.jobs, Notify: e.notify}
	return nil
}

// demoOutreach loads the demo's outreach records.
func (e *env) demoOutreach(ctx context.Context, ids map[string]int64, stdout io.Writer) error {
	return nil
}
