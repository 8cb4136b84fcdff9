package sharing_test

import (
	"context"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/sharing"
)

func (e *env) agreement(p access.Principal, from, to int64, purpose string, data ...string) int64 {
	e.t.Helper()
	id, err := e.svc.CreateAgreement(e.ctx, p, sharing.NewAgreement{FromUnit: from, ToUnit: to, Data: data, Purpose: purpose,
		LegalBasis: "legal_duty", LegalRef: "未成年人保护法 第一百条", ValidFrom: monday, ValidTo: monday.AddDate(1, 0, 0), DocumentRef: "DC-2026-01"})
	if err != nil {
		e.t.Fatalf("CreateAgreement: %v", err)
	}
	return id
}

func (e *env) covers(from, to int64, purpose string, at time.Time, what ...string) int64 {
	e.t.Helper()
	var id int64
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		id, err = e.svc.AgreementFor(ctx, tx, from, to, what, purpose, at)
		return err
	})
	if err != nil {
		e.t.Fatalf("AgreementFor: %v", err)
	}
	return id
}

// Agreements are kept by the from-unit's coordinators, cover the units
// below both ends, for their purpose, data and period only.
func TestAgreementsScope(t *testing.T) {
	e := newEnv(t)
	id := e.agreement(e.coordA, e.distA.ID, e.police.ID, "crisis", "identity", "location", "risk")
	if _, err := e.svc.CreateAgreement(e.ctx, e.coordB, sharing.NewAgreement{FromUnit: e.distA.ID, ToUnit: e.police.ID, Data: []string{"identity"},
		Purpose: "crisis", LegalBasis: "legal_duty", ValidFrom: monday, ValidTo: monday.AddDate(1, 0, 0)}); apperr.FieldsOf(err)["from_unit"] == "" {
		t.Errorf("coordinator of B makes an agreement for district A: %v", err)
	}
	if _, err := e.svc.CreateAgreement(e.ctx, e.counsellorA1, sharing.NewAgreement{FromUnit: e.a1.ID, ToUnit: e.police.ID, Data: []string{"identity"},
		Purpose: "crisis", LegalBasis: "legal_duty", ValidFrom: monday, ValidTo: monday.AddDate(1, 0, 0)}); apperr.CodeOf(err) == "" {
		t.Error("a school counsellor makes an agreement")
	}
	if got := e.covers(e.a1.ID, e.police.ID, "crisis", monday, "identity", "risk"); got != id {
		t.Errorf("school A1 to police for crisis: agreement %d, want %d", got, id)
	}
	if got := e.covers(e.b1.ID, e.police.ID, "crisis", monday, "identity"); got != 0 {
		t.Error("district A's agreement covers school B1")
	}
	if got := e.covers(e.a1.ID, e.police.ID, "crisis", monday, "identity", "documents"); got != 0 {
		t.Error("an agreement covers data it does not name")
	}
	if got := e.covers(e.a1.ID, e.police.ID, "referral", monday, "identity"); got != 0 {
		t.Error("an agreement covers another purpose")
	}
	if got := e.covers(e.a1.ID, e.hospital.ID, "crisis", monday, "identity"); got != 0 {
		t.Error("an agreement covers another recipient")
	}
	if got := e.covers(e.a1.ID, e.police.ID, "crisis", monday.AddDate(1, 0, 1), "identity"); got != 0 {
		t.Error("an agreement covers a time after it ran out")
	}
	list, err := e.svc.Agreements(e.ctx, e.coordA)
	if err != nil || len(list) != 1 || !list[0].Mine || list[0].From.ID != e.distA.ID {
		t.Fatalf("coordinator A's agreements: %+v %v", list, err)
	}
	if list, _ := e.svc.Agreements(e.ctx, e.coordB); len(list) != 0 {
		t.Errorf("coordinator B sees district A's agreements: %+v", list)
	}
	if err := e.svc.EndAgreement(e.ctx, e.coordB, id); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("coordinator B ends A's agreement: %v", err)
	}
	e.clk.Advance(time.Hour)
	if err := e.svc.EndAgreement(e.ctx, e.coordA, id); err != nil {
		t.Fatal(err)
	}
	if got := e.covers(e.a1.ID, e.police.ID, "crisis", e.clk.Now(), "identity"); got != 0 {
		t.Error("an ended agreement still covers")
	}
	if e.audits("agreement.create", itoa(id)) != 1 || e.audits("agreement.end", itoa(id)) != 1 {
		t.Error("agreement writes not audited")
	}
}

func (e *env) disclose(p access.Principal, student, from, to int64, purpose string) {
	e.t.Helper()
	err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return e.svc.Record(ctx, tx, p, sharing.Disclosure{StudentID: student, FromUnit: from, ToUnit: to, What: []string{"identity", "risk"},
			Purpose: purpose, Basis: "law", RefType: "incident", RefID: 7})
	})
	if err != nil {
		e.t.Fatalf("Record: %v", err)
	}
}

// The disclosure log: the record's owner sees the student's disclosures;
// the managing unit sees its units'; nobody else sees any.
func TestDisclosureLogVisibility(t *testing.T) {
	e := newEnv(t)
	e.disclose(e.counsellorA1, e.teen, e.a1.ID, e.police.ID, "crisis")
	e.disclose(e.counsellorA1, e.teen, e.a1.ID, e.hospital.ID, "referral")
	e.disclose(e.counsellorB1, e.other, e.b1.ID, e.police.ID, "crisis")
	e.disclose(e.hotline, 0, e.branch.ID, e.police.ID, "crisis")

	_, mine, err := e.svc.StudentDisclosures(e.ctx, e.counsellorA1, e.teen)
	if err != nil || len(mine) != 2 || mine[0].StudentName == "" || mine[0].To.ID != e.hospital.ID {
		t.Fatalf("owner's view: %+v %v", mine, err)
	}
	if e.audits("disclosure.list_student", itoa(e.teen)) != 1 {
		t.Error("owner's read not audited")
	}
	for name, p := range map[string]access.Principal{"counsellor B1": e.counsellorB1, "coordinator B": e.coordB, "hotline": e.hotline,
		"police": e.policeLiaison, "leader A1 (no record.read)": e.leaderA1} {
		if _, _, err := e.svc.StudentDisclosures(e.ctx, p, e.teen); apperr.CodeOf(err) != apperr.ENotFound {
			t.Errorf("%s reads the teen's disclosures: %v", name, err)
		}
	}
	unitA, err := e.svc.UnitDisclosures(e.ctx, e.coordA)
	if err != nil || len(unitA) != 2 {
		t.Fatalf("coordinator A's log: %d %v", len(unitA), err)
	}
	for _, d := range unitA {
		if d.From.ID != e.a1.ID || d.StudentID != e.teen {
			t.Errorf("coordinator A sees %+v", d)
		}
	}
	unitB, _ := e.svc.UnitDisclosures(e.ctx, e.coordB)
	if len(unitB) != 1 || unitB[0].StudentID != e.other {
		t.Errorf("coordinator B's log: %+v", unitB)
	}
	if _, err := e.svc.UnitDisclosures(e.ctx, e.counsellorA1); apperr.CodeOf(err) != apperr.EForbidden {
		t.Errorf("a counsellor reads a unit's log: %v", err)
	}
	if _, err := e.svc.UnitDisclosures(e.ctx, e.supervisor); apperr.CodeOf(err) != apperr.EForbidden {
		t.Errorf("a hotline supervisor reads a unit's log: %v", err)
	}
	if e.audits("disclosure.list", "0") != 2 {
		t.Error("unit log reads not audited")
	}
	// A record outside every range: Record refuses an incomplete one.
	err = e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return e.svc.Record(ctx, tx, e.hotline, sharing.Disclosure{FromUnit: e.branch.ID, ToUnit: e.police.ID, What: []string{"risk"},
			Purpose: "crisis", Basis: "hunch", RefType: "incident", RefID: 1})
	})
	if err == nil {
		t.Error("a disclosure with an unknown basis was recorded")
	}
}
