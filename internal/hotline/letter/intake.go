package letter

import (
	"context"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Received is the outcome of taking in an e-mail.
type Received struct {
	ID        int64
	Duplicate bool // the same message (by Message-ID) was taken in before: nothing new is stored
}

// Receive takes in an e-mail for a station (0: the top station the caller
// answers for), as posted by a mail gateway authenticated with an API token
// holding hotline.contact at the station. The message is parsed first: a
// message that cannot be read stores nothing (EInvalid). The sender's
// address, the subject and the text are sealed; the address is also kept
// as a keyed hash to count a writer's letters. A redelivered message (same
// Message-ID) returns the letter already stored.
func (s *Service) Receive(ctx context.Context, p access.Principal, stationID int64, raw []byte) (*Received, error) {
	m, err := ParseMail(raw)
	if err != nil {
		return nil, err
	}
	senderHash, err := s.keyHash("email", strings.ToLower(strings.TrimSpace(m.From)))
	if err != nil {
		return nil, err
	}
	mailKey := ""
	if m.MessageID != "" {
		if mailKey, err = s.keyHash("msgid", m.MessageID); err != nil {
			return nil, err
		}
	}
	flags := s.flags(m.Subject + "\n" + m.Text)
	var out *Received
	err = s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		station, path, mem, err := s.mailStation(ctx, tx, p, stationID)
		if err != nil {
			return err
		}
		if mailKey != "" {
			var id int64
			err := tx.QueryRow(ctx, `SELECT id FROM letters WHERE mail_key = ?`, mailKey).Scan(&id)
			if err == nil {
				out = &Received{ID: id, Duplicate: true}
				return nil
			}
			if apperr.CodeOf(err) != apperr.ENotFound {
				return err
			}
		}
		now := s.now()
		due, err := s.deadline(ctx, tx, path, len(flags) > 0, now)
		if err != nil {
			return err
		}
		id, err := tx.InsertID(ctx, `INSERT INTO letters (station_id, source, flags, sender_hash, mail_key, received_at, due_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, station, SourceEmail, strings.Join(flags, " "), senderHash, mailKey, db.Micro(now), db.Micro(due))
		if err != nil {
			return err
		}
		body, err := s.Seal.Seal([]byte(m.Text), bodyAAD(id))
		if err != nil {
			return apperr.Internal(err)
		}
		sender, err := s.Seal.Seal([]byte(m.From), senderAAD(id))
		if err != nil {
			return apperr.Internal(err)
		}
		var subject []byte
		if m.Subject != "" {
			if subject, err = s.Seal.Seal([]byte(m.Subject), subjectAAD(id)); err != nil {
				return apperr.Internal(err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE letters SET body = ?, sender = ?, subject = ? WHERE id = ?`, body, sender, subject, id); err != nil {
			return err
		}
		out = &Received{ID: id}
		return s.record(ctx, tx, p, mem, "letter.receive", id, "source=email attachments="+strconv.Itoa(m.Attachments)+
			" truncated="+strconv.FormatBool(m.Truncated)+" flags="+strings.Join(flags, ","))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// mailStation is the station an e-mail goes to: the one named, where the
// caller holds hotline.contact, else the top such station.
func (s *Service) mailStation(ctx context.Context, tx *db.Tx, p access.Principal, id int64) (int64, string, access.Membership, error) {
	var path string
	if id == 0 {
		scope, args := p.Scope(access.HotlineContact, "path")
		err := tx.QueryRow(ctx, `SELECT id, path FROM org_units WHERE kind = 'hotline_station' AND active = 1 AND `+scope+`
			ORDER BY depth, id LIMIT 1`, args...).Scan(&id, &path)
		if err != nil {
			return 0, "", access.Membership{}, apperr.NotFound()
		}
	} else if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ? AND kind = 'hotline_station' AND active = 1`, id).
		Scan(&path); err != nil {
		return 0, "", access.Membership{}, apperr.NotFound()
	}
	m, ok := p.At(access.HotlineContact, path)
	if !ok {
		return 0, "", m, apperr.NotFound()
	}
	return id, path, m, nil
}
