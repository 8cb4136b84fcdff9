package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline/chat"
)

// ChatCookie holds a child's chat token: the only key to their
// conversation, kept in their browser for a day.
const ChatCookie = "careloop_chat"

// childChatView is the child's chat page: the question before a chat, or
// the conversation.
type childChatView struct {
	C         *chat.Conversation
	Messages  []chat.Message
	Urgencies []string
	Station   int64
}

// childChat shows the child's conversation, or the one question that
// starts one.
func (s *Server) childChat(w http.ResponseWriter, r *http.Request) {
	v := childChatView{Urgencies: chat.Urgencies}
	v.Station, _ = strconv.ParseInt(r.URL.Query().Get("station"), 10, 64)
	if ck, err := r.Cookie(ChatCookie); err == nil {
		c, ms, err := s.Chat.ChildSince(r.Context(), ck.Value, 0)
		if err == nil && (c.Open() || r.URL.Query().Get("new") == "") {
			v.C, v.Messages = c, ms
		}
	}
	s.render(w, r, http.StatusOK, "chat_child", page{Title: "chat.child_title", Child: true, Data: v})
}

// startChildChat starts a conversation after the urgency question.
func (s *Server) startChildChat(w http.ResponseWriter, r *http.Request) {
	station, _ := strconv.ParseInt(r.PostFormValue("station"), 10, 64)
	_, token, err := s.Chat.Visit(r.Context(), station, r.PostFormValue("urgency"))
	switch apperr.CodeOf(err) {
	case "":
	case apperr.EInvalid:
		s.render(w, r, http.StatusUnprocessableEntity, "chat_child", page{Title: "chat.child_title", Child: true,
			Error: "chat.pick_urgency", Data: childChatView{Urgencies: chat.Urgencies, Station: station}})
		return
	default:
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: ChatCookie, Value: token, Path: "/chat", MaxAge: 24 * 3600, HttpOnly: true,
		Secure: s.SecureCookies, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/chat", http.StatusSeeOther)
}

// leaveChildChat ends the child's conversation at their request.
func (s *Server) leaveChildChat(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(ChatCookie); err == nil {
		if err := s.Chat.ChildEnd(r.Context(), ck.Value); err != nil && apperr.CodeOf(err) != apperr.ENotFound {
			s.fail(w, r, err)
			return
		}
	}
	http.Redirect(w, r, "/chat", http.StatusSeeOther)
}

// childSocket is the child's live connection.
func (s *Server) childSocket(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(ChatCookie)
	if err != nil {
		s.notFound(w, r)
		return
	}
	token := ck.Value
	c, _, err := s.Chat.ChildSince(r.Context(), token, 1<<30)
	if err != nil {
		s.notFound(w, r)
		return
	}
	after, _ := strconv.Atoi(r.URL.Query().Get("after"))
	wake, stop := s.Chat.Subscribe(c.ID)
	defer stop()
	s.pump(w, r, &peer{lang: localeOf(r), after: after, wake: wake,
		since: func(ctx context.Context, after int) (*chat.Conversation, []chat.Message, error) {
			return s.Chat.ChildSince(ctx, token, after)
		},
		say: func(ctx context.Context, id, text string) (*chat.Message, error) {
			return s.Chat.ChildSay(ctx, token, id, text)
		}})
}
