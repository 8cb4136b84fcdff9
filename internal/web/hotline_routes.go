package web

import (
	"net/http"

	"github.com/careloop/careloop/internal/access"
)

// guards are the three ways routes.go registers a route; the hotline
// station's parts register theirs through them.
type guards struct {
	public   func(pattern string, h http.HandlerFunc)
	signedIn func(pattern string, h http.HandlerFunc)
	perm     func(pattern string, p access.Permission, h http.HandlerFunc)
}
