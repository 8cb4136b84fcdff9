package screening

import (
	"context"
	"sort"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/screening/instrument"
)

// Instrument returns an instrument by id: one an organisation imported (its
// newest version), else one careloop ships.
func (s *Service) Instrument(id string) (*instrument.Instrument, bool) {
	s.mu.RLock()
	inst, ok := s.imported[id]
	s.mu.RUnlock()
	if ok {
		return inst, true
	}
	return s.Catalog.Get(id)
}

// Instruments lists every usable instrument, shipped and imported, by id.
func (s *Service) Instruments() []*instrument.Instrument {
	byID := map[string]*instrument.Instrument{}
	for _, inst := range s.Catalog.All() {
		byID[inst.ID] = inst
	}
	s.mu.RLock()
	for id, inst := range s.imported {
		byID[id] = inst
	}
	s.mu.RUnlock()
	out := make([]*instrument.Instrument, 0, len(byID))
	for _, inst := range byID {
		out = append(out, inst)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Administrable reports whether an instrument can be answered online: every
// item has text in Chinese.
func Administrable(inst *instrument.Instrument) bool {
	for _, it := range inst.Items {
		if strings.TrimSpace(it.Text.Get(instrument.LocaleZH)) == "" {
			return false
		}
	}
	return len(inst.Items) > 0
}

// LoadImported reads the imported definitions (newest version of each id)
// at start-up.
func (s *Service) LoadImported(ctx context.Context) error {
	imported := map[string]*instrument.Instrument{}
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT fhir FROM instrument_definitions ORDER BY imported_at, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var doc string
			if err := rows.Scan(&doc); err != nil {
				return apperr.Internal(err)
			}
			inst, err := instrument.FromFHIR([]byte(doc))
			if err != nil {
				return apperr.Internal(err)
			}
			imported[inst.ID] = inst
		}
		return apperr.Internal(rows.Err())
	})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.imported = imported
	s.mu.Unlock()
	return nil
}

// ImportInstrument validates a FHIR R4 Questionnaire and stores it as an
// instrument definition. A shipped instrument cannot be replaced; the same
// id and version twice is a conflict. Validation problems are EInvalid.
func (s *Service) ImportInstrument(ctx context.Context, p access.Principal, doc []byte) (*instrument.Instrument, error) {
	m, ok := p.Grant(access.InstrumentManage)
	if !ok {
		return nil, apperr.Forbidden()
	}
	inst, err := instrument.FromFHIR(doc)
	if err != nil {
		return nil, err
	}
	if _, shipped := s.Catalog.Get(inst.ID); shipped {
		return nil, apperr.Invalid("instrument.shipped", map[string]string{"id": "instrument.shipped"})
	}
	err = s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		id, err := tx.InsertID(ctx, `INSERT INTO instrument_definitions (instrument, version, fhir, imported_by, imported_at)
			VALUES (?, ?, ?, ?, ?)`, inst.ID, inst.Version, string(doc), p.UserID, db.Micro(s.now()))
		if err != nil {
			return err
		}
		return s.audited(ctx, tx, p, m, "instrument.import", "instrument_definition", id, "instrument="+inst.ID+" version="+inst.Version)
	})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.imported == nil {
		s.imported = map[string]*instrument.Instrument{}
	}
	s.imported[inst.ID] = inst
	s.mu.Unlock()
	return inst, nil
}
