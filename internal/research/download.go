package research

import (
	"context"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// File is a downloaded extract.
type File struct {
	Name        string
	ContentType string
	Body        []byte
}

// Formats are the files an extract comes in.
var Formats = []string{"xlsx", "csv"}

// Download returns the extract id in format (xlsx or csv) to the
// researcher it is addressed to, who needs research.extract; anyone else,
// and an extract not ready, gets not found. Every download is audited in
// the same transaction as the read.
func (s *Service) Download(ctx context.Context, p access.Principal, id int64, format string) (*File, error) {
	m, ok := p.Grant(access.ResearchExtract)
	if !ok {
		return nil, apperr.Forbidden()
	}
	var f *File
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var xlsx, csv []byte
		err := tx.QueryRow(ctx, `SELECT xlsx, csv FROM research_extracts WHERE id = ? AND researcher_id = ? AND state = 'ready'`, id, p.UserID).Scan(&xlsx, &csv)
		if err != nil {
			return err
		}
		sealed, ct := xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		switch format {
		case "xlsx":
		case "csv":
			sealed, ct = csv, "text/csv; charset=utf-8"
		default:
			return apperr.NotFound()
		}
		body, err := s.Seal.Open(sealed, aad(id, format))
		if err != nil {
			return apperr.Internal(err)
		}
		f = &File{Name: "careloop-research-" + itoa(id) + "." + format, ContentType: ct, Body: body}
		if _, err := tx.Exec(ctx, `UPDATE research_extracts SET downloads = downloads + 1 WHERE id = ?`, id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "research.download", id, "format="+format)
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}
