package instrument

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestLibraryShipsExactlyTheFreeInstruments(t *testing.T) {
	c, err := Library()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, inst := range c.All() {
		ids = append(ids, inst.ID)
		if inst.Licence != Ship {
			t.Errorf("%s: licence %q; the library ships only free instruments", inst.ID, inst.Licence)
		}
		if inst.Source == "" || inst.Copyright == "" {
			t.Errorf("%s: source and copyright must be written down", inst.ID)
		}
	}
	if !slices.Equal(ids, shipped) {
		t.Errorf("library holds %v, want %v", ids, shipped)
	}
	// Licensed instruments: an organisation imports its own definition.
	for _, id := range []string{"sdq", "mht", "scl-90"} {
		if _, ok := c.Get(id); ok {
			t.Errorf("%s is licensed and must not ship", id)
		}
	}
}

// TestShape checks each instrument's published shape: scored items, option
// range and reverse items, written here independently of the JSON files.
func TestShape(t *testing.T) {
	for _, tc := range []struct {
		id      string
		scored  int
		lo, hi  int
		reverse []string
	}{
		{"phq-9", 9, 0, 3, nil},
		{"phq-a", 9, 0, 3, nil},
		{"gad-7", 7, 0, 3, nil},
		{"c-ssrs-screen", 7, 0, 3, nil},
		{"scared-c", 41, 0, 2, nil},
		{"ces-dc", 20, 0, 3, []string{"4", "8", "12", "16"}},
		{"k6", 6, 0, 4, nil},
	} {
		inst := mustGet(t, tc.id)
		n := 0
		var reverse []string
		for i := range inst.Items {
			it := &inst.Items[i]
			if it.Unscored {
				continue
			}
			n++
			if it.Reverse {
				reverse = append(reverse, it.ID)
			}
			if tc.id == "c-ssrs-screen" {
				continue // yes is worth the risk level; checked in its own test
			}
			for v := tc.lo; v <= tc.hi; v++ {
				if !it.HasOption(v) {
					t.Errorf("%s item %s lacks option %d", tc.id, it.ID, v)
				}
			}
			if len(it.Options) != tc.hi-tc.lo+1 {
				t.Errorf("%s item %s has %d options", tc.id, it.ID, len(it.Options))
			}
		}
		if n != tc.scored || !slices.Equal(reverse, tc.reverse) {
			t.Errorf("%s: %d scored items, reverse %v; want %d, %v", tc.id, n, reverse, tc.scored, tc.reverse)
		}
	}
}

func TestShippedTextsAreBilingual(t *testing.T) {
	c, _ := Library()
	for _, inst := range c.All() {
		for _, it := range inst.Items {
			if it.Text[LocaleZH] == "" || it.Text[LocaleEN] == "" {
				t.Errorf("%s item %s lacks a text", inst.ID, it.ID)
			}
			if strings.ContainsAny(it.Text[LocaleZH], "abcdefghijklmnopqrstuvwxyz") {
				t.Errorf("%s item %s: Latin letters in the Chinese text", inst.ID, it.ID)
			}
		}
	}
}

func TestDisclaimerSaysNotADiagnosis(t *testing.T) {
	if !strings.Contains(Disclaimer(LocaleZH), "不是诊断") {
		t.Errorf("zh-CN disclaimer: %q", Disclaimer(LocaleZH))
	}
	if !strings.Contains(Disclaimer(LocaleEN), "not a diagnosis") {
		t.Errorf("en disclaimer: %q", Disclaimer(LocaleEN))
	}
	if Disclaimer("fr") != Disclaimer(LocaleZH) {
		t.Error("an unknown locale falls back to zh-CN")
	}
}

func TestLOINCPanels(t *testing.T) {
	want := map[string]string{"phq-9": "44249-1", "gad-7": "69737-5"}
	c, _ := Library()
	for _, inst := range c.All() {
		if inst.LOINC != want[inst.ID] {
			t.Errorf("%s: LOINC %q, want %q", inst.ID, inst.LOINC, want[inst.ID])
		}
	}
}

func TestLibraryIsSharedAndOrdered(t *testing.T) {
	a, _ := Library()
	b, _ := Library()
	if a != b {
		t.Error("Library loads once")
	}
	all := a.All()
	for i := 1; i < len(all); i++ {
		if all[i-1].ID >= all[i].ID {
			t.Errorf("All not ordered by id: %s before %s", all[i-1].ID, all[i].ID)
		}
	}
	if _, ok := a.Get("phq-" + strconv.Itoa(10)); ok {
		t.Error("Get of an unknown id")
	}
}
