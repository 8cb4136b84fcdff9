package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/hotline/chat"
)

// queueView is the station's live queue.
type queueView struct {
	Health  chat.Health
	Waiting []chat.Conversation
	Mine    []chat.Conversation
	Live    []chat.Conversation // for supervisors
	Super   bool
}

func (s *Server) chatQueue(w http.ResponseWriter, r *http.Request) {
	s.showQueue(w, r, http.StatusOK, page{})
}

func (s *Server) showQueue(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	var v queueView
	var err error
	if v.Health, err = s.Chat.QueueHealth(r.Context(), p); err == nil {
		if v.Waiting, err = s.Chat.Waiting(r.Context(), p); err == nil {
			v.Mine, err = s.Chat.Mine(r.Context(), p)
		}
	}
	if err == nil && p.Can(access.HotlineSupervise) {
		v.Super = true
		v.Live, err = s.Chat.Live(r.Context(), p)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active, pg.Data = "chat.queue", "queue", v
	if r.Header.Get("HX-Request") == "true" && r.Method == http.MethodGet {
		s.renderPart(w, r, status, "chat_queue", "panel", pg)
		return
	}
	s.render(w, r, status, "chat_queue", pg)
}

// takeChat gives the counsellor the next conversation of the queue.
func (s *Server) takeChat(w http.ResponseWriter, r *http.Request) {
	c, _, err := s.Chat.Take(r.Context(), principal(r))
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/hotline/chats/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
	case apperr.EConflict:
		s.showQueue(w, r, http.StatusConflict, page{Error: apperr.MessageOf(err)})
	default:
		s.fail(w, r, err)
	}
}

// roomView is one conversation for a staff member.
type roomView struct {
	C          *chat.Conversation
	Messages   []chat.Message
	Role       chat.Role
	Super      bool
	Colleagues []chat.Colleague
	Contact    *hotline.Contact
}

func (s *Server) chatRoom(w http.ResponseWriter, r *http.Request) {
	s.showRoom(w, r, http.StatusOK, page{})
}

func (s *Server) showRoom(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	p := principal(r)
	c, ms, role, err := s.Chat.View(r.Context(), p, id, 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := roomView{C: c, Messages: ms, Role: role}
	_, v.Super = p.At(access.HotlineSupervise, c.StationPath)
	if c.State == "active" && (role == chat.Holder || v.Super) {
		if v.Colleagues, err = s.Chat.Colleagues(r.Context(), p, id); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if c.ContactID != 0 && role != chat.Watcher {
		if v.Contact, err = s.Hotline.FindContact(r.Context(), p, c.ContactID); err != nil && apperr.CodeOf(err) != apperr.ENotFound {
			s.fail(w, r, err)
			return
		}
	}
	pg.Title, pg.Active, pg.Data = "chat.room", "queue", v
	s.render(w, r, status, "chat_room", pg)
}

// staffSocket is a counsellor's or supervisor's live connection.
func (s *Server) staffSocket(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	p := principal(r)
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	if after < 1 {
		after = 1 << 30 // the page showed the transcript; only check access here
	}
	if _, _, _, err := s.Chat.View(r.Context(), p, id, after); err != nil {
		s.notFound(w, r)
		return
	}
	after, _ = strconv.Atoi(r.URL.Query().Get("after"))
	wake, stop := s.Chat.Subscribe(id)
	defer stop()
	s.pump(w, r, &peer{lang: localeOf(r), after: after, wake: wake,
		since: func(ctx context.Context, after int) (*chat.Conversation, []chat.Message, error) {
			if after == 0 {
				after = -1 // a stream read, not the audited full read of the page
			}
			c, ms, _, err := s.Chat.View(ctx, p, id, after)
			return c, ms, err
		},
		say: func(ctx context.Context, cid, text string) (*chat.Message, error) {
			return s.Chat.StaffSay(ctx, p, id, cid, text)
		}})
}

// chatAction runs a hand-over of a conversation and shows it again.
func (s *Server) chatAction(act func(ctx context.Context, p access.Principal, id int64, r *http.Request) error, flash string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r, "id")
		if !ok {
			s.notFound(w, r)
			return
		}
		err := act(r.Context(), principal(r), id, r)
		switch apperr.CodeOf(err) {
		case "":
			if flash == "chat.transferred" {
				http.Redirect(w, r, "/hotline/queue", http.StatusSeeOther)
				return
			}
			http.Redirect(w, r, "/hotline/chats/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		case apperr.EInvalid, apperr.EConflict, apperr.EForbidden:
			s.showRoom(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err)})
		default:
			s.fail(w, r, err)
		}
	}
}

func (s *Server) transferChat(ctx context.Context, p access.Principal, id int64, r *http.Request) error {
	to, _ := strconv.ParseInt(r.PostFormValue("to"), 10, 64)
	return s.Chat.Transfer(ctx, p, id, to)
}

func (s *Server) watchChat(ctx context.Context, p access.Principal, id int64, _ *http.Request) error {
	return s.Chat.Watch(ctx, p, id)
}

func (s *Server) joinChat(ctx context.Context, p access.Principal, id int64, _ *http.Request) error {
	return s.Chat.Join(ctx, p, id)
}

func (s *Server) endChat(ctx context.Context, p access.Principal, id int64, _ *http.Request) error {
	return s.Chat.End(ctx, p, id)
}
