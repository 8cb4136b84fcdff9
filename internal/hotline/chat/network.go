package chat

import (
	"context"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline"
)

// The hotline network answers one queue: a child who writes to the city's
// station may be answered by a counsellor of any of its branches, as a
// call to the city's number is. So the queue a counsellor sees and takes
// from is that of their whole station network (the outermost hotline
// station above their station, and everything under it). It shows no
// content, only waiting times, channels and risk flags; a conversation's
// messages are seen only by its holder and the supervisors who watch it.

// network returns p with each membership that answers contacts widened to
// its outermost hotline station, for scoping the queue.
func (s *Service) network(ctx context.Context, tx *db.Tx, p access.Principal) (access.Principal, error) {
	out := p
	out.Memberships = nil
	for _, m := range p.Memberships {
		if !access.Has(m.Role, access.HotlineContact) {
			continue
		}
		top, err := hotline.NetworkTop(ctx, tx, m.OrgPath)
		if err != nil {
			continue // not inside a hotline station: no queue
		}
		m.OrgPath = top
		out.Memberships = append(out.Memberships, m)
	}
	return out, nil
}

// answering returns the membership through which p answers contacts in
// the network of a station at path: the station itself if p works there
// (or above), else p's own station in the same network.
func answering(p access.Principal, net access.Principal, path string) (access.Membership, bool) {
	if m, ok := p.At(access.HotlineContact, path); ok {
		return m, true
	}
	for i, m := range net.Memberships {
		if _, ok := (access.Principal{UserID: p.UserID, Memberships: net.Memberships[i : i+1]}).At(access.HotlineContact, path); ok {
			for _, own := range p.Memberships {
				if own.OrgID == m.OrgID && own.Role == m.Role {
					return own, true
				}
			}
		}
	}
	return access.Membership{}, false
}
