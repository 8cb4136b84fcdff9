package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/hotline/taxonomy"
	"github.com/careloop/careloop/internal/org"
)

// contactsView is the page that starts a contact.
type contactsView struct {
	Units    []org.Unit
	Channels []string
	Kinds    []string
}

func (s *Server) contacts(w http.ResponseWriter, r *http.Request) {
	s.showContacts(w, r, http.StatusOK, page{})
}

func (s *Server) showContacts(w http.ResponseWriter, r *http.Request, status int, pg page) {
	units, err := s.unitsWith(r, principal(r), access.HotlineContact)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	units = slices.DeleteFunc(units, func(u org.Unit) bool { return u.Kind != org.HotlineStation })
	pg.Title, pg.Active = "contact.list", "contacts"
	pg.Data = contactsView{Units: units, Channels: hotline.Channels, Kinds: hotline.IdentifierKinds}
	s.render(w, r, status, "contacts", pg)
}

// startContact opens a draft. A known identifier brings a screen-pop,
// shown at once with the new contact; otherwise the contact page follows.
func (s *Server) startContact(w http.ResponseWriter, r *http.Request) {
	station, _ := strconv.ParseInt(r.PostFormValue("station"), 10, 64)
	n := hotline.NewContact{StationID: station, Channel: r.PostFormValue("channel")}
	if v := strings.TrimSpace(r.PostFormValue("identifier")); v != "" {
		n.Identifier = hotline.Identifier{Kind: r.PostFormValue("kind"), Value: v}
	}
	c, pop, err := s.Hotline.Start(r.Context(), principal(r), n)
	switch apperr.CodeOf(err) {
	case "":
	case apperr.EInvalid:
		s.showContacts(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
		return
	default:
		s.fail(w, r, err)
		return
	}
	if pop == nil || (len(pop.Earlier) == 0 && len(pop.Flags) == 0 && pop.Approach == "") {
		http.Redirect(w, r, "/contacts/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
		return
	}
	s.renderContact(w, r, http.StatusOK, page{Flash: "contact.started"}, c, pop)
}

// contactView is one contact with the choices of its form.
type contactView struct {
	C                              *hotline.Contact
	Pop                            *hotline.ScreenPop
	Tax                            []taxonomy.Category
	Risk                           []taxonomy.RiskQuestion
	CallerTypes, AgeBands, Genders []string
	Actions, Referrals, RiskLevels []string
}

// Has reports whether list holds code (a checked box).
func (contactView) Has(list []string, code string) bool { return slices.Contains(list, code) }

// Cat is the label of a category in the locale.
func (v contactView) Cat(l, code string) string { return taxonomy.Label(v.Tax, code, l) }

// Pick chooses the Chinese or English text of the taxonomy.
func (contactView) Pick(l, zh, en string) string {
	if strings.HasPrefix(strings.ToLower(l), "zh") {
		return zh
	}
	return en
}

// Answer is the contact's answer to a risk question.
func (v contactView) Answer(field string) string {
	a := v.C.Risk
	return map[string]string{"thoughts": a.Thoughts, "plan": a.Plan, "means": a.Means, "timeframe": a.Timeframe, "attempts": a.Attempts}[field]
}

func (s *Server) contact(w http.ResponseWriter, r *http.Request) {
	s.showContact(w, r, http.StatusOK, page{}, nil)
}

// showContact renders a contact as stored; with typed, the fields the
// caller submitted replace the stored ones, so that nothing typed is lost
// when a save is refused.
func (s *Server) showContact(w http.ResponseWriter, r *http.Request, status int, pg page, typed *hotline.Fields) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	c, err := s.Hotline.FindContact(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if typed != nil {
		c.Fields = *typed
	}
	s.renderContact(w, r, status, pg, c, nil)
}

func (s *Server) renderContact(w http.ResponseWriter, r *http.Request, status int, pg page, c *hotline.Contact, pop *hotline.ScreenPop) {
	tax := s.Hotline.Taxonomy
	if tax == nil {
		var err error
		if tax, err = taxonomy.Default(); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	pg.Title, pg.Active = "contact.record", "contacts"
	pg.Data = contactView{C: c, Pop: pop, Tax: tax, Risk: taxonomy.RiskQuestions, CallerTypes: hotline.CallerTypes, AgeBands: hotline.AgeBands,
		Genders: hotline.Genders, Actions: hotline.Actions, Referrals: hotline.Referrals, RiskLevels: taxonomy.RiskLevels}
	s.render(w, r, status, "contact", pg)
}

// contactForm reads the fields and the version of the contact form.
func contactForm(r *http.Request) (hotline.Fields, int) {
	_ = r.ParseForm()
	f := r.PostForm
	version, _ := strconv.Atoi(f.Get("version"))
	district, _ := strconv.ParseInt(f.Get("district_id"), 10, 64)
	ended, _ := strconv.ParseInt(f.Get("ended_at"), 10, 64)
	out := hotline.Fields{CallerType: f.Get("caller_type"), AgeBand: f.Get("age_band"), Gender: f.Get("gender"), DistrictID: district,
		Categories: f["categories"], Summary: f.Get("summary"), Actions: f["actions"], Referrals: f["referrals"], FollowUp: f.Get("follow_up") == "1",
		Risk: taxonomy.RiskAnswers{Thoughts: f.Get("risk_thoughts"), Plan: f.Get("risk_plan"), Means: f.Get("risk_means"),
			Timeframe: f.Get("risk_timeframe"), Attempts: f.Get("risk_attempts")}}
	if ended > 0 {
		out.EndedAt = time.UnixMicro(ended).UTC()
	}
	return out, version
}

// afterContact answers a write on a contact page: success shows the page
// with ok's flash; a refused save (invalid, stale, not the holder) shows
// the page again with what the caller typed and the reason.
func (s *Server) afterContact(w http.ResponseWriter, r *http.Request, err error, ok page, typed hotline.Fields) {
	switch apperr.CodeOf(err) {
	case "":
		s.showContact(w, r, http.StatusOK, ok, nil)
	case apperr.EInvalid:
		s.showContact(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm}, &typed)
	case apperr.EConflict, apperr.EForbidden:
		s.showContact(w, r, httpStatus(err), page{Error: apperr.MessageOf(err), Form: r.PostForm}, &typed)
	default:
		s.fail(w, r, err)
	}
}

func httpStatus(err error) int {
	if apperr.CodeOf(err) == apperr.EConflict {
		return http.StatusConflict
	}
	return http.StatusForbidden
}

func (s *Server) saveContact(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	f, version := contactForm(r)
	_, err := s.Hotline.Save(r.Context(), principal(r), id, version, f)
	s.afterContact(w, r, err, page{Flash: "contact.saved"}, f)
}

// finaliseContact saves what the form holds, then finalises it.
func (s *Server) finaliseContact(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	f, version := contactForm(r)
	next, err := s.Hotline.Save(r.Context(), principal(r), id, version, f)
	if err == nil {
		err = s.Hotline.Finalise(r.Context(), principal(r), id, next)
	}
	s.afterContact(w, r, err, page{Flash: "contact.finalised"}, f)
}

// transferContact saves what the form holds, then hands the draft over.
func (s *Server) transferContact(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	f, version := contactForm(r)
	to, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("to")), 10, 64)
	_, err := s.Hotline.Save(r.Context(), principal(r), id, version, f)
	if err == nil {
		err = s.Hotline.Transfer(r.Context(), principal(r), id, to)
	}
	if err == nil {
		s.showContacts(w, r, http.StatusOK, page{Flash: "contact.transferred"})
		return
	}
	s.afterContact(w, r, err, page{}, f)
}

// autosaveState is the answer to an autosave: the new version, or why
// nothing was saved (an i18n key).
type autosaveState struct {
	Version     int
	At          string // hh:mm:ss, China time
	Problem     string
	RiskPending bool // the risk screen is incomplete and was left out
}

// autosaveContact saves the draft as it is typed (htmx); the answer
// replaces the status line and the form's version out of band. It is
// always 200 so that htmx swaps it; a refused save says why and changes
// nothing in the form, so nothing typed is lost.
func (s *Server) autosaveContact(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	f, version := contactForm(r)
	st := autosaveState{Version: version}
	if f.Risk != (taxonomy.RiskAnswers{}) && f.Risk.Validate() != nil {
		f.Risk, st.RiskPending = taxonomy.RiskAnswers{}, true
	}
	next, err := s.Hotline.Save(r.Context(), principal(r), id, version, f)
	switch apperr.CodeOf(err) {
	case "":
		st.Version, st.At = next, time.Now().In(displayZone).Format("15:04:05")
	case apperr.EInternal:
		s.Log.Error("autosave", "err", err, "contact", id)
		st.Problem = "contact.autosave_failed"
	case apperr.EInvalid:
		st.Problem = "contact.autosave_invalid"
	case apperr.EConflict:
		st.Problem = "contact.autosave_stale"
	default:
		st.Problem = apperr.MessageOf(err)
	}
	s.renderPart(w, r, http.StatusOK, "contact", "autosave", page{Data: st})
}
