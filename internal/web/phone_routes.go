package web

import "github.com/careloop/careloop/internal/access"

// phoneRoutes registers the pages of the hotline's phone part. The PBX's
// two routes are public to the session guard: they take no cookie, only
// an API token (Authorization: Bearer) holding hotline.telephony, checked
// by phoneGateway before anything is read.
func (s *Server) phoneRoutes(g guards) {
	g.public("POST /phone/events", s.phoneEvent)
	g.public("POST /phone/calls/{call}/recordings", s.phoneUpload)
	g.perm("GET /phone", access.HotlineContact, s.phonePage)
	g.perm("GET /phone/ringing", access.HotlineContact, s.phoneRinging)
	g.perm("GET /phone/recordings/{id}", access.HotlineContact, s.playRecording)
	g.perm("POST /phone/agents", access.HotlineSupervise, s.setPhoneAgent)
}
