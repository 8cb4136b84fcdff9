package web

import (
	"io"
	"net/http"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/httpx"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/screening/instrument"
)

type instrumentRow struct {
	*instrument.Instrument
	Online bool
}

func (s *Server) instruments(w http.ResponseWriter, r *http.Request) {
	s.listInstruments(w, r, http.StatusOK, page{})
}

func (s *Server) listInstruments(w http.ResponseWriter, r *http.Request, status int, pg page) {
	var rows []instrumentRow
	for _, inst := range s.Screening.Instruments() {
		rows = append(rows, instrumentRow{Instrument: inst, Online: screening.Administrable(inst)})
	}
	pg.Title, pg.Active, pg.Data = "instrument.list", "instruments", rows
	s.render(w, r, status, "instruments", pg)
}

// instrumentFHIR sends an instrument's definition as a FHIR R4 Questionnaire.
func (s *Server) instrumentFHIR(w http.ResponseWriter, r *http.Request) {
	inst, ok := s.Screening.Instrument(r.PathValue("id"))
	if !ok {
		s.notFound(w, r)
		return
	}
	doc, err := instrument.ToFHIR(inst)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/fhir+json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+inst.ID+`.questionnaire.json"`)
	if _, err := w.Write(doc); err != nil {
		s.Log.Warn("fhir export", "err", err, "request_id", httpx.RequestID(r.Context()))
	}
}

// importInstrument takes an uploaded FHIR Questionnaire and shows every
// validation problem in plain words, or the library with the new instrument.
func (s *Server) importInstrument(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
	f, _, err := r.FormFile("file")
	if err != nil {
		s.listInstruments(w, r, http.StatusUnprocessableEntity, page{Error: "instrument.file_required"})
		return
	}
	defer f.Close()
	doc, err := io.ReadAll(f)
	if err == nil {
		_, err = s.Screening.ImportInstrument(r.Context(), principal(r), doc)
	}
	if apperr.CodeOf(err) == apperr.EInvalid {
		pg := page{Error: "error.invalid"}
		for field, problem := range apperr.FieldsOf(err) {
			pg.Notice = append(pg.Notice, field+": "+problem)
		}
		if len(pg.Notice) == 0 {
			pg.Notice = []string{apperr.MessageOf(err)}
		}
		s.listInstruments(w, r, http.StatusUnprocessableEntity, pg)
		return
	}
	s.afterWrite(w, r, err, page{Flash: "instrument.imported"}, func(status int, pg page) { s.listInstruments(w, r, status, pg) })
}
