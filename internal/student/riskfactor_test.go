package student_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

const secretNote = "父母离异，近期情绪低落，曾提到不想上学"

// storedNote returns the note column of the student's only risk factor.
func (e *env) storedNote(studentID int64) (int64, []byte) {
	e.t.Helper()
	var id int64
	var note []byte
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT id, note FROM risk_factors WHERE student_id = ?`, studentID).Scan(&id, &note)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return id, note
}

func TestRiskFactorNoteIsSealed(t *testing.T) {
	e := newEnv(t)
	id := e.seed(row(2, "A0001", "张三", e.a, 7))["A0001"]
	before := e.audits()
	if err := e.s.AddRiskFactor(e.ctx, e.counsellorA, id, "family_conflict", "  "+secretNote+" ", "2024-11-01"); err != nil {
		t.Fatal(err)
	}
	e.wroteOne(before, "student.risk_factor_add", id, e.counsellorA)
	factorID, stored := e.storedNote(id)
	if len(stored) == 0 || bytes.Contains(stored, []byte(secretNote)) || bytes.Contains(stored, []byte("父母离异")) {
		t.Fatalf("the note is stored in the clear: %q", stored)
	}
	if e.count(`SELECT COUNT(*) FROM student_events WHERE detail LIKE ?`, "%离异%") != 0 {
		t.Error("the note leaked into the timeline")
	}

	rec := e.record(e.counsellorA, id)
	if len(rec.RiskFactors) != 1 {
		t.Fatalf("risk factors = %+v", rec.RiskFactors)
	}
	f := rec.RiskFactors[0]
	if f.ID != factorID || f.Kind != "family_conflict" || f.Note != secretNote || f.Since != "2024-11-01" ||
		f.RecordedBy != e.counsellorA.UserID || !f.RecordedAt.Equal(today) || !f.EndedAt.IsZero() {
		t.Errorf("risk factor = %+v", f)
	}

	// One flipped byte anywhere in the stored note: the record is refused,
	// never shown with a wrong or missing note.
	for _, i := range []int{0, len(stored) / 2, len(stored) - 1} {
		bad := bytes.Clone(stored)
		bad[i] ^= 0x01
		e.setNote(factorID, bad)
		rec, err := e.s.FindRecord(e.ctx, e.counsellorA, id)
		wantCode(t, "read with a tampered note", err, apperr.EInternal)
		if rec != nil {
			t.Errorf("byte %d flipped: the record was returned: %+v", i, rec.RiskFactors)
		}
	}
	// A note sealed for another risk factor does not open here either.
	if err := e.s.AddRiskFactor(e.ctx, e.counsellorA, id, "other", "另一条备注", ""); err != nil {
		t.Fatal(err)
	}
	e.setNote(factorID, stored)
	e.record(e.counsellorA, id)
	var other []byte
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT note FROM risk_factors WHERE student_id = ? AND kind = 'other'`, id).Scan(&other)
	})
	if err != nil {
		t.Fatal(err)
	}
	e.setNote(factorID, other)
	_, err = e.s.FindRecord(e.ctx, e.counsellorA, id)
	wantCode(t, "read with a note moved from another row", err, apperr.EInternal)
	e.verifyAudit()
}

func (e *env) setNote(factorID int64, note []byte) {
	e.t.Helper()
	err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE risk_factors SET note = ? WHERE id = ?`, note, factorID)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func TestRiskFactorRules(t *testing.T) {
	e := newEnv(t)
	ids := e.seed(row(2, "A0001", "张三", e.a, 7), row(3, "B0001", "李四", e.b, 7))
	for _, c := range []struct{ kind, note, since string }{
		{"gossip", "", ""}, {"left_behind", "", "2024-13-01"}, {"left_behind", string(bytes.Repeat([]byte("长"), 2001)), ""},
	} {
		err := e.s.AddRiskFactor(e.ctx, e.counsellorA, ids["A0001"], c.kind, c.note, c.since)
		wantCode(t, "risk factor "+c.kind+" "+c.since, err, apperr.EInvalid)
	}
	err := e.s.AddRiskFactor(e.ctx, e.counsellorA, ids["B0001"], "left_behind", "", "")
	wantCode(t, "risk factor for another school's student", err, apperr.ENotFound)
	err = e.s.AddRiskFactor(e.ctx, e.teacherA, ids["A0001"], "left_behind", "", "")
	wantCode(t, "risk factor by a head teacher", err, apperr.ENotFound)
	if n := e.count(`SELECT COUNT(*) FROM risk_factors`); n != 0 {
		t.Fatalf("refused risk factors left %d rows", n)
	}

	if err := e.s.AddRiskFactor(e.ctx, e.counsellorA, ids["A0001"], "left_behind", "", ""); err != nil {
		t.Fatal(err)
	}
	rec := e.record(e.counsellorA, ids["A0001"])
	if len(rec.RiskFactors) != 1 || rec.RiskFactors[0].Note != "" {
		t.Fatalf("risk factors = %+v", rec.RiskFactors)
	}
	fid := rec.RiskFactors[0].ID
	err = e.s.EndRiskFactor(e.ctx, e.counsellorB, ids["A0001"], fid)
	wantCode(t, "another school ends a risk factor", err, apperr.ENotFound)
	err = e.s.EndRiskFactor(e.ctx, e.counsellorB, ids["B0001"], fid)
	wantCode(t, "ending a risk factor through another student", err, apperr.ENotFound)
	if err := e.s.EndRiskFactor(e.ctx, e.counsellorA, ids["A0001"], fid); err != nil {
		t.Fatal(err)
	}
	err = e.s.EndRiskFactor(e.ctx, e.counsellorA, ids["A0001"], fid)
	wantCode(t, "ending it twice", err, apperr.ENotFound)
	rec = e.record(e.counsellorA, ids["A0001"])
	if len(rec.RiskFactors) != 1 || !rec.RiskFactors[0].EndedAt.Equal(today) {
		t.Errorf("ended risk factor = %+v, want kept with EndedAt %v", rec.RiskFactors, today)
	}
	e.verifyAudit()
}
