package web

import (
	"net/http"
	"strconv"

	"github.com/careloop/careloop/internal/httpx"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/xuri/excelize/v2"
)

// exportCampaign sends the campaign's students by tier as XLSX, in the
// caller's language, limited to the caller's scope; the export is audited.
func (s *Server) exportCampaign(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	rows, err := s.Screening.ExportTiers(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l := localeOf(r)
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	head := []any{}
	for _, k := range []string{"student.no", "student.name", "student.school", "student.grade", "student.class", "campaign.tier", "campaign.critical"} {
		head = append(head, i18n.T(l, k))
	}
	if err := sw.SetRow("A1", head); err != nil {
		s.serverError(w, r, err)
		return
	}
	for i, t := range rows {
		crit := ""
		if t.Critical {
			crit = i18n.T(l, "common.yes")
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{t.StudentNo, t.Name, t.SchoolName, t.Grade, t.ClassName, i18n.T(l, "tier."+t.Tier), crit}); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	if err := sw.Flush(); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="careloop-campaign-`+strconv.FormatInt(id, 10)+`.xlsx"`)
	w.Header().Set("Cache-Control", "no-store")
	if err := f.Write(w); err != nil {
		s.Log.Error("export write", "err", err, "request_id", httpx.RequestID(r.Context()))
	}
}
