package hotline

import (
	"context"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// What the telephony adapter (package phone) needs from contacts: a
// caller's number is hashed into a profile as the call is offered, and only
// the profile is kept until a counsellor answers.

// CallerProfile returns the repeat-contacter profile of a caller's phone
// number, creating it on first sight; a withheld or empty number gives 0.
// It joins the caller's transaction (ctx from db.Tx) and audits nothing:
// the adapter records the call it belongs to.
func (s *Service) CallerProfile(ctx context.Context, number string) (int64, error) {
	id := Identifier{Kind: "phone", Value: number}
	if normalize(id) == "" {
		return 0, nil
	}
	var pid int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		pid, err = s.profile(ctx, tx, id)
		return err
	})
	return pid, err
}

// ProfilePop is the screen-pop of a profile for a caller who answers
// contacts somewhere, without the contact except (the call's own draft,
// 0 for none). It records no audit entry: the adapter audits the first
// showing of a call's screen-pop to each counsellor, not every poll.
func (s *Service) ProfilePop(ctx context.Context, p access.Principal, profileID, except int64) (*ScreenPop, error) {
	if _, ok := p.Grant(access.HotlineContact); !ok {
		return nil, apperr.Forbidden()
	}
	if profileID == 0 {
		return &ScreenPop{}, nil
	}
	var pop *ScreenPop
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		pop, err = s.screenPop(ctx, tx, profileID)
		return err
	})
	if err != nil {
		return nil, err
	}
	kept := pop.Earlier[:0]
	for _, pr := range pop.Earlier {
		if pr.ID != except {
			kept = append(kept, pr)
		}
	}
	pop.Earlier = kept
	return pop, nil
}

// StartCall opens the draft phone contact of an answered call, held by
// the counsellor who answered (p, with hotline.contact at the station) and
// joined to the caller's profile (0: number withheld); it starts when the
// call was answered (at; zero: now). The entry in the audit trail names
// the counsellor; the adapter records its own.
func (s *Service) StartCall(ctx context.Context, p access.Principal, stationID, profileID int64, at time.Time) (*Contact, error) {
	var c *Contact
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		m, path, err := s.station(ctx, tx, p, stationID)
		if err != nil {
			return err
		}
		now := db.Micro(s.now())
		started := now
		if !at.IsZero() {
			started = db.Micro(at)
		}
		id, err := tx.InsertID(ctx, `INSERT INTO contacts (station_id, channel, counsellor_id, author_id, started_at, profile_id, updated_at)
			VALUES (?, 'phone', ?, ?, ?, ?, ?)`, stationID, p.UserID, p.UserID, started, profileID, now)
		if err != nil {
			return err
		}
		c = &Contact{ID: id, StationID: stationID, StationPath: path, Channel: "phone", State: "draft", CounsellorID: p.UserID,
			AuthorID: p.UserID, StartedAt: db.FromMicro(started), ProfileID: profileID, Version: 1}
		return s.record(ctx, tx, p, m, "contact.start", id, "channel=phone profile="+itoa(profileID))
	})
	return c, err
}

// Holder returns who holds a contact now and its state (draft, final),
// for the adapter to move a transferred call's draft; it reads nothing
// about the child.
func (s *Service) Holder(ctx context.Context, contactID int64) (holder int64, state string, err error) {
	err = s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT counsellor_id, state FROM contacts WHERE id = ?`, contactID).Scan(&holder, &state)
	})
	return holder, state, err
}
