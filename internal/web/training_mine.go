package web

import (
	"net/http"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/training"
)

func (s *Server) trainingMine(w http.ResponseWriter, r *http.Request) {
	s.showTrainingMine(w, r, http.StatusOK, page{})
}

func (s *Server) showTrainingMine(w http.ResponseWriter, r *http.Request, status int, pg page) {
	mine, err := s.Training.MyTraining(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active, pg.Data = "training.mine_nav", "my-training", mine
	s.render(w, r, status, "training_mine", pg)
}

func (s *Server) trainingEnrol(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.Training.Enrol(r.Context(), principal(r), id)
	switch apperr.CodeOf(err) {
	case "":
		s.showTrainingMine(w, r, http.StatusOK, page{Flash: "training.enrolled"})
	case apperr.EConflict:
		s.showTrainingMine(w, r, http.StatusConflict, page{Error: apperr.MessageOf(err)})
	default:
		s.fail(w, r, err)
	}
}

// trainingCheckinView is the phone page a QR code at the door opens.
type trainingCheckinView struct {
	C       training.Checkin
	Token   string
	Done    bool
	Unknown bool // no such code (mistyped, or of a removed session)
}

func (s *Server) trainingCheckinPage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	c, err := s.Training.FindCheckin(r.Context(), principal(r), token)
	switch apperr.CodeOf(err) {
	case "":
	case apperr.ENotFound:
		// A phone that scanned a wrong or old code gets a page that says
		// so, in the check-in page's own words.
		s.render(w, r, http.StatusOK, "training_checkin", page{Title: "training.checkin", Active: "my-training",
			Data: trainingCheckinView{Unknown: true}})
		return
	default:
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "training_checkin", page{Title: "training.checkin", Active: "my-training",
		Data: trainingCheckinView{C: c, Token: token}})
}

func (s *Server) trainingCheckIn(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	c, err := s.Training.CheckIn(r.Context(), principal(r), token)
	switch apperr.CodeOf(err) {
	case "":
		s.render(w, r, http.StatusOK, "training_checkin", page{Title: "training.checkin", Active: "my-training",
			Data: trainingCheckinView{C: c, Token: token, Done: true}})
	case apperr.EConflict, apperr.EForbidden:
		c, ferr := s.Training.FindCheckin(r.Context(), principal(r), token)
		if ferr != nil {
			s.fail(w, r, ferr)
			return
		}
		s.render(w, r, trainingStatus(err), "training_checkin", page{Title: "training.checkin", Active: "my-training", Error: apperr.MessageOf(err),
			Data: trainingCheckinView{C: c, Token: token}})
	default:
		s.fail(w, r, err)
	}
}

func trainingStatus(err error) int {
	if apperr.CodeOf(err) == apperr.EForbidden {
		return http.StatusForbidden
	}
	return http.StatusConflict
}
