package web

import (
	"net/http"
	"time"

	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
)

func (s *Server) notifications(w http.ResponseWriter, r *http.Request) {
	s.showNotifications(w, r, http.StatusOK, page{})
}

func (s *Server) showNotifications(w http.ResponseWriter, r *http.Request, status int, pg page) {
	list, err := notify.Inbox(r.Context(), s.DB, principal(r).UserID, 100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Data = "notify.inbox", list
	s.render(w, r, status, "notifications", pg)
}

func (s *Server) readNotifications(w http.ResponseWriter, r *http.Request) {
	err := notify.MarkRead(r.Context(), s.DB, principal(r).UserID, db.Micro(time.Now()))
	s.afterWrite(w, r, err, page{Flash: "notify.all_read"}, func(status int, pg page) { s.showNotifications(w, r, status, pg) })
}
