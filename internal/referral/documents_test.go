package referral_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/referral"
)

// Documents are sealed at rest (name and body, bound to their row), are
// checked for type and size, and every download is audited.
func TestDocumentsSealedAndAudited(t *testing.T) {
	e := newEnv(t)
	caseID, _ := e.caseFor(e.counsellorA, e.a, "REF-40")
	report := []byte("%PDF-1.7\n学生REF-40 心理评估报告：重度焦虑\n%%EOF")
	_, err := e.svc.Send(e.ctx, e.counsellorA, referral.NewReferral{Source: referral.SourceCase, SourceID: caseID, ToUnit: e.h1.ID,
		Urgency: referral.Routine, Reason: "x", Consent: e.consent(false), Documents: []referral.Document{{Name: "a.exe", Body: []byte{0x4d, 0x5a, 0, 1}}}})
	wantField(t, "an executable", err, "documents", "referral.document_type")
	_, err = e.svc.Send(e.ctx, e.counsellorA, referral.NewReferral{Source: referral.SourceCase, SourceID: caseID, ToUnit: e.h1.ID,
		Urgency: referral.Routine, Reason: "x", Consent: e.consent(false),
		Documents: []referral.Document{{Name: "big.txt", Body: bytes.Repeat([]byte("a"), referral.MaxDocumentBytes+1)}}})
	wantField(t, "a document too big", err, "documents", "referral.document_too_big")

	id := e.refer(e.counsellorA, caseID, func(n *referral.NewReferral) {
		n.Documents = []referral.Document{{Name: "学生REF-40评估.pdf", Body: report}}
	})
	var name, body string
	name, body = e.str(`SELECT name FROM referral_documents WHERE referral_id = ?`, id), e.str(`SELECT body FROM referral_documents WHERE referral_id = ?`, id)
	if strings.Contains(name, "REF-40") || strings.Contains(body, "PDF") || strings.Contains(body, "焦虑") || len(body) <= len(report) {
		t.Errorf("the document is not sealed at rest (name %d bytes, body %d bytes)", len(name), len(body))
	}
	if what := e.str(`SELECT what FROM disclosures WHERE ref_id = ?`, id); what != "identity reason documents" {
		t.Errorf("disclosure of %q", what)
	}

	d, err := e.svc.Received(e.ctx, e.liaison1, id)
	if err != nil || len(d.Documents) != 1 || d.Documents[0].Name != "学生REF-40评估.pdf" || d.Documents[0].ContentType != "application/pdf" {
		t.Fatalf("the hospital's documents: %+v, %v", d, err)
	}
	doc := d.Documents[0].ID
	f, err := e.svc.OpenDocument(e.ctx, e.liaison1, referral.SideHospital, id, doc)
	if err != nil || !bytes.Equal(f.Body, report) {
		t.Fatalf("OpenDocument: %v", err)
	}
	audited := func() int64 {
		return e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'referral.document_read' AND object_id = ?`, itoa(id))
	}
	if n := audited(); n != 1 {
		t.Errorf("%d audit entries for the download, want 1", n)
	}
	if _, err := e.svc.OpenDocument(e.ctx, e.liaison2, referral.SideHospital, id, doc); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("another hospital's download: %v", err)
	}
	if _, err := e.svc.OpenDocument(e.ctx, e.counsellorB, referral.SideSender, id, doc); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("another school's download: %v", err)
	}
	if n := audited(); n != 1 {
		t.Errorf("refused downloads were audited as reads (%d)", n)
	}

	// A sealed body copied into another document's row is refused.
	if err := e.svc.AddDocuments(e.ctx, e.counsellorA, id, []referral.Document{{Name: "note.txt", Body: []byte("补充说明")}}); err != nil {
		t.Fatal(err)
	}
	second := e.num(`SELECT MAX(id) FROM referral_documents WHERE referral_id = ?`, id)
	if _, err := e.d.Exec(e.ctx, `UPDATE referral_documents SET body = (SELECT body FROM referral_documents WHERE id = ?) WHERE id = ?`, doc, second); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.OpenDocument(e.ctx, e.counsellorA, referral.SideSender, id, second); apperr.CodeOf(err) != apperr.EInternal {
		t.Errorf("a moved sealed body opened: %v", err)
	}
	if n := e.num(`SELECT COUNT(*) FROM disclosures WHERE ref_id = ?`, id); n != 2 {
		t.Errorf("%d disclosures after adding a document, want 2", n)
	}
}
