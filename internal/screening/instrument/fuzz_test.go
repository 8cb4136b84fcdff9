package instrument

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzFromFHIR feeds arbitrary bytes to FromFHIR. It must never panic, and
// whatever it accepts must export and import again to the same instrument.
func FuzzFromFHIR(f *testing.F) {
	golden, _ := filepath.Glob(filepath.Join("testdata", "fhir", "*.json"))
	for _, p := range golden {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(foreign))
	f.Add([]byte(`{"resourceType": "Questionnaire"}`))
	f.Add([]byte(`{"resourceType": "Questionnaire", "status": "x", "item": [{"linkId": "a", "type": "group", "item": [{"linkId": "a", "type": "choice"}]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inst, err := FromFHIR(data)
		if err != nil {
			return
		}
		out, err := ToFHIR(inst)
		if err != nil {
			t.Fatalf("accepted, but cannot export: %v", err)
		}
		back, err := FromFHIR(out)
		if err != nil {
			t.Fatalf("cannot read its own export: %v", err)
		}
		if !reflect.DeepEqual(back, inst) {
			t.Fatalf("round trip differs:\n%+v\n%+v", inst, back)
		}
	})
}
