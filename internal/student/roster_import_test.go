package student_test

import (
	"bytes"
	"testing"

	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/student/roster"
)

// The template's example row, read back by roster.Parse, passes the
// import's validation once its school exists: what the template teaches is
// what the import accepts.
func TestTemplateExampleImports(t *testing.T) {
	for locale, school := range map[string]string{"zh-CN": "示例学校", "en": "Example School"} {
		t.Run(locale, func(t *testing.T) {
			e := newEnv(t)
			e.unit(org.School, school, "", e.x)
			var buf bytes.Buffer
			if err := roster.Template(&buf, locale); err != nil {
				t.Fatal(err)
			}
			rows, err := roster.Parse(&buf, "template.xlsx")
			if err != nil {
				t.Fatal(err)
			}
			rep := e.importRows(e.coordX, rows, false)
			if !rep.OK() || rep.Created != 1 {
				t.Fatalf("report %+v", rep)
			}
			rec := e.record(e.coordX, e.idOf("S2024000001"))
			if st := rec.Student; st.Gender != "male" || st.BirthDate != "2012-09-01" || st.Grade != 7 || len(st.Guardians) != 2 ||
				st.Guardians[0].Relation != "mother" || st.Guardians[1].Relation != "father" {
				t.Errorf("imported %+v", st)
			}
		})
	}
}
