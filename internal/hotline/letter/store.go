package letter

import (
	"context"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// letterColumns are what load and the lists read, in scanLetter's order.
const letterColumns = `l.id, l.station_id, o.path, o.name, o.name_en, l.source, l.state, l.age_band, l.flags, l.assignee_id,
	COALESCE(u.display_name, ''), l.contact_id, l.received_at, l.due_at, l.answered_at, l.closed_at, l.close_reason, l.writer_read_at`

const letterFrom = `letters l JOIN org_units o ON o.id = l.station_id LEFT JOIN users u ON u.id = l.assignee_id`

type scanner interface{ Scan(dest ...any) error }

func (s *Service) scanLetter(row scanner) (*Letter, error) {
	l := &Letter{}
	var flags string
	var received, due, answered, closed, read int64
	if err := row.Scan(&l.ID, &l.StationID, &l.StationPath, &l.StationName, &l.StationNameEn, &l.Source, &l.State, &l.AgeBand, &flags,
		&l.AssigneeID, &l.AssigneeName, &l.ContactID, &received, &due, &answered, &closed, &l.CloseReason, &read); err != nil {
		return nil, err
	}
	l.Flags = strings.Fields(flags)
	l.ReceivedAt, l.DueAt, l.AnsweredAt = db.FromMicro(received), db.FromMicro(due), db.FromMicro(answered)
	l.ClosedAt, l.WriterReadAt = db.FromMicro(closed), db.FromMicro(read)
	l.Overdue = l.State == StateOpen && s.now().After(l.DueAt)
	return l, nil
}

// load reads a letter's plain columns inside tx, serialised with other
// writes on it (PostgreSQL).
func (s *Service) load(ctx context.Context, tx *db.Tx, id int64) (*Letter, error) {
	if err := tx.Serialize(ctx, "letter:"+itoa(id)); err != nil {
		return nil, err
	}
	l, err := s.scanLetter(tx.QueryRow(ctx, `SELECT `+letterColumns+` FROM `+letterFrom+` WHERE l.id = ?`, id))
	if apperr.CodeOf(err) == apperr.ENotFound {
		return nil, apperr.NotFound()
	}
	return l, err
}

// open fills in the letter's text, its e-mail subject and its replies,
// unsealed; with names, the replies carry their authors' names (staff).
func (s *Service) open(ctx context.Context, tx *db.Tx, l *Letter, names bool) error {
	var body, subject []byte
	var senderHash string
	if err := tx.QueryRow(ctx, `SELECT body, subject, sender_hash FROM letters WHERE id = ?`, l.ID).Scan(&body, &subject, &senderHash); err != nil {
		return err
	}
	var err error
	if l.Body, err = s.unseal(body, bodyAAD(l.ID)); err != nil {
		return err
	}
	if l.Subject, err = s.unseal(subject, subjectAAD(l.ID)); err != nil {
		return err
	}
	if names && senderHash != "" {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM letters WHERE sender_hash = ? AND id <> ?`, senderHash, l.ID).Scan(&n); err != nil {
			return err
		}
		l.SenderLetters = int(n)
	}
	rows, err := tx.Query(ctx, `SELECT r.id, r.author_id, u.display_name, r.body, r.sent_at, r.mail_state, r.mailed_at
		FROM letter_replies r JOIN users u ON u.id = r.author_id WHERE r.letter_id = ? ORDER BY r.id`, l.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	l.Replies = nil
	for rows.Next() {
		var r Reply
		var sealed []byte
		var at, mailed int64
		if err := rows.Scan(&r.ID, &r.AuthorID, &r.AuthorName, &sealed, &at, &r.Mail, &mailed); err != nil {
			return apperr.Internal(err)
		}
		if r.Body, err = s.unseal(sealed, replyAAD(r.ID)); err != nil {
			return err
		}
		r.At, r.MailedAt = db.FromMicro(at), db.FromMicro(mailed)
		if !names {
			r.AuthorID, r.AuthorName, r.Mail, r.MailedAt = 0, "", "", time.Time{}
		}
		l.Replies = append(l.Replies, r)
	}
	return apperr.Internal(rows.Err())
}

func (s *Service) unseal(sealed []byte, aad string) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	plain, err := s.Seal.Open(sealed, aad)
	if err != nil {
		return "", apperr.Internal(err)
	}
	return string(plain), nil
}
