package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/outreach"
)

// venueListView is the list of venues and the form that adds one.
type venueListView struct {
	Venues []outreach.Venue
	Units  []outreach.UnitName
	Kinds  []string
	Kind   string
}

func (s *Server) venueList(w http.ResponseWriter, r *http.Request) {
	s.showVenues(w, r, http.StatusOK, page{Form: url.Values{"active": {"1"}}})
}

func (s *Server) showVenues(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	kind := r.URL.Query().Get("kind")
	list, err := s.Outreach.Venues(r.Context(), p, outreach.VenueFilter{Kind: kind})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	units, err := s.Outreach.Units(r.Context(), p, access.OutreachManage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active = "venue.list", "venues"
	pg.Data = venueListView{Venues: list, Units: units, Kinds: outreach.VenueKinds, Kind: kind}
	s.render(w, r, status, "venue_list", pg)
}

func venueForm(r *http.Request) outreach.NewVenue {
	_ = r.ParseForm()
	f := r.PostForm
	n := outreach.NewVenue{Kind: f.Get("kind"), Name: f.Get("name"), Address: f.Get("address"), Facilities: f.Get("facilities"),
		OpeningHours: f.Get("opening_hours"), Active: f.Get("active") == "1"}
	n.Unit, _ = strconv.ParseInt(f.Get("unit"), 10, 64)
	return n
}

func (s *Server) venueCreate(w http.ResponseWriter, r *http.Request) {
	_, err := s.Outreach.CreateVenue(r.Context(), principal(r), venueForm(r))
	s.afterWrite(w, r, err, page{Flash: "venue.saved", Form: url.Values{"active": {"1"}}}, func(status int, pg page) { s.showVenues(w, r, status, pg) })
}

// venueEditView is one venue's form.
type venueEditView struct {
	ID    int64
	Units []outreach.UnitName
	Kinds []string
}

func (s *Server) venueEdit(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	v, err := s.Outreach.FindVenue(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	form := url.Values{"unit": {strconv.FormatInt(v.Unit.ID, 10)}, "kind": {v.Kind}, "name": {v.Name}, "address": {v.Address},
		"facilities": {strings.Join(v.Facilities, "\n")}, "opening_hours": {v.OpeningHours}}
	if v.Active {
		form.Set("active", "1")
	}
	s.showVenue(w, r, http.StatusOK, id, page{Form: form})
}

func (s *Server) showVenue(w http.ResponseWriter, r *http.Request, status int, id int64, pg page) {
	units, err := s.Outreach.Units(r.Context(), principal(r), access.OutreachManage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active = "venue.edit", "venues"
	pg.Data = venueEditView{ID: id, Units: units, Kinds: outreach.VenueKinds}
	s.render(w, r, status, "venue_edit", pg)
}

func (s *Server) venueUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	err := s.Outreach.UpdateVenue(r.Context(), principal(r), id, venueForm(r))
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/venues", http.StatusSeeOther)
	case apperr.EInvalid:
		s.showVenue(w, r, http.StatusUnprocessableEntity, id, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}
