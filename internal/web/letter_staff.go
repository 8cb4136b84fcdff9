package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline/letter"
	"github.com/careloop/careloop/internal/httpx"
)

// The station's letters: the list by deadline, a letter with its replies,
// and taking, answering and closing it.

// lettersView is the station's letter list; Deadlines only for supervisors.
type lettersView struct {
	Letters   []*letter.Letter
	Closed    bool
	Deadlines []letter.StationDeadline
}

// letterView is one letter on its page.
type letterView struct {
	L       *letter.Letter
	Me      int64
	Reasons []string
}

func (s *Server) letters(w http.ResponseWriter, r *http.Request) {
	s.showLetters(w, r, http.StatusOK, page{})
}

func (s *Server) showLetters(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	v := lettersView{Closed: r.Method == http.MethodGet && r.URL.Query().Get("closed") == "1"}
	var err error
	if v.Letters, err = s.Letters.FindLetters(r.Context(), p, letter.Filter{Closed: v.Closed}); err != nil {
		s.fail(w, r, err)
		return
	}
	if p.Can(access.HotlineSupervise) {
		if v.Deadlines, err = s.Letters.Deadlines(r.Context(), p); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	pg.Title, pg.Active, pg.Data = "letter.list", "letters", v
	s.render(w, r, status, "letters", pg)
}

func (s *Server) setLetterDeadline(w http.ResponseWriter, r *http.Request) {
	station, _ := strconv.ParseInt(r.PostFormValue("station"), 10, 64)
	hours, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("hours")))
	if err != nil {
		hours = 0
	}
	err = s.Letters.SetReplyWithin(r.Context(), principal(r), station, hours)
	s.afterWrite(w, r, err, page{Flash: "letter.deadline_set"}, func(status int, pg page) { s.showLetters(w, r, status, pg) })
}

func (s *Server) letterPage(w http.ResponseWriter, r *http.Request) {
	s.showLetter(w, r, http.StatusOK, page{})
}

// showLetter renders a letter (its read is audited by the service).
func (s *Server) showLetter(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	p := principal(r)
	l, err := s.Letters.Find(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active = "letter.record", "letters"
	pg.Data = letterView{L: l, Me: p.UserID, Reasons: letter.CloseReasons}
	s.render(w, r, status, "letter", pg)
}

// afterLetter answers a write on a letter: the page with a flash, or with
// the reason it was refused and what the caller typed.
func (s *Server) afterLetter(w http.ResponseWriter, r *http.Request, err error, flash string) {
	switch apperr.CodeOf(err) {
	case "":
		s.showLetter(w, r, http.StatusOK, page{Flash: flash})
	case apperr.EInvalid:
		s.showLetter(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	case apperr.EConflict, apperr.EForbidden:
		s.showLetter(w, r, httpx.Status(err), page{Error: apperr.MessageOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}

func (s *Server) takeLetter(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.afterLetter(w, r, s.Letters.Take(r.Context(), principal(r), id), "letter.taken_ok")
}

func (s *Server) replyLetter(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_, err := s.Letters.Reply(r.Context(), principal(r), id, r.PostFormValue("text"))
	s.afterLetter(w, r, err, "letter.replied")
}

func (s *Server) closeLetter(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.afterLetter(w, r, s.Letters.Close(r.Context(), principal(r), id, r.PostFormValue("reason")), "letter.closed_ok")
}
