package letter

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// What counsellors and supervisors do with letters: list, read, take,
// reply and close. A letter belongs to its station: hotline.contact or
// hotline.supervise over the station reaches it; anything else is not
// found.

// reach returns the membership through which p reaches a letter at path,
// and whether p supervises there.
func reach(p access.Principal, path string) (m access.Membership, sup, ok bool) {
	if m, ok := p.At(access.HotlineSupervise, path); ok {
		return m, true, true
	}
	m, ok = p.At(access.HotlineContact, path)
	return m, false, ok
}

// anyGrant is the membership that a list read is audited under.
func anyGrant(p access.Principal) (access.Membership, bool) {
	if m, ok := p.Grant(access.HotlineContact); ok {
		return m, true
	}
	return p.Grant(access.HotlineSupervise)
}

// Filter selects letters for the station list.
type Filter struct {
	StationID int64 // 0: every station the caller reaches
	Closed    bool  // closed letters, latest first, instead of those not closed by deadline
	Limit     int   // default and at most 200
}

// FindLetters lists the letters of the stations the caller reaches: those
// not closed, soonest deadline first (overdue ones marked), or the latest
// closed. No text is read; the list read is audited.
func (s *Service) FindLetters(ctx context.Context, p access.Principal, f Filter) ([]*Letter, error) {
	m, ok := anyGrant(p)
	if !ok {
		return nil, apperr.Forbidden()
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 200
	}
	contact, cargs := p.Scope(access.HotlineContact, "o.path")
	sup, sargs := p.Scope(access.HotlineSupervise, "o.path")
	q := `SELECT ` + letterColumns + ` FROM ` + letterFrom + ` WHERE (` + contact + ` OR ` + sup + `)`
	args := append(cargs, sargs...)
	if f.StationID != 0 {
		q += ` AND l.station_id = ?`
		args = append(args, f.StationID)
	}
	if f.Closed {
		q += ` AND l.state = 'closed' ORDER BY l.closed_at DESC, l.id DESC LIMIT ?`
	} else {
		q += ` AND l.state <> 'closed' ORDER BY l.due_at, l.id LIMIT ?`
	}
	args = append(args, f.Limit)
	return s.list(ctx, p, m, q, args, "letter.list")
}

// Due returns the letters waiting for a first reply that the caller may
// answer, soonest deadline first: at the stations where they answer
// contacts, those not yet taken and their own, and for a supervisor every
// one of their stations. It is what the work list shows.
func (s *Service) Due(ctx context.Context, p access.Principal) ([]*Letter, error) {
	m, ok := p.Grant(access.HotlineContact)
	if !ok {
		return nil, nil
	}
	contact, cargs := p.Scope(access.HotlineContact, "o.path")
	sup, sargs := p.Scope(access.HotlineSupervise, "o.path")
	q := `SELECT ` + letterColumns + ` FROM ` + letterFrom + ` WHERE ` + contact + ` AND l.state = 'open'
		AND (l.assignee_id = 0 OR l.assignee_id = ? OR ` + sup + `) ORDER BY l.due_at, l.id LIMIT 200`
	args := append(append(cargs, p.UserID), sargs...)
	return s.list(ctx, p, m, q, args, "letter.due")
}

func (s *Service) list(ctx context.Context, p access.Principal, m access.Membership, q string, args []any, action string) ([]*Letter, error) {
	var out []*Letter
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			l, err := s.scanLetter(rows)
			if err != nil {
				rows.Close()
				return apperr.Internal(err)
			}
			out = append(out, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		return s.Audit.Record(ctx, tx, auditList(p, m, action, len(out)))
	})
	return out, err
}

// Find reads a letter with its text and replies. The read is audited.
func (s *Service) Find(ctx context.Context, p access.Principal, id int64) (*Letter, error) {
	var l *Letter
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		if l, err = s.load(ctx, tx, id); err != nil {
			return err
		}
		m, _, ok := reach(p, l.StationPath)
		if !ok {
			return apperr.NotFound()
		}
		if err := s.open(ctx, tx, l, true); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "letter.read", id, "")
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Take makes the caller the letter's assignee. A letter held by a
// colleague is taken over only by a supervisor. With Hotline set, the
// first take opens the letter's draft contact (channel letter).
func (s *Service) Take(ctx context.Context, p access.Principal, id int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		l, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		m, sup, ok := reach(p, l.StationPath)
		if !ok {
			return apperr.NotFound()
		}
		return s.take(ctx, tx, p, m, sup, l)
	})
}

func (s *Service) take(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, sup bool, l *Letter) error {
	switch {
	case l.State == StateClosed:
		return apperr.New(apperr.EConflict, "letter.closed")
	case l.AssigneeID == p.UserID:
		return nil
	case l.AssigneeID != 0 && !sup:
		return apperr.New(apperr.EConflict, "letter.taken")
	}
	if _, ok := p.At(access.HotlineContact, l.StationPath); !ok {
		return apperr.Forbidden() // a supervisor from elsewhere reads, but answers only where they answer contacts
	}
	contact := l.ContactID
	if s.Hotline != nil && contact == 0 {
		var err error
		if contact, err = s.startContact(ctx, tx, p, l); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE letters SET assignee_id = ?, contact_id = ? WHERE id = ?`, p.UserID, contact, l.ID); err != nil {
		return err
	}
	l.AssigneeID, l.ContactID = p.UserID, contact
	return s.record(ctx, tx, p, m, "letter.take", l.ID, "contact="+itoa(contact))
}

// Reply answers a letter: the assignee or a supervisor of its station
// (a counsellor replying to a letter nobody holds takes it). A reply to a
// web letter is readable with the writer's code at once; a reply to an
// e-mail is sent by a job, retried until the mail server takes it.
func (s *Service) Reply(ctx context.Context, p access.Principal, id int64, text string) (int64, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return 0, apperr.Invalid("form.invalid", map[string]string{"text": "letter.reply_required"})
	case utf8.RuneCountInString(text) > MaxText:
		return 0, apperr.Invalid("form.invalid", map[string]string{"text": "letter.too_long"})
	}
	var rid int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		l, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		m, sup, ok := reach(p, l.StationPath)
		if !ok {
			return apperr.NotFound()
		}
		switch {
		case l.State == StateClosed:
			return apperr.New(apperr.EConflict, "letter.closed")
		case l.AssigneeID == 0:
			if err := s.take(ctx, tx, p, m, sup, l); err != nil {
				return err
			}
		case l.AssigneeID != p.UserID && !sup:
			return apperr.New(apperr.EForbidden, "letter.not_assignee")
		}
		mail := ""
		if l.Source == SourceEmail {
			if s.Jobs == nil || s.Mailer == nil {
				return apperr.New(apperr.EConflict, "letter.mail_off")
			}
			mail = "queued"
		}
		now := db.Micro(s.now())
		if rid, err = tx.InsertID(ctx, `INSERT INTO letter_replies (letter_id, author_id, body, sent_at, mail_state) VALUES (?, ?, ?, ?, ?)`,
			id, p.UserID, []byte{}, now, mail); err != nil {
			return err
		}
		sealed, err := s.Seal.Seal([]byte(text), replyAAD(rid))
		if err != nil {
			return apperr.Internal(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE letter_replies SET body = ? WHERE id = ?`, sealed, rid); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE letters SET state = ?, answered_at = CASE WHEN answered_at = 0 THEN ? ELSE answered_at END
			WHERE id = ?`, StateAnswered, now, id); err != nil {
			return err
		}
		if mail != "" {
			if err := s.Jobs.At(ctx, tx, ReplyMailArgs{ReplyID: rid}, time.Time{}); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, m, "letter.reply", id, "reply="+itoa(rid)+" mail="+mail)
	})
	return rid, err
}

// Close ends a letter, for a reason of CloseReasons: its assignee, a
// supervisor, or any counsellor of the station if nobody holds it (spam).
func (s *Service) Close(ctx context.Context, p access.Principal, id int64, reason string) error {
	if !slices.Contains(CloseReasons, reason) {
		return apperr.Invalid("form.invalid", map[string]string{"reason": "letter.bad_value"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		l, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		m, sup, ok := reach(p, l.StationPath)
		if !ok {
			return apperr.NotFound()
		}
		switch {
		case l.State == StateClosed:
			return apperr.New(apperr.EConflict, "letter.closed")
		case !sup && l.AssigneeID != 0 && l.AssigneeID != p.UserID:
			return apperr.New(apperr.EForbidden, "letter.not_assignee")
		}
		if _, err := tx.Exec(ctx, `UPDATE letters SET state = ?, closed_at = ?, close_reason = ? WHERE id = ?`,
			StateClosed, db.Micro(s.now()), reason, id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "letter.close", id, "reason="+reason)
	})
}
