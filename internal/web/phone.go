package web

import (
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline/phone"
	"github.com/careloop/careloop/internal/hotline/taxonomy"
	"github.com/careloop/careloop/internal/httpx"
	"github.com/careloop/careloop/internal/org"
)

// phoneView is the phone page: the calls ringing for the caller with their
// screen-pops, the station's latest calls with their recordings, and for
// supervisors the PBX extensions of their stations.
type phoneView struct {
	Ringing  []phone.Ringing
	Calls    []phone.Call
	Before   string // where this page of calls starts ("": the latest)
	Older    string // where the next, older page starts ("": none)
	Agents   []phone.Agent
	Stations []org.Unit // the stations the caller supervises
	Tax      []taxonomy.Category
}

// Name picks the Chinese or English name of a station.
func (phoneView) Name(l, zh, en string) string {
	if l == "en" && en != "" {
		return en
	}
	return zh
}

// Cat is the label of a category in the locale.
func (v phoneView) Cat(l, code string) string { return taxonomy.Label(v.Tax, code, l) }

func (s *Server) phoneTaxonomy() []taxonomy.Category {
	if s.Hotline != nil && s.Hotline.Taxonomy != nil {
		return s.Hotline.Taxonomy
	}
	tax, _ := taxonomy.Default()
	return tax
}

func (s *Server) phonePage(w http.ResponseWriter, r *http.Request) {
	s.showPhone(w, r, http.StatusOK, page{})
}

func (s *Server) showPhone(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	v := phoneView{Tax: s.phoneTaxonomy()}
	var err error
	if v.Ringing, err = s.Phone.Ringing(r.Context(), p); err == nil {
		v.Before = r.URL.Query().Get("before")
		if v.Calls, err = s.Phone.FindCalls(r.Context(), p, v.Before); err == nil && len(v.Calls) == phone.CallsPage {
			v.Older = v.Calls[len(v.Calls)-1].Cursor()
		}
	}
	if err == nil && p.Can(access.HotlineSupervise) {
		if v.Agents, err = s.Phone.FindAgents(r.Context(), p); err == nil {
			v.Stations, err = s.unitsWith(r, p, access.HotlineSupervise)
			v.Stations = slices.DeleteFunc(v.Stations, func(u org.Unit) bool { return u.Kind != org.HotlineStation })
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active, pg.Data = "phone.title", "phone", v
	s.render(w, r, status, "phone", pg)
}

// phoneRinging is the ringing panel alone, for the contact pages to poll
// (htmx: hx-get="/phone/ringing" hx-trigger="load, every 3s"
// hx-swap="outerHTML"); it polls itself once in place.
func (s *Server) phoneRinging(w http.ResponseWriter, r *http.Request) {
	rings, err := s.Phone.Ringing(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderPart(w, r, http.StatusOK, "phone", "ringing", page{Data: phoneView{Ringing: rings, Tax: s.phoneTaxonomy()}})
}

// playRecording streams a recording, opened as it is read, to the call's
// counsellor or a supervisor of its station; the service audits it first.
func (s *Server) playRecording(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	pb, err := s.Phone.PlayRecording(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer pb.Audio.Close()
	h := w.Header()
	h.Set("Content-Type", pb.ContentType)
	h.Set("Content-Length", strconv.FormatInt(pb.Bytes, 10))
	h.Set("Content-Disposition", "inline")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, pb.Audio); err != nil {
		// Headers are gone: a file that fails to open midway ends the
		// connection, so that the player never takes it as complete.
		s.Log.Error("phone: recording playback broke off", "recording", id, "err", err, "request_id", httpx.RequestID(r.Context()))
		panic(http.ErrAbortHandler)
	}
}

func (s *Server) setPhoneAgent(w http.ResponseWriter, r *http.Request) {
	station, _ := strconv.ParseInt(r.PostFormValue("station"), 10, 64)
	user, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("user")), 10, 64)
	err := s.Phone.SetAgent(r.Context(), principal(r), station, r.PostFormValue("extension"), user)
	if apperr.CodeOf(err) == "" {
		http.Redirect(w, r, "/phone#agents", http.StatusSeeOther)
		return
	}
	s.afterWrite(w, r, err, page{}, func(status int, pg page) { s.showPhone(w, r, status, pg) })
}
