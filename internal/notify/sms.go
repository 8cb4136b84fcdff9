package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// HTTPSMS sends text messages through an HTTP gateway: it POSTs
//
//	{"to": "+8613800000000", "text": "..."}
//
// as application/json to the configured endpoint and treats any status but
// 2xx as a failure (the response body is read and discarded, never put in
// an error). Redirects are not followed. Deployments whose provider speaks
// another protocol put a small relay in front of it.
type HTTPSMS struct {
	endpoint string
	token    string
	client   *http.Client
}

// NewHTTPSMS reads the gateway URL:
//
//	https://sms.example.org/send?token=SECRET
//
// The endpoint must be https; http is allowed only for 127.0.0.1, ::1 and
// localhost (a relay on the same machine, tests). The optional token query
// parameter is taken out of the URL and sent as "Authorization: Bearer
// SECRET" instead, so it never travels in a request line or an error;
// other query parameters stay. User info in the URL is refused, so that a
// token is not mistaken for basic authentication. Each message has a
// 15-second timeout.
func NewHTTPSMS(raw string) (*HTTPSMS, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("SMS URL is not a valid URL (https://sms.example.org/send?token=SECRET)")
	}
	if u.Host == "" || u.Opaque != "" {
		return nil, errors.New("SMS URL needs a host: https://sms.example.org/send")
	}
	switch u.Scheme {
	case "https":
	case "http":
		switch u.Hostname() {
		case "127.0.0.1", "::1", "localhost":
		default:
			return nil, errors.New("SMS URL must use https (http only for 127.0.0.1 or localhost)")
		}
	default:
		return nil, errors.New("SMS URL must start with https://")
	}
	if u.User != nil {
		return nil, errors.New("SMS URL must not hold user info; pass a bearer token as ?token=")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, errors.New("SMS URL has an invalid query")
	}
	g := &HTTPSMS{token: q.Get("token")}
	q.Del("token")
	u.RawQuery = q.Encode()
	u.Fragment, u.RawFragment = "", ""
	g.endpoint = u.String()
	g.client = &http.Client{
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return g, nil
}

// SendSMS sends m.Body to the number m.To.
func (g *HTTPSMS) SendSMS(ctx context.Context, m Message) error {
	b, err := json.Marshal(struct {
		To   string `json:"to"`
		Text string `json:"text"`
	}{m.To, m.Body})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, g.client.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.endpoint, bytes.NewReader(b))
	if err != nil {
		return errors.New("sms gateway: cannot build the request")
	}
	req.Header.Set("Content-Type", "application/json")
	if g.token != "" {
		req.Header.Set("Authorization", "Bearer "+g.token)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("sms gateway: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("sms gateway: status %d", resp.StatusCode)
	}
	return nil
}
