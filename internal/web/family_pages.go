package web

import (
	"net/http"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/family"
	"github.com/careloop/careloop/internal/i18n"
)

// familyHomeView is the portal's home: the guardian's children.
type familyHomeView struct {
	Children []familyKid
}

func (s *Server) familyHome(w http.ResponseWriter, r *http.Request) {
	se := s.guardian(w, r)
	if se == nil {
		return
	}
	kids, err := s.Family.Children(r.Context(), se)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.familyPage(w, r, http.StatusOK, "family_home", page{Title: "family.home", Data: familyHomeView{Children: familyKids(localeOf(r), kids)}})
}

// familyChildOf reads {id} and the session; nil when answered.
func (s *Server) familyChildOf(w http.ResponseWriter, r *http.Request) (*family.Session, int64) {
	se := s.guardian(w, r)
	if se == nil {
		return nil, 0
	}
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return nil, 0
	}
	return se, id
}

func (s *Server) familyChild(w http.ResponseWriter, r *http.Request) {
	se, id := s.familyChildOf(w, r)
	if se == nil {
		return
	}
	s.showFamilyChild(w, r, se, id, http.StatusOK, page{})
}

func (s *Server) showFamilyChild(w http.ResponseWriter, r *http.Request, se *family.Session, id int64, status int, pg page) {
	v, err := s.Family.FindChild(r.Context(), se, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Data = "family.child", familyChildView{ChildView: v, Kid: familyKid{Child: v.Child, l: localeOf(r)}}
	s.familyPage(w, r, status, "family_child", pg)
}

func (s *Server) familyConsent(w http.ResponseWriter, r *http.Request) {
	se, id := s.familyChildOf(w, r)
	if se == nil {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "error.invalid")
		return
	}
	decision := r.PostFormValue("decision")
	err := s.Family.SetConsent(r.Context(), se, id, formInt(r.PostForm, "campaign"), decision)
	switch apperr.CodeOf(err) {
	case "":
		s.showFamilyChild(w, r, se, id, http.StatusOK, page{Flash: "family.consent_saved_" + map[string]string{
			"given": "given", "withdrawn": "withdrawn", "refused": "refused"}[decision]})
	case apperr.EInvalid:
		s.showFamilyChild(w, r, se, id, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err)})
	default:
		s.fail(w, r, err)
	}
}

// familyChildView is a child's page: who, and the consents asked for.
type familyChildView struct {
	*family.ChildView
	Kid familyKid
}

// familyConcernView is the concern form.
type familyConcernView struct {
	Kid       familyKid
	Signs     []string
	Urgencies []string
	Checked   map[string]bool
}

func (s *Server) familyConcernForm(w http.ResponseWriter, r *http.Request) {
	se, id := s.familyChildOf(w, r)
	if se == nil {
		return
	}
	s.showFamilyConcern(w, r, se, id, http.StatusOK, page{})
}

func (s *Server) showFamilyConcern(w http.ResponseWriter, r *http.Request, se *family.Session, id int64, status int, pg page) {
	v, err := s.Family.FindChild(r.Context(), se, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	checked := map[string]bool{}
	for _, sg := range pg.Form["signs"] {
		checked[sg] = true
	}
	pg.Title = "family.concern"
	pg.Data = familyConcernView{Kid: familyKid{Child: v.Child, l: localeOf(r)}, Signs: family.GuardianSigns, Urgencies: family.Urgencies, Checked: checked}
	s.familyPage(w, r, status, "family_concern", pg)
}

func (s *Server) familyConcern(w http.ResponseWriter, r *http.Request) {
	se, id := s.familyChildOf(w, r)
	if se == nil {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "error.invalid")
		return
	}
	_, err := s.Family.ReportConcern(r.Context(), se, id, family.NewConcern{Signs: r.PostForm["signs"], Urgency: r.PostFormValue("urgency"),
		Description: r.PostFormValue("description")})
	switch apperr.CodeOf(err) {
	case "":
		s.showFamilyChild(w, r, se, id, http.StatusOK, page{Flash: "family.concern_sent"})
	case apperr.EInvalid:
		s.showFamilyConcern(w, r, se, id, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}

// familyBookView is the booking form: the child's free slots.
type familyBookView struct {
	Kid   familyKid
	Slots []family.OpenSlot
}

func (s *Server) familyBookForm(w http.ResponseWriter, r *http.Request) {
	se, id := s.familyChildOf(w, r)
	if se == nil {
		return
	}
	s.showFamilyBook(w, r, se, id, http.StatusOK, page{})
}

func (s *Server) showFamilyBook(w http.ResponseWriter, r *http.Request, se *family.Session, id int64, status int, pg page) {
	v, err := s.Family.FindChild(r.Context(), se, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	slots, err := s.Family.FreeSlots(r.Context(), se, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Data = "family.book", familyBookView{Kid: familyKid{Child: v.Child, l: localeOf(r)}, Slots: slots}
	s.familyPage(w, r, status, "family_book", pg)
}

func (s *Server) familyBook(w http.ResponseWriter, r *http.Request) {
	se, id := s.familyChildOf(w, r)
	if se == nil {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "error.invalid")
		return
	}
	_, err := s.Family.Book(r.Context(), se, id, formInt(r.PostForm, "slot"), r.PostFormValue("topic"))
	switch apperr.CodeOf(err) {
	case "":
		s.showFamilyBookings(w, r, se, http.StatusOK, page{Flash: "family.booked"})
	case apperr.EInvalid, apperr.EConflict:
		s.showFamilyBook(w, r, se, id, httpx422(err), page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}

// httpx422 is the status of a refused form: 422 for bad input, 409 for a
// slot taken meanwhile.
func httpx422(err error) int {
	if apperr.CodeOf(err) == apperr.EConflict {
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}

func (s *Server) familyBookings(w http.ResponseWriter, r *http.Request) {
	se := s.guardian(w, r)
	if se == nil {
		return
	}
	s.showFamilyBookings(w, r, se, http.StatusOK, page{})
}

func (s *Server) showFamilyBookings(w http.ResponseWriter, r *http.Request, se *family.Session, status int, pg page) {
	list, err := s.Family.Bookings(r.Context(), se)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Data = "family.bookings", list
	s.familyPage(w, r, status, "family_bookings", pg)
}

func (s *Server) familyCancelBooking(w http.ResponseWriter, r *http.Request) {
	se, id := s.familyChildOf(w, r)
	if se == nil {
		return
	}
	if err := s.Family.CancelBooking(r.Context(), se, id); err != nil {
		if apperr.CodeOf(err) == apperr.EConflict {
			s.showFamilyBookings(w, r, se, http.StatusConflict, page{Error: apperr.MessageOf(err)})
			return
		}
		s.fail(w, r, err)
		return
	}
	s.showFamilyBookings(w, r, se, http.StatusOK, page{Flash: "family.booking_cancelled"})
}

func (s *Server) familyArticles(w http.ResponseWriter, r *http.Request) {
	se := s.guardian(w, r)
	if se == nil {
		return
	}
	list, err := s.Family.Articles(r.Context(), se)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.familyPage(w, r, http.StatusOK, "family_articles", page{Title: "family.articles", Data: list})
}

func (s *Server) familyArticle(w http.ResponseWriter, r *http.Request) {
	se, id := s.familyChildOf(w, r)
	if se == nil {
		return
	}
	it, err := s.Family.Article(r.Context(), se, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.familyPage(w, r, http.StatusOK, "family_article", page{Title: "family.articles", Data: it})
}

// familyWhere is a child's school, grade and class in locale l.
func familyWhere(l string, c family.Child) string {
	school := c.SchoolName
	if l == "en" && c.SchoolNameEn != "" {
		school = c.SchoolNameEn
	}
	return school + " · " + i18n.T(l, "family.grade_class", c.Grade, c.ClassName)
}

// familyKid is a child as the portal pages show it.
type familyKid struct {
	family.Child
	l string
}

// Where is the child's school, grade and class.
func (k familyKid) Where() string { return familyWhere(k.l, k.Child) }

func familyKids(l string, cs []family.Child) []familyKid {
	out := make([]familyKid, len(cs))
	for i, c := range cs {
		out[i] = familyKid{Child: c, l: l}
	}
	return out
}
