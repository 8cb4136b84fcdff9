package api

import (
	"encoding/json"
	"io"
	"net/http"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/screening/instrument"
)

// InstrumentSummary describes one instrument of the library.
type InstrumentSummary struct {
	ID      string            `json:"id"`
	Version string            `json:"version"`
	Title   map[string]string `json:"title"`
	Licence string            `json:"licence"`
	AgeMin  int               `json:"age_min"`
	AgeMax  int               `json:"age_max"`
	Items   int               `json:"items"`
	LOINC   string            `json:"loinc"`
	Online  bool              `json:"online"`
	Source  string            `json:"source"`
}

func summary(inst *instrument.Instrument) InstrumentSummary {
	return InstrumentSummary{ID: inst.ID, Version: inst.Version, Title: inst.Title, Licence: string(inst.Licence),
		AgeMin: inst.AgeMin, AgeMax: inst.AgeMax, Items: len(inst.Items), LOINC: inst.LOINC,
		Online: screening.Administrable(inst), Source: inst.Source}
}

func (s *Server) listInstruments(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	out := []InstrumentSummary{}
	for _, inst := range s.Screening.Instruments() {
		out = append(out, summary(inst))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// instrumentFHIR returns the definition as a FHIR R4 Questionnaire.
func (s *Server) instrumentFHIR(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	inst, ok := s.Screening.Instrument(r.PathValue("id"))
	if !ok {
		return apperr.NotFound()
	}
	doc, err := instrument.ToFHIR(inst)
	if err != nil {
		return apperr.Internal(err)
	}
	w.Header().Set("Content-Type", "application/fhir+json; charset=utf-8")
	_, err = w.Write(doc)
	return err
}

// importInstrument takes a FHIR R4 Questionnaire body.
func (s *Server) importInstrument(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	doc, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil || !json.Valid(doc) {
		return apperr.Invalid("api.bad_json", nil)
	}
	inst, err := s.Screening.ImportInstrument(r.Context(), p, doc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, summary(inst))
	return nil
}
