package screening_test

import (
	"encoding/json"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/screening/instrument"
)

// localPHQ is the shipped PHQ-9 as FHIR with its id and title changed, as an
// organisation's own licensed instrument would arrive.
func localPHQ(t *testing.T, id, version string) []byte {
	t.Helper()
	cat, err := instrument.Library()
	if err != nil {
		t.Fatal(err)
	}
	inst, _ := cat.Get("phq-9")
	copy := *inst
	copy.ID, copy.Version = id, version
	doc, err := instrument.ToFHIR(&copy)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestImportInstrument(t *testing.T) {
	e := newEnv(t)
	doc := localPHQ(t, "local-mood", "1")

	if _, err := e.svc.ImportInstrument(e.ctx, e.principal(access.SchoolCounsellor, e.a), doc); apperr.CodeOf(err) != apperr.EForbidden {
		t.Fatalf("a school counsellor imported an instrument: %v", err)
	}
	inst, err := e.svc.ImportInstrument(e.ctx, e.cityCoord, doc)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if got, ok := e.svc.Instrument("local-mood"); !ok || got != inst || !screening.Administrable(got) {
		t.Fatalf("imported instrument not usable: %v %v", ok, got)
	}
	if _, err := e.svc.ImportInstrument(e.ctx, e.cityCoord, doc); apperr.CodeOf(err) != apperr.EConflict {
		t.Errorf("same id and version twice: %v, want conflict", err)
	}
	if _, err := e.svc.ImportInstrument(e.ctx, e.cityCoord, localPHQ(t, "gad-7", "9")); apperr.CodeOf(err) != apperr.EInvalid {
		t.Errorf("replacing a shipped instrument: %v, want invalid", err)
	}
	var broken map[string]any
	_ = json.Unmarshal(doc, &broken)
	broken["resourceType"] = "Patient"
	bad, _ := json.Marshal(broken)
	if _, err := e.svc.ImportInstrument(e.ctx, e.cityCoord, bad); apperr.CodeOf(err) != apperr.EInvalid {
		t.Errorf("a Patient resource was accepted: %v", err)
	}

	// A restarted service finds the imported definition in the database.
	fresh := &screening.Service{DB: e.svc.DB, Audit: e.svc.Audit, Seal: e.svc.Seal, Catalog: e.svc.Catalog, Now: e.svc.Now}
	if err := fresh.LoadImported(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got, ok := fresh.Instrument("local-mood"); !ok || len(got.Items) != len(inst.Items) {
		t.Fatalf("after restart: %v %+v", ok, got)
	}
	found := false
	for _, i := range fresh.Instruments() {
		found = found || i.ID == "local-mood"
	}
	if !found {
		t.Error("Instruments() does not list the imported instrument")
	}
	e.verifyAudit()
}
