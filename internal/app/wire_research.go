package app

import (
	"context"
	"io"

	"github.com/careloop/careloop/internal/research"
)

// wireResearch builds the research service and registers its workers.
func (e *env) wireResearch(ctx context.Context) error {
	e.research = &research.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Jobs: e.jobs, Notify: e.notify}
	return nil
}

// demoResearch loads the demo's research records.
func (e *env) demoResearch(ctx context.Context, ids map[string]int64, stdout io.Writer) error {
	return nil
}
