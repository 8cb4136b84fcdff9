package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/training"
)

// trainingReportView is the report with its form.
type trainingReportView struct {
	Units    []org.Unit
	Unit     int64
	From, To string // YYYY-MM-DD, China time; To inclusive
	R        *training.Report
}

func (s *Server) trainingReports(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	units, err := s.unitsWith(r, p, access.TrainingManage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	now := time.Now().In(displayZone)
	v := trainingReportView{Units: units, From: q.Get("from"), To: q.Get("to")}
	if v.From == "" {
		v.From = time.Date(now.Year(), 1, 1, 0, 0, 0, 0, displayZone).Format("2006-01-02")
	}
	if v.To == "" {
		v.To = now.Format("2006-01-02")
	}
	v.Unit, _ = strconv.ParseInt(q.Get("unit"), 10, 64)
	if v.Unit == 0 && len(units) > 0 {
		v.Unit = units[0].ID
	}
	pg := page{Title: "training.reports", Active: "training"}
	status := http.StatusOK
	from, ferr := time.ParseInLocation("2006-01-02", v.From, displayZone)
	to, terr := time.ParseInLocation("2006-01-02", v.To, displayZone)
	if ferr != nil || terr != nil {
		status, pg.Error, pg.Fields = http.StatusUnprocessableEntity, "form.invalid", map[string]string{"to": "training.bad_period"}
	} else if v.Unit != 0 {
		v.R, err = s.Training.Report(r.Context(), p, v.Unit, from, to.AddDate(0, 0, 1))
		switch apperr.CodeOf(err) {
		case "":
		case apperr.EInvalid:
			status, pg.Error, pg.Fields = http.StatusUnprocessableEntity, apperr.MessageOf(err), apperr.FieldsOf(err)
		default:
			s.fail(w, r, err)
			return
		}
	}
	pg.Data = v
	s.render(w, r, status, "training_reports", pg)
}
