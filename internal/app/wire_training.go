package app

import (
	"context"
	"io"

	"github.com/careloop/careloop/internal/training"
)

// wireTraining builds the training service and registers its workers.
func (e *env) wireTraining(ctx context.Context) error {
	e.training = &training.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Jobs: e.jobs, Notify: e.notify}
	return nil
}

// demoTraining loads the demo's training records.
func (e *env) demoTraining(ctx context.Context, ids map[string]int64, stdout io.Writer) error {
	return nil
}
