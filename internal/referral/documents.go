package referral

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/sharing"
)

// Limits of the documents of a referral. Documents are kept sealed in the
// database, not in files: a document commits with its referral, its
// disclosure and its audit entry or not at all, a backup of the database
// holds it, and its seal is bound to its row.
const (
	MaxDocumentBytes = 5 << 20
	MaxDocuments     = 10
)

// Document is a file to send with a referral. Its type is recognised from
// its content: PDF, JPEG, PNG or plain text (UTF-8).
type Document struct {
	Name string
	Body []byte
}

// DocumentInfo describes a document of a referral.
type DocumentInfo struct {
	ID          int64
	Name        string // opened
	ContentType string
	Bytes       int64
	AddedBy     int64
	AddedAt     time.Time
}

// File is a document opened for download.
type File struct {
	DocumentInfo
	Body []byte
}

// sniff returns the content type of a document, or "" for one not accepted.
func sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "application/pdf"
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case utf8.Valid(b) && !bytes.ContainsRune(b, 0):
		return "text/plain; charset=utf-8"
	}
	return ""
}

// checkDocuments returns the problem with docs, added to existing ones, or "".
func checkDocuments(docs []Document, existing int) string {
	if existing+len(docs) > MaxDocuments {
		return "referral.documents_too_many"
	}
	for _, d := range docs {
		switch {
		case len(d.Body) == 0:
			return "referral.document_empty"
		case len(d.Body) > MaxDocumentBytes:
			return "referral.document_too_big"
		case sniff(d.Body) == "":
			return "referral.document_type"
		case len([]rune(d.Name)) > 200:
			return "referral.document_name_long"
		}
	}
	return ""
}

func docNameAAD(id int64) string { return "referral_documents:" + itoa(id) + ":name" }
func docBodyAAD(id int64) string { return "referral_documents:" + itoa(id) + ":body" }

// addDocuments stores docs of referral id, sealed.
func (s *Service) addDocuments(ctx context.Context, tx *db.Tx, p access.Principal, id int64, docs []Document) error {
	now := db.Micro(s.now())
	for _, d := range docs {
		name := strings.TrimSpace(d.Name)
		if name == "" {
			name = "document"
		}
		docID, err := tx.InsertID(ctx, `INSERT INTO referral_documents (referral_id, name, content_type, bytes, body, added_by, added_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, []byte{}, sniff(d.Body), len(d.Body), []byte{}, p.UserID, now)
		if err != nil {
			return err
		}
		sealedName, err := s.Seal.Seal([]byte(name), docNameAAD(docID))
		if err != nil {
			return apperr.Internal(err)
		}
		body, err := s.Seal.Seal(d.Body, docBodyAAD(docID))
		if err != nil {
			return apperr.Internal(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE referral_documents SET name = ?, body = ? WHERE id = ?`, sealedName, body, docID); err != nil {
			return err
		}
	}
	return nil
}

// AddDocuments sends more documents with a referral that is not closed or
// declined; the caller follows it (the sender's side). The documents are
// a new disclosure, recorded in the same transaction on the referral's basis.
func (s *Service) AddDocuments(ctx context.Context, p access.Principal, id int64, docs []Document) error {
	if len(docs) == 0 {
		return apperr.Invalid("form.invalid", map[string]string{"documents": "form.required"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		r, m, err := s.lockFor(ctx, tx, p, id, SideSender)
		if err != nil {
			return err
		}
		if Final(r.State) {
			return apperr.New(apperr.EConflict, "referral.final")
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM referral_documents WHERE referral_id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if key := checkDocuments(docs, n); key != "" {
			return apperr.Invalid("form.invalid", map[string]string{"documents": key})
		}
		if err := s.addDocuments(ctx, tx, p, id, docs); err != nil {
			return err
		}
		if !r.Has("documents") {
			if _, err := tx.Exec(ctx, `UPDATE referrals SET shares = shares || ' documents' WHERE id = ?`, id); err != nil {
				return err
			}
		}
		detail := "documents=" + strconv.Itoa(len(docs))
		if err := s.event(ctx, tx, p, m, r, "documents", r.State, r.State, detail, ""); err != nil {
			return err
		}
		if err := s.Sharing.Record(ctx, tx, p, sharing.Disclosure{StudentID: r.StudentID, FromUnit: r.FromUnit, ToUnit: r.ToUnit,
			What: []string{"documents"}, Purpose: "referral", Basis: r.Basis, RefType: "referral", RefID: r.ID}); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "referral.documents", id, "student="+itoa(r.StudentID)+" "+detail)
	})
}

// documents lists the documents of referral id, names opened.
func (s *Service) documents(ctx context.Context, tx *db.Tx, id int64) ([]DocumentInfo, error) {
	rows, err := tx.Query(ctx, `SELECT id, name, content_type, bytes, added_by, added_at FROM referral_documents WHERE referral_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DocumentInfo
	for rows.Next() {
		var d DocumentInfo
		var name []byte
		var at int64
		if err := rows.Scan(&d.ID, &name, &d.ContentType, &d.Bytes, &d.AddedBy, &at); err != nil {
			return nil, apperr.Internal(err)
		}
		plain, err := s.Seal.Open(name, docNameAAD(d.ID))
		if err != nil {
			return nil, apperr.Internal(err)
		}
		d.Name, d.AddedAt = string(plain), db.FromMicro(at)
		out = append(out, d)
	}
	return out, apperr.Internal(rows.Err())
}

// OpenDocument opens one document of a referral for download by side: the
// sender's side, or the receiving unit's (referral.hospital over it). The
// download is audited in the same transaction. A document of a referral
// the caller cannot see is ENotFound.
func (s *Service) OpenDocument(ctx context.Context, p access.Principal, side string, referralID, docID int64) (*File, error) {
	var f File
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		r, err := loadReferral(ctx, tx, referralID)
		if err != nil {
			return err
		}
		m, ok := grantFor(p, r, side)
		if !ok {
			return apperr.NotFound()
		}
		var name, body []byte
		var at int64
		err = tx.QueryRow(ctx, `SELECT id, name, content_type, bytes, added_by, added_at, body FROM referral_documents WHERE id = ? AND referral_id = ?`,
			docID, referralID).Scan(&f.ID, &name, &f.ContentType, &f.Bytes, &f.AddedBy, &at, &body)
		if err != nil {
			return err
		}
		plainName, err := s.Seal.Open(name, docNameAAD(f.ID))
		if err != nil {
			return apperr.Internal(err)
		}
		if f.Body, err = s.Seal.Open(body, docBodyAAD(f.ID)); err != nil {
			return apperr.Internal(err)
		}
		f.Name, f.AddedAt = string(plainName), db.FromMicro(at)
		return s.record(ctx, tx, p, m, "referral.document_read", referralID, "student="+itoa(r.StudentID)+" document="+itoa(docID)+" side="+side)
	})
	if err != nil {
		return nil, err
	}
	return &f, nil
}
