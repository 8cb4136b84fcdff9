package web

import (
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/httpx"
)

// letterRoutes registers the pages of the hotline's letter part: the
// public letter box and reading page (no account; attempts limited per
// address), the e-mail intake (a mail gateway's bearer token, checked by
// the handler), and the station's letter list and letter pages.
func (s *Server) letterRoutes(g guards) {
	lim := &letterLimits{
		write: httpx.NewLimiter(2*time.Minute, 10),
		code:  httpx.NewLimiter(time.Minute, 5),
	}
	g.public("GET /letter", s.letterForm)
	g.public("POST /letter", s.writeLetter(lim))
	g.public("GET /letter/read", s.letterCodeForm)
	g.public("POST /letter/read", s.readLetter(lim))
	g.public("POST /letters/inbound", s.receiveLetter)

	g.perm("GET /letters", access.HotlineContact, s.letters)
	g.perm("POST /letters/deadline", access.HotlineSupervise, s.setLetterDeadline)
	g.perm("GET /letters/{id}", access.HotlineContact, s.letterPage)
	g.perm("POST /letters/{id}/take", access.HotlineContact, s.takeLetter)
	g.perm("POST /letters/{id}/reply", access.HotlineContact, s.replyLetter)
	g.perm("POST /letters/{id}/close", access.HotlineContact, s.closeLetter)
}

// letterLimits are the per-address limits of the public letter pages:
// letters written, and wrong reading codes.
type letterLimits struct {
	write, code *httpx.Limiter
}
