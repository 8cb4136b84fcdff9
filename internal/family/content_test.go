package family_test

import (
	"testing"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/family"
)

func (e *env) publish(title string, unit int64, targets ...int64) int64 {
	e.t.Helper()
	p := e.coordCity
	id, err := e.svc.SaveItem(e.ctx, p, 0, family.NewItem{UnitID: unit, Kind: "article", TitleZH: title, BodyZH: "第一段\n\n第二段",
		Targets: targets})
	if err != nil {
		e.t.Fatalf("SaveItem %s: %v", title, err)
	}
	if err := e.svc.SetItemState(e.ctx, p, id, "published"); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// TestContentTargeting: a guardian reads the published items whose targets
// hold one of their children's schools (a target reaches its subtree).
func TestContentTargeting(t *testing.T) {
	e := newEnv(t)
	cityWide := e.publish("全市", e.city.ID)
	districtA := e.publish("东城区", e.city.ID, e.distA.ID)
	schoolA2 := e.publish("东城二中", e.city.ID, e.a2.ID)
	districtB := e.publish("西城区", e.city.ID, e.distB.ID)
	draft, err := e.svc.SaveItem(e.ctx, e.coordCity, 0, family.NewItem{UnitID: e.city.ID, Kind: "article", TitleZH: "草稿", BodyZH: "x"})
	if err != nil {
		t.Fatal(err)
	}
	withdrawn := e.publish("已撤回", e.city.ID)
	if err := e.svc.SetItemState(e.ctx, e.coordCity, withdrawn, "withdrawn"); err != nil {
		t.Fatal(err)
	}
	got := func(phone string) map[int64]bool {
		t.Helper()
		list, err := e.svc.Articles(e.ctx, e.signIn(phone))
		if err != nil {
			t.Fatal(err)
		}
		m := map[int64]bool{}
		for _, it := range list {
			m[it.ID] = true
		}
		return m
	}
	m := got(mum) // children in A1 and A2
	for id, want := range map[int64]bool{cityWide: true, districtA: true, schoolA2: true, districtB: false, draft: false, withdrawn: false} {
		if m[id] != want {
			t.Errorf("mum sees item %d: %v, want %v", id, m[id], want)
		}
	}
	d := got(dad) // child in B1
	for id, want := range map[int64]bool{cityWide: true, districtA: false, schoolA2: false, districtB: true} {
		if d[id] != want {
			t.Errorf("dad sees item %d: %v, want %v", id, d[id], want)
		}
	}
	e.clk.Advance(family.CodeGap)
	se := e.signIn(dad)
	if _, err := e.svc.Article(e.ctx, se, schoolA2); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("dad opens A2's article: %v", err)
	}
	it, err := e.svc.Article(e.ctx, se, districtB)
	if err != nil || len(it.Paragraphs("zh-CN")) != 2 || it.Title("en") != "西城区" {
		t.Errorf("Article = %+v, %v", it, err)
	}
	// A district centre's coordinator may not target another district.
	_, err = e.svc.SaveItem(e.ctx, e.coordA, 0, family.NewItem{UnitID: e.ga.ID, Kind: "article", TitleZH: "越界", BodyZH: "x",
		Targets: []int64{e.b1.ID}})
	if apperr.CodeOf(err) != apperr.EInvalid {
		t.Errorf("target outside the publishing unit: %v, want invalid", err)
	}
	// A district centre speaks for its district: by default its item
	// reaches every school of the district, and it may target one.
	byCentre, err := e.svc.SaveItem(e.ctx, e.coordA, 0, family.NewItem{UnitID: e.ga.ID, Kind: "article", TitleZH: "区中心", BodyZH: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetItemState(e.ctx, e.coordA, byCentre, "published"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SaveItem(e.ctx, e.coordA, 0, family.NewItem{UnitID: e.ga.ID, Kind: "article", TitleZH: "一小", BodyZH: "x",
		Targets: []int64{e.a1.ID}}); err != nil {
		t.Errorf("district centre targets a school of its district: %v", err)
	}
	e.clk.Advance(family.CodeGap)
	if got(mum)[byCentre] != true {
		t.Error("the district centre's item does not reach its district's families")
	}
	e.clk.Advance(family.CodeGap)
	if got(dad)[byCentre] {
		t.Error("the district centre's item reaches another district")
	}
	units, err := e.svc.TargetUnits(e.ctx, e.coordA)
	if err != nil || len(units) != 4 {
		t.Errorf("TargetUnits of the district centre = %+v, %v; want the district, its centre and its two schools", units, err)
	}
	// An event needs its time; English is optional.
	_, err = e.svc.SaveItem(e.ctx, e.coordA, 0, family.NewItem{UnitID: e.ga.ID, Kind: "event", TitleZH: "讲座", BodyZH: "x"})
	if f := apperr.FieldsOf(err); f["event_at"] == "" {
		t.Errorf("event without a time: %v", err)
	}
}
