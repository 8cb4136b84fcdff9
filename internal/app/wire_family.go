package app

import (
	"context"
	"io"

	"github.com/careloop/careloop/internal/family"
)

// wireFamily builds the family service and registers its workers.
func (e *env) wireFamily(ctx context.Context) error {
	e.family = &family.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Jobs: e.jobs, Notify: e.notify}
	return nil
}

// demoFamily loads the demo's family records.
func (e *env) demoFamily(ctx context.Context, ids map[string]int64, stdout io.Writer) error {
	return nil
}
