package web

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/hotline/letter"
)

// The public letter box: no account. A writer chooses a station and
// writes; they are shown a reading code once, and read the replies with
// it later. Wrong codes are limited per address.

// letterWriteView is the public letter page.
type letterWriteView struct {
	Stations []letter.Station
	AgeBands []string
}

// letterReadView is the reading page: the code form, or the letter.
type letterReadView struct {
	Letter *letter.Letter
}

func (s *Server) letterForm(w http.ResponseWriter, r *http.Request) {
	s.showLetterForm(w, r, http.StatusOK, page{})
}

func (s *Server) showLetterForm(w http.ResponseWriter, r *http.Request, status int, pg page) {
	stations, err := s.Letters.Stations(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	bands := slices.DeleteFunc(slices.Clone(hotline.AgeBands), func(b string) bool { return b == "unknown" })
	pg.Title = "letter.write_title"
	pg.Data = letterWriteView{Stations: stations, AgeBands: bands}
	s.render(w, r, status, "letter_write", pg)
}

// writeLetter takes a letter and shows its reading code, once.
func (s *Server) writeLetter(lim *letterLimits) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm() // so that a refused letter is shown again as typed
		if !lim.write.Allow(clientKey(r)) {
			s.showLetterForm(w, r, http.StatusTooManyRequests, page{Error: "letter.too_many", Form: r.PostForm})
			return
		}
		station, _ := strconv.ParseInt(r.PostFormValue("station"), 10, 64)
		written, err := s.Letters.Write(r.Context(), letter.NewLetter{StationID: station, AgeBand: r.PostFormValue("age_band"),
			Text: r.PostFormValue("text")})
		switch apperr.CodeOf(err) {
		case "":
			s.render(w, r, http.StatusOK, "letter_sent", page{Title: "letter.sent_title", Data: written})
		case apperr.EInvalid:
			s.showLetterForm(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
		default:
			s.fail(w, r, err)
		}
	}
}

func (s *Server) letterCodeForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "letter_read", page{Title: "letter.read_title", Data: letterReadView{}})
}

// readLetter shows the letter of a reading code. Only wrong codes count
// against the address.
func (s *Server) readLetter(lim *letterLimits) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := "letter:" + clientKey(r)
		if lim.code.Blocked(key) {
			s.render(w, r, http.StatusTooManyRequests, "letter_read", page{Title: "letter.read_title", Error: "letter.too_many_codes",
				Data: letterReadView{}})
			return
		}
		l, err := s.Letters.ReadByCode(r.Context(), r.PostFormValue("code"))
		switch apperr.CodeOf(err) {
		case "":
			s.render(w, r, http.StatusOK, "letter_read", page{Title: "letter.mine", Data: letterReadView{Letter: l}})
		case apperr.ENotFound:
			lim.code.Fail(key)
			s.render(w, r, http.StatusNotFound, "letter_read", page{Title: "letter.read_title", Error: apperr.MessageOf(err),
				Data: letterReadView{}})
		default:
			s.fail(w, r, err)
		}
	}
}
