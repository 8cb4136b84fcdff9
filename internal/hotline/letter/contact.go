package letter

import (
	"context"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline"
)

// startContact opens the draft contact of channel letter for a letter
// being taken, held by the caller: an e-mail letter joins the sender's
// repeat-contacter profile (the address is hashed by the hotline service,
// not stored), and the writer's age band is filled in. It runs in the
// caller's transaction.
func (s *Service) startContact(ctx context.Context, tx *db.Tx, p access.Principal, l *Letter) (int64, error) {
	n := hotline.NewContact{StationID: l.StationID, Channel: "letter"}
	if l.Source == SourceEmail {
		var sealed []byte
		if err := tx.QueryRow(ctx, `SELECT sender FROM letters WHERE id = ?`, l.ID).Scan(&sealed); err != nil {
			return 0, err
		}
		addr, err := s.unseal(sealed, senderAAD(l.ID))
		if err != nil {
			return 0, err
		}
		if addr != "" {
			n.Identifier = hotline.Identifier{Kind: "email", Value: addr}
		}
	}
	c, _, err := s.Hotline.Start(ctx, p, n)
	if err != nil {
		return 0, err
	}
	if l.AgeBand != "" {
		if _, err := s.Hotline.Save(ctx, p, c.ID, c.Version, hotline.Fields{AgeBand: l.AgeBand}); err != nil {
			return 0, err
		}
	}
	return c.ID, nil
}
