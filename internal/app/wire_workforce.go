package app

import (
	"context"
	"io"

	"github.com/careloop/careloop/internal/workforce"
)

// wireWorkforce builds the workforce service and registers its workers.
func (e *env) wireWorkforce(ctx context.Context) error {
	e.workforce = &workforce.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Jobs: e.jobs, Notify: e.notify}
	return nil
}

// demoWorkforce loads the demo's workforce records.
func (e *env) demoWorkforce(ctx context.Context, ids map[string]int64, stdout io.Writer) error {
	return nil
}
