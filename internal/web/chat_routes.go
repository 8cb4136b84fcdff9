package web

import "github.com/careloop/careloop/internal/access"

// chatRoutes registers the child's public chat and the station's queue
// and conversations.
func (s *Server) chatRoutes(g guards) {
	g.public("GET /chat", s.childChat)
	g.public("POST /chat", s.startChildChat)
	g.public("POST /chat/leave", s.leaveChildChat)
	g.public("GET /chat/socket", s.childSocket)

	g.perm("GET /hotline/queue", access.HotlineContact, s.chatQueue)
	g.perm("POST /hotline/queue/take", access.HotlineContact, s.takeChat)
	g.perm("GET /hotline/chats/{id}", access.HotlineContact, s.chatRoom)
	g.perm("GET /hotline/chats/{id}/socket", access.HotlineContact, s.staffSocket)
	g.perm("POST /hotline/chats/{id}/transfer", access.HotlineContact, s.chatAction(s.transferChat, "chat.transferred"))
	g.perm("POST /hotline/chats/{id}/end", access.HotlineContact, s.chatAction(s.endChat, ""))
	g.perm("POST /hotline/chats/{id}/watch", access.HotlineSupervise, s.chatAction(s.watchChat, ""))
	g.perm("POST /hotline/chats/{id}/join", access.HotlineSupervise, s.chatAction(s.joinChat, ""))
}
