package web

import "net/http"

// wechatRoutes registers the WeChat official account's push callback. It
// is public: WeChat's servers sign every push with the account's token
// and the adapter checks the signature, the timestamp, replays and (in
// encrypted mode) the AppID. The cross-origin protection lets these
// server-to-server POSTs through, since they carry no Origin or
// Sec-Fetch-Site header. Without a configured adapter the address does
// not exist (404).
func (s *Server) wechatRoutes(g guards) {
	g.public("GET /wechat/callback", s.wechatCallback)
	g.public("POST /wechat/callback", s.wechatCallback)
}

func (s *Server) wechatCallback(w http.ResponseWriter, r *http.Request) {
	if !s.WeChat.Configured() {
		s.notFound(w, r)
		return
	}
	s.WeChat.ServeHTTP(w, r)
}
