package stats_test

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/stats"
)

// A month of activity: the briefing's figures equal the counts the
// generator made of the raw records, for the city and a school; the
// author edits the narrative around them; readers read them as their
// rights allow; the Word document holds them.
func TestBriefingFiguresReconcile(t *testing.T) {
	w := newWorld(t)
	cst := time.FixedZone("CST", 8*3600)
	w.generate(11, time.Date(2026, 4, 1, 0, 0, 0, 0, cst))
	month := stats.Month(2026, 5)
	if err := w.svc.Refresh(w.ctx, w.reg, month); err != nil {
		t.Fatal(err)
	}
	var school *org.Unit
	for _, u := range w.units {
		if u.Kind == org.School {
			school = u
			break
		}
	}
	coord := access.Principal{UserID: w.userID(t), Memberships: []access.Membership{{OrgID: w.city.ID, OrgPath: w.city.Path, Role: access.Coordinator}}}
	id, err := w.svc.DraftBriefing(w.ctx, coord, w.reg, w.city.ID, month, "zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.svc.Briefing(w.ctx, coord, w.reg, id)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Exact || !strings.Contains(b.Title, "2026年5月") {
		t.Errorf("exact %v, title %q", b.Exact, b.Title)
	}
	shown := 0
	for _, sec := range b.Sections {
		for _, fid := range sec.Figures {
			in, _ := w.reg.Get(fid)
			if in.Ratio != nil {
				continue
			}
			if want := w.expect(in, w.city.ID, "", month); b.Figures[fid].Value != float64(want) {
				t.Errorf("%s: the briefing says %v, the raw records %d", fid, b.Figures[fid].Value, want)
			}
			shown++
		}
	}
	if shown < 25 {
		t.Errorf("only %d figures in the briefing", shown)
	}
	// The narrative renders each placeholder as its figure.
	var text strings.Builder
	for _, piece := range b.Render(b.Sections[3].Text) {
		if piece.IsFigure {
			text.WriteString("[" + piece.Figure.Text() + "]")
		} else {
			text.WriteString(piece.Text)
		}
	}
	if strings.Contains(text.String(), "{") || !strings.Contains(text.String(), "["+b.Figures["hotline_contacts"].Text()+"]") {
		t.Errorf("the hotline section renders as %q", text.String())
	}

	// The author edits the narrative; a placeholder must be a figure.
	edit := stats.BriefingEdit{Title: "五月简报", Sections: b.Sections}
	edit.Sections[0].Text = "本月筛查 {students_screened} 人，{nonsense}。"
	if err := w.svc.EditBriefing(w.ctx, coord, w.reg, id, edit); apperr.FieldsOf(err)["section_0"] != "stats.unknown_figure" {
		t.Errorf("an unknown placeholder: %v", err)
	}
	edit.Sections[0].Text = "本月筛查 {students_screened} 人。"
	if err := w.svc.EditBriefing(w.ctx, coord, w.reg, id, edit); err != nil {
		t.Fatal(err)
	}
	other := access.Principal{UserID: coord.UserID + 1000, Memberships: coord.Memberships}
	if err := w.svc.EditBriefing(w.ctx, other, w.reg, id, edit); apperr.CodeOf(err) != apperr.EForbidden {
		t.Errorf("another coordinator edits the briefing: %v", err)
	}
	b, _ = w.svc.Briefing(w.ctx, coord, w.reg, id)
	if b.Title != "五月简报" || b.Sections[0].Text != "本月筛查 {students_screened} 人。" || len(b.Sections[0].Figures) == 0 {
		t.Errorf("after the edit: %q %q %v", b.Title, b.Sections[0].Text, b.Sections[0].Figures)
	}

	// A school leader does not read the city's briefing; the school's
	// briefing, drafted by a coordinator, reads rounded to them.
	leader := access.Principal{UserID: 88, Memberships: []access.Membership{{OrgID: school.ID, OrgPath: school.Path, Role: access.SchoolLeader}}}
	if _, err := w.svc.Briefing(w.ctx, leader, w.reg, id); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("a school leader reads the city's briefing: %v", err)
	}
	sid, err := w.svc.DraftBriefing(w.ctx, coord, w.reg, school.ID, month, "en")
	if err != nil {
		t.Fatal(err)
	}
	sb, err := w.svc.Briefing(w.ctx, leader, w.reg, sid)
	if err != nil {
		t.Fatal(err)
	}
	if sb.Exact || sb.Records {
		t.Error("a school leader reads the school's briefing exactly")
	}
	for fid, f := range sb.Figures {
		in, _ := w.reg.Get(fid)
		if want := w.expect(in, school.ID, "", month); in.Protected() && want > 0 && want < 5 && !f.Hidden && !f.Withheld {
			t.Errorf("%s = %d is shown to the leader as %s", fid, want, f.Text())
		}
	}

	var buf bytes.Buffer
	if err := b.Docx("zh-CN", &buf); err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatalf("the Word document is not a zip: %v", err)
	}
	var doc string
	for _, f := range z.File {
		if f.Name == "word/document.xml" {
			r, _ := f.Open()
			bs, _ := io.ReadAll(r)
			doc = string(bs)
		}
	}
	dec := xml.NewDecoder(strings.NewReader(doc))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("word/document.xml is not well-formed: %v", err)
		}
	}
	if !strings.Contains(doc, "五月简报") || !strings.Contains(doc, "本月筛查 "+b.Figures["students_screened"].Text()+" 人。") {
		t.Error("the Word document lacks the title or the edited narrative with its figure")
	}
}
