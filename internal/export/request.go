package export

import (
	"context"
	"net/url"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// Request records an export of kind with filters for p and queues its
// build. The caller must be signed in as a person (an API token may not
// export); what they may see is decided when it is built.
func (s *Service) Request(ctx context.Context, p access.Principal, kind, locale string, filters url.Values) (int64, error) {
	src, ok := s.Sources[kind]
	if !ok {
		return 0, apperr.NotFound()
	}
	if p.UserID <= 0 || p.Limit != nil || !p.Can(src.Permission()) {
		return 0, apperr.Forbidden()
	}
	if locale != "en" {
		locale = "zh-CN"
	}
	enc := filters.Encode()
	if len(enc) > 2000 {
		return 0, apperr.Invalid("form.invalid", map[string]string{"filters": "form.too_long"})
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		now := db.Micro(s.now())
		var err error
		if id, err = tx.InsertID(ctx, `INSERT INTO exports (user_id, kind, locale, filters, state, created_at) VALUES (?, ?, ?, ?, 'queued', ?)`,
			p.UserID, kind, locale, enc, now); err != nil {
			return err
		}
		if err := s.Jobs.At(ctx, tx, BuildArgs{Export: id}, s.now()); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, Action: "export.request", ObjectType: "export",
			ObjectID: itoa(id), Outcome: audit.Success, Detail: "kind=" + kind + " " + strings.ReplaceAll(enc, " ", "+")})
	})
	return id, err
}

// Mine lists the caller's exports, latest first.
func (s *Service) Mine(ctx context.Context, p access.Principal) ([]Export, error) {
	var out []Export
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+exportColumns+` FROM exports WHERE user_id = ? ORDER BY id DESC LIMIT 50`, p.UserID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := s.scan(rows)
			if err != nil {
				return err
			}
			out = append(out, *e)
		}
		return rows.Err()
	})
	return out, err
}

// Find reads one of the caller's exports (another's is not found).
func (s *Service) Find(ctx context.Context, p access.Principal, id int64) (*Export, error) {
	var e *Export
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		e, err = s.scan(tx.QueryRow(ctx, `SELECT `+exportColumns+` FROM exports WHERE id = ? AND user_id = ?`, id, p.UserID))
		return err
	})
	if apperr.CodeOf(err) == apperr.ENotFound {
		return nil, apperr.NotFound()
	}
	return e, err
}

const exportColumns = `id, kind, filters, state, done, total, filename, created_at, finished_at, expires_at`

func (s *Service) scan(sc interface{ Scan(...any) error }) (*Export, error) {
	e := &Export{}
	var filters string
	var created, finished, expires int64
	if err := sc.Scan(&e.ID, &e.Kind, &filters, &e.State, &e.Done, &e.Total, &e.Filename, &created, &finished, &expires); err != nil {
		return nil, err
	}
	e.Filters, _ = url.ParseQuery(filters)
	e.CreatedAt, e.FinishedAt, e.ExpiresAt = db.FromMicro(created), db.FromMicro(finished), db.FromMicro(expires)
	if e.State == "ready" && !e.ExpiresAt.IsZero() && s.now().After(e.ExpiresAt) {
		e.State = "expired"
	}
	return e, nil
}

// Download returns the file of one of the caller's ready exports. Audited.
func (s *Service) Download(ctx context.Context, p access.Principal, id int64) (string, []byte, error) {
	var name string
	var file []byte
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var sealed []byte
		var expires int64
		var state, kind string
		err := tx.QueryRow(ctx, `SELECT state, kind, filename, file, expires_at FROM exports WHERE id = ? AND user_id = ?`, id, p.UserID).Scan(&state,
			&kind, &name, &sealed, &expires)
		if err != nil {
			return err
		}
		if state != "ready" || s.now().After(db.FromMicro(expires)) {
			return apperr.NotFound()
		}
		// Whoever lost the role a table needs no longer takes it away.
		if src, ok := s.Sources[kind]; !ok || !p.Can(src.Permission()) || p.Limit != nil {
			return apperr.NotFound()
		}
		if file, err = s.Seal.Open(sealed, fileAAD(id)); err != nil {
			return apperr.Internal(err)
		}
		return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, Action: "export.download", ObjectType: "export",
			ObjectID: itoa(id), Outcome: audit.Success})
	})
	if apperr.CodeOf(err) == apperr.ENotFound {
		return "", nil, apperr.NotFound()
	}
	return name, file, err
}
