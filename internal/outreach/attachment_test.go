package outreach_test

import (
	"bytes"
	"testing"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/outreach"
)

// Photos and materials: only images and PDF recognised from their bytes,
// within the size limit; sealed at rest and bound to their row; opened
// only in scope, each read audited.
func TestAttachments(t *testing.T) {
	e := newEnv(t)
	act := e.activity(e.counsellorA1, lecture(e.a1, "家长课堂", start, 40))
	refusals := []struct {
		name string
		body []byte
		key  string
	}{
		{"empty.jpg", nil, "outreach.file_empty"},
		{"script.jpg", []byte("<script>alert(1)</script>"), "outreach.file_type"},
		{"notes.txt", []byte("plain text is a material we do not take"), "outreach.file_type"},
		{"tool.exe", []byte("MZ\x90\x00\x03"), "outreach.file_type"},
		{"big.jpg", append(append([]byte{}, jpeg...), make([]byte, outreach.MaxAttachmentBytes)...), "outreach.file_too_big"},
	}
	for _, r := range refusals {
		if _, err := e.svc.AddAttachment(e.ctx, e.counsellorA1, act, r.name, r.body); apperr.FieldsOf(err)["file"] != r.key {
			t.Errorf("%s: %v, want %s", r.name, err, r.key)
		}
	}
	photo := append(append([]byte{}, jpeg...), []byte("CHILD-FACE-PIXELS")...)
	id, err := e.svc.AddAttachment(e.ctx, e.counsellorA1, act, "合影-张小明.jpg", photo)
	if err != nil {
		t.Fatal(err)
	}
	pdf := []byte("%PDF-1.7\n讲义")
	pdfID, err := e.svc.AddAttachment(e.ctx, e.counsellorA1, act, "讲义.pdf", pdf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddAttachment(e.ctx, e.coordB, act, "x.jpg", photo); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("another district adds to the activity: %v", err)
	}
	// Sealed at rest: neither the name nor the bytes are in the row.
	var name, body []byte
	var ct string
	if err := e.d.SQL().QueryRow(`SELECT name, body, content_type FROM outreach_attachments WHERE id = `+itoa(id)).Scan(&name, &body, &ct); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(body, []byte("CHILD-FACE-PIXELS")) || bytes.Contains(name, []byte("张小明")) || ct != "image/jpeg" {
		t.Errorf("attachment stored in the clear or mistyped: %q", ct)
	}
	a, err := e.svc.FindActivity(e.ctx, e.coordA, act)
	if err != nil || len(a.Attachments) != 2 || a.Attachments[0].Name != "合影-张小明.jpg" || !a.Attachments[0].Image() ||
		a.Attachments[1].ContentType != "application/pdf" {
		t.Fatalf("attachments listed: %+v %v", a, err)
	}
	f, err := e.svc.OpenAttachment(e.ctx, e.coordA, act, id)
	if err != nil || !bytes.Equal(f.Body, photo) || f.Name != "合影-张小明.jpg" {
		t.Fatalf("open: %v", err)
	}
	for _, p := range []struct {
		who string
		id  int64
		act int64
	}{{"coordinator B", id, act}, {"community A2", id, act}, {"coordinator A, wrong activity", id, act + 1}} {
		caller := e.coordB
		switch p.who {
		case "community A2":
			caller = e.communityA2
		case "coordinator A, wrong activity":
			caller = e.coordA
		}
		if _, err := e.svc.OpenAttachment(e.ctx, caller, p.act, p.id); apperr.CodeOf(err) != apperr.ENotFound {
			t.Errorf("%s opens the photo: %v", p.who, err)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'outreach.attachment_read' AND object_id = ?`, itoa(id)); n != 1 {
		t.Errorf("%d audited reads of the photo, want 1", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'outreach.attachment_add'`); n != 2 {
		t.Errorf("%d audited uploads, want 2", n)
	}
	// A sealed body copied to another row is refused, not shown.
	if _, err := e.d.SQL().Exec(`UPDATE outreach_attachments SET body = (SELECT body FROM outreach_attachments WHERE id = ` + itoa(id) + `) WHERE id = ` + itoa(pdfID)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.OpenAttachment(e.ctx, e.coordA, act, pdfID); apperr.CodeOf(err) != apperr.EInternal {
		t.Errorf("a body moved between rows opened: %v", err)
	}
}
