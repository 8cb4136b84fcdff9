package training

import (
	"context"

	"github.com/careloop/careloop/internal/access"
)

// Summary is what a person's training adds to their registry record: the
// hours credited, the sessions attended and the certification levels they
// are eligible for.
type Summary struct {
	Hours    float64
	Sessions int
	Eligible []string // certification levels, e.g. "senior", "intermediate"
}

// Summary returns userID's training for a caller who may see that person
// (the person themself, or training.manage or workforce.manage over one of
// their units).
func (s *Service) Summary(ctx context.Context, p access.Principal, userID int64) (Summary, error) {
	return Summary{}, nil
}
