package research

import (
	"context"
	"crypto/rand"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/sharing"
)

// BuildArgs is the job that builds one extract.
type BuildArgs struct {
	Extract int64 `json:"extract"`
}

// Kind names the job.
func (BuildArgs) Kind() string { return "research.build" }

var _ river.JobArgs = BuildArgs{}

// BuildWorker builds extracts.
type BuildWorker struct {
	river.WorkerDefaults[BuildArgs]
	S *Service
}

// Timeout lets a large extract take longer than River's default minute.
func (w *BuildWorker) Timeout(*river.Job[BuildArgs]) time.Duration { return 30 * time.Minute }

// Work builds the extract; a built one is left alone (idempotent).
func (w *BuildWorker) Work(ctx context.Context, job *river.Job[BuildArgs]) error {
	return w.S.Build(ctx, job.Args.Extract)
}

// built is what a build produces.
type built struct {
	level      Level
	persons    int
	suppressed int
	records    int
	xlsx, csv  []byte
}

// definer is the extract's definer as a caller, with the memberships they
// hold now: building checks that they still may define it.
func definer(ctx context.Context, tx *db.Tx, userID int64) (access.Principal, error) {
	return people.PrincipalOf(ctx, tx, userID)
}

// setProgress records how far a build has come, in its own transaction,
// so the definer's page shows it.
func (s *Service) setProgress(ctx context.Context, id int64, state string, percent int) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE research_extracts SET state = ?, progress = ? WHERE id = ? AND state IN ('pending', 'building')`, state, percent, id)
		return err
	})
}

// Build builds extract id: reads its records, pseudonymises, shifts the
// dates, generalises to k, writes the sealed XLSX and CSV and, in the same
// transaction, marks it ready, records the disclosure and audits the
// build. A ready or failed extract is left alone. The extract's key lives
// only in this call.
func (s *Service) Build(ctx context.Context, id int64) error {
	var e Extract
	var definerID int64
	var unitPath string
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var from, to int64
		var kinds, fields string
		return tx.QueryRow(ctx, `SELECT e.state, e.unit_id, o.path, e.definer_id, e.researcher_id, e.researcher_unit, e.kinds, e.fields,
			e.period_from, e.period_to, e.k, e.basis FROM research_extracts e JOIN org_units o ON o.id = e.unit_id WHERE e.id = ?`, id).
			Scan(&e.State, &e.UnitID, &unitPath, &definerID, &e.ResearcherID, &e.ResearcherUnit, &kinds, &fields, &from, &to, &e.K, &e.Basis)
	})
	if apperr.CodeOf(err) == apperr.ENotFound {
		return nil // nothing to build
	}
	if err != nil {
		return err
	}
	if e.State == "ready" || e.State == "failed" {
		return nil
	}
	if err := s.setProgress(ctx, id, "building", 5); err != nil {
		return err
	}
	var kinds, fields string
	var from, to int64
	if err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT kinds, fields, period_from, period_to FROM research_extracts WHERE id = ?`, id).Scan(&kinds, &fields, &from, &to)
	}); err != nil {
		return err
	}
	e.Kinds, e.Fields, e.ID = strings.Fields(kinds), strings.Fields(fields), id
	e.From, e.To = db.FromMicro(from), db.FromMicro(to)

	var p access.Principal
	var m access.Membership
	var ok bool
	if err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		p, err = definer(ctx, tx, definerID)
		return err
	}); err != nil {
		return err
	}
	if m, ok = p.At(access.ResearchDefine, unitPath); !ok {
		return s.fail(ctx, id, "research.failed_definer")
	}
	if u, err := s.stillResearcher(ctx, e.ResearcherID); err != nil {
		return err
	} else if u == 0 {
		return s.fail(ctx, id, "research.failed_researcher")
	}

	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	defer clear(key)
	w := window{lo: unitPath, hi: access.SubtreeEnd(unitPath), from: from, to: to, now: db.Micro(s.now())}
	rows := map[string][]row{}
	for i, kind := range e.Kinds {
		err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
			var err error
			rows[kind], err = load(ctx, tx, kind, w)
			return err
		})
		if err != nil {
			return err
		}
		if err := s.setProgress(ctx, id, "building", 10+60*(i+1)/len(e.Kinds)); err != nil {
			return err
		}
	}
	var out built
	err = s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		out, err = assemble(ctx, tx, &e, rows, key)
		return err
	})
	if err != nil {
		return err
	}
	if err := s.setProgress(ctx, id, "building", 90); err != nil {
		return err
	}
	xlsx, err := s.Seal.Seal(out.xlsx, aad(id, "xlsx"))
	if err != nil {
		return apperr.Internal(err)
	}
	csv, err := s.Seal.Seal(out.csv, aad(id, "csv"))
	if err != nil {
		return apperr.Internal(err)
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE research_extracts SET state = 'ready', progress = 100, persons = ?, suppressed = ?, record_count = ?,
			generalisation = ?, xlsx = ?, csv = ?, built_at = ? WHERE id = ? AND state IN ('pending', 'building')`,
			out.persons, out.suppressed, out.records, out.level.String(), xlsx, csv, db.Micro(s.now()), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err // built meanwhile: nothing more to do
		}
		if err := s.Sharing.Record(ctx, tx, p, sharing.Disclosure{FromUnit: e.UnitID, ToUnit: e.ResearcherUnit, What: e.Kinds,
			Purpose: "research", Basis: e.Basis, RefType: "research_extract", RefID: id}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE research_extracts SET disclosure_id = (SELECT MAX(d.id) FROM disclosures d
			WHERE d.ref_type = 'research_extract' AND d.ref_id = ?) WHERE id = ?`, id, id); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: "research.build",
			ObjectType: "research_extract", ObjectID: itoa(id), Outcome: audit.Success,
			Detail: "persons=" + itoa(int64(out.persons)) + " suppressed=" + itoa(int64(out.suppressed)) + " records=" + itoa(int64(out.records)) +
				" k=" + itoa(int64(e.K)) + " " + out.level.String()})
	})
}

func aad(id int64, column string) string { return "research_extracts:" + itoa(id) + ":" + column }

// stillResearcher returns the unit where user id holds research.extract now.
func (s *Service) stillResearcher(ctx context.Context, id int64) (int64, error) {
	var u int64
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		u, err = researcherUnit(ctx, tx, id)
		return err
	})
	return u, err
}

// fail marks an extract that can never be built, with the reason's key.
func (s *Service) fail(ctx context.Context, id int64, reason string) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE research_extracts SET state = 'failed', failure = ? WHERE id = ? AND state IN ('pending', 'building')`, reason, id)
		return err
	})
}

// assemble de-identifies the rows and writes the files.
func assemble(ctx context.Context, tx *db.Tx, e *Extract, rows map[string][]row, key []byte) (built, error) {
	seen := map[int64]bool{}
	var ids []int64
	for _, k := range e.Kinds {
		for _, r := range rows[k] {
			if !seen[r.student] {
				seen[r.student] = true
				ids = append(ids, r.student)
			}
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	ppl, err := persons(ctx, tx, ids)
	if err != nil {
		return built{}, err
	}
	if len(ppl) != len(ids) {
		return built{}, errors.New("research: a record's student is missing")
	}
	level, suppressed := Generalise(ppl, e.K)
	byID := map[int64]*Person{}
	for _, p := range ppl {
		byID[p.ID] = p
	}
	t := &table{key: key, level: level, people: byID, suppressed: suppressed}
	out := built{level: level, persons: len(ppl) - len(suppressed), suppressed: len(suppressed)}
	for _, k := range e.Kinds {
		var fs []string
		for _, f := range e.Fields {
			if kind, field, _ := strings.Cut(f, "."); kind == k {
				fs = append(fs, field)
			}
		}
		t.add(k, fs, rows[k])
	}
	out.records = t.count()
	if out.xlsx, err = t.xlsx(e, out); err != nil {
		return built{}, err
	}
	if out.csv, err = t.csv(); err != nil {
		return built{}, err
	}
	return out, nil
}
