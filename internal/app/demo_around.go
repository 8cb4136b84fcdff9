package app

import (
	"context"
	"fmt"
	"io"
)

// demoAround loads the demo's work around the loop, after its network,
// accounts and students: ids maps each demo unit's English name (and the
// root's) to its id.
func (e *env) demoAround(ctx context.Context, ids map[string]int64, stdout io.Writer) error {
	steps := []struct {
		name string
		load func(context.Context, map[string]int64, io.Writer) error
	}{
		{"workforce", e.demoWorkforce}, {"training", e.demoTraining}, {"outreach", e.demoOutreach},
		{"family", e.demoFamily}, {"research", e.demoResearch},
	}
	for _, st := range steps {
		if err := st.load(ctx, ids, stdout); err != nil {
			return fmt.Errorf("demo %s: %w", st.name, err)
		}
	}
	return nil
}
