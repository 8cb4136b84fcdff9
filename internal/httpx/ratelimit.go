package httpx

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter is a per-key token bucket (golang.org/x/time/rate) for sign-in
// attempts, keyed by client address. Idle buckets are dropped.
type Limiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// NewLimiter allows burst attempts at once and then one per interval.
func NewLimiter(interval time.Duration, burst int) *Limiter {
	return &Limiter{every: rate.Every(interval), burst: burst, buckets: map[string]*bucket{}}
}

// Blocked reports whether key has no attempt left, without using one.
// With Fail it limits only failed attempts (a school's students behind one
// address each typing a valid code are not slowed down).
func (l *Limiter) Blocked(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	return ok && b.lim.Tokens() < 1
}

// Fail uses one attempt of key.
func (l *Limiter) Fail(key string) { l.Allow(key) }

// Allow reports whether key may make one more attempt now.
func (l *Limiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 30*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	return b.lim.Allow()
}

// ClientIP is the remote address without its port. careloop does not trust
// forwarding headers; a proxy in front should limit by its own rules too.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ClientNet is the key that rate limits count a client by: its IPv4
// address, or the /64 network of an IPv6 address (one subscriber's
// network hands out a whole /64, so counting single addresses would let
// one client rotate through millions of them).
func ClientNet(r *http.Request) string {
	host := ClientIP(r)
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() != nil {
		return host
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
