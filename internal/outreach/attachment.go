package outreach

import (
	"bytes"
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Limits of an activity's attachments. They may show children, so they
// are kept sealed in the database (bound to their row), not in files.
const (
	MaxAttachmentBytes = 8 << 20
	MaxAttachments     = 20
)

// AttachmentInfo describes a photo or material of an activity.
type AttachmentInfo struct {
	ID          int64
	ActivityID  int64
	Name        string // opened
	ContentType string
	Bytes       int64
	AddedAt     time.Time
}

// Image reports whether the attachment is a picture.
func (a AttachmentInfo) Image() bool { return strings.HasPrefix(a.ContentType, "image/") }

// Attachment is an attachment opened for download.
type Attachment struct {
	AttachmentInfo
	Body []byte
}

// Sniff returns the content type recognised from the bytes, or "" for
// anything that is not a JPEG, PNG, GIF or WebP image or a PDF. The name
// and the type the browser claimed are never trusted.
func Sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return "image/gif"
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return "image/webp"
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "application/pdf"
	}
	return ""
}

func attNameAAD(id int64) string { return "outreach_attachments:" + itoa(id) + ":name" }
func attBodyAAD(id int64) string { return "outreach_attachments:" + itoa(id) + ":body" }

// AddAttachment stores a photo or material of an activity in the caller's
// scope, sealed, and audits it.
func (s *Service) AddAttachment(ctx context.Context, p access.Principal, activityID int64, name string, body []byte) (int64, error) {
	if !p.Can(access.OutreachManage) {
		return 0, apperr.Forbidden()
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "attachment"
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		path, err := loadActivity(ctx, tx, p, activityID)
		if err != nil {
			return err
		}
		m, _ := p.At(access.OutreachManage, path)
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM outreach_attachments WHERE activity_id = ?`, activityID).Scan(&n); err != nil {
			return err
		}
		ct := Sniff(body)
		switch {
		case len(body) == 0:
			return apperr.Invalid("form.invalid", map[string]string{"file": "outreach.file_empty"})
		case len(body) > MaxAttachmentBytes:
			return apperr.Invalid("form.invalid", map[string]string{"file": "outreach.file_too_big"})
		case ct == "":
			return apperr.Invalid("form.invalid", map[string]string{"file": "outreach.file_type"})
		case utf8.RuneCountInString(name) > 200:
			return apperr.Invalid("form.invalid", map[string]string{"file": "outreach.file_name_long"})
		case n >= MaxAttachments:
			return apperr.Invalid("form.invalid", map[string]string{"file": "outreach.files_too_many"})
		}
		if id, err = tx.InsertID(ctx, `INSERT INTO outreach_attachments (activity_id, name, content_type, bytes, body, added_by, added_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, activityID, []byte{}, ct, len(body), []byte{}, p.UserID, db.Micro(s.now())); err != nil {
			return err
		}
		sealedName, err := s.Seal.Seal([]byte(name), attNameAAD(id))
		if err != nil {
			return apperr.Internal(err)
		}
		sealedBody, err := s.Seal.Seal(body, attBodyAAD(id))
		if err != nil {
			return apperr.Internal(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE outreach_attachments SET name = ?, body = ? WHERE id = ?`, sealedName, sealedBody, id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "outreach.attachment_add", "outreach_attachment", id, "activity="+itoa(activityID)+" type="+ct)
	})
	return id, err
}

// attachments lists an activity's attachments, names opened.
func (s *Service) attachments(ctx context.Context, tx *db.Tx, activityID int64) ([]AttachmentInfo, error) {
	rows, err := tx.Query(ctx, `SELECT id, name, content_type, bytes, added_at FROM outreach_attachments WHERE activity_id = ? ORDER BY id`, activityID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AttachmentInfo
	for rows.Next() {
		a := AttachmentInfo{ActivityID: activityID}
		var name []byte
		var at int64
		if err := rows.Scan(&a.ID, &name, &a.ContentType, &a.Bytes, &at); err != nil {
			return nil, apperr.Internal(err)
		}
		plain, err := s.Seal.Open(name, attNameAAD(a.ID))
		if err != nil {
			return nil, apperr.Internal(err)
		}
		a.Name, a.AddedAt = string(plain), db.FromMicro(at)
		out = append(out, a)
	}
	return out, apperr.Internal(rows.Err())
}

// OpenAttachment opens one attachment of an activity in the caller's
// scope; the read is audited in the same transaction. Anything else is
// not found.
func (s *Service) OpenAttachment(ctx context.Context, p access.Principal, activityID, id int64) (*Attachment, error) {
	if !p.Can(access.OutreachManage) {
		return nil, apperr.Forbidden()
	}
	var a Attachment
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		path, err := loadActivity(ctx, tx, p, activityID)
		if err != nil {
			return err
		}
		m, _ := p.At(access.OutreachManage, path)
		var name, body []byte
		var at int64
		if err := tx.QueryRow(ctx, `SELECT id, name, content_type, bytes, added_at, body FROM outreach_attachments WHERE id = ? AND activity_id = ?`,
			id, activityID).Scan(&a.ID, &name, &a.ContentType, &a.Bytes, &at, &body); err != nil {
			return err
		}
		plainName, err := s.Seal.Open(name, attNameAAD(a.ID))
		if err != nil {
			return apperr.Internal(err)
		}
		if a.Body, err = s.Seal.Open(body, attBodyAAD(a.ID)); err != nil {
			return apperr.Internal(err)
		}
		a.ActivityID, a.Name, a.AddedAt = activityID, string(plainName), db.FromMicro(at)
		return s.record(ctx, tx, p, m, "outreach.attachment_read", "outreach_attachment", id, "activity="+itoa(activityID))
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}
