package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/research"
)

// wireResearch builds the research service and registers its workers.
func (e *env) wireResearch(ctx context.Context) error {
	e.research = &research.Service{DB: e.db, Audit: e.audit, Seal: e.keys, Jobs: e.jobs, Notify: e.notify, Sharing: e.sharing}
	jobs.Handle(e.jobs, &research.BuildWorker{S: e.research})
	return nil
}

// demoResearch defines one extract for the demo researcher: Xuanwu
// District's screening results of the past year, by its coordinator. The
// job queue builds it after the server starts.
func (e *env) demoResearch(ctx context.Context, ids map[string]int64, stdout io.Writer) error {
	var coordID, researcherID int64
	var path string
	err := e.db.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT id FROM users WHERE username = 'xuanwu.coord'`).Scan(&coordID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT id FROM users WHERE username = 'researcher'`).Scan(&researcherID); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, ids["Xuanwu District"]).Scan(&path)
	})
	if err != nil {
		return err
	}
	p := access.Principal{UserID: coordID, Username: "xuanwu.coord",
		Memberships: []access.Membership{{OrgID: ids["Xuanwu District"], OrgPath: path, Role: access.Coordinator}}}
	now := time.Now()
	_, err = e.research.Define(ctx, p, research.NewExtract{
		UnitID: ids["Xuanwu District"], Kinds: []string{research.KindScreening},
		Fields:       []string{"screening.instrument", "screening.score", "screening.band", "screening.tier", "screening.at"},
		From:         now.AddDate(-1, 0, 0),
		To:           now.AddDate(0, 0, 1),
		ResearcherID: researcherID, Basis: "agreement", Purpose: "Demo: screening outcomes by stage (演示)",
	})
	if err != nil {
		return fmt.Errorf("research extract: %w", err)
	}
	return nil
}
