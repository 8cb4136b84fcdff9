package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// phase is what one run of the load measured.
type phase struct {
	Submissions int             // recorded (HTTP 200, "recorded")
	Retries     int             // double clicks sent; each must answer "duplicate"
	Errors      int             // transport errors and unexpected statuses
	Samples     []string        // the first few errors
	Wall        time.Duration   // first request to last answer
	Answers     []time.Duration // latency of POST /s/answers
	Codes       []time.Duration // latency of POST /s (the code check)
	CPU         cpuUse
}

// sourceIPs hands out loopback source addresses (127.A.B.C, all routed to
// lo on Linux). careloop limits code checks to a burst of 10 per client
// address, so every "device" connects from its own address, as children on
// their own phones do.
var sourceIPs atomic.Uint32

func nextIP() net.IP {
	n := sourceIPs.Add(1)
	return net.IPv4(127, byte(10+n/(254*256)), byte(n/254%256), byte(n%254+1))
}

// device is one client: its own http.Client and cookie jar, and its own
// source address, renewed (with a new connection) every perConn students.
type device struct {
	base    string
	hc      *http.Client
	tr      *http.Transport
	ip      net.IP
	served  int
	perConn int
}

func newDevice(base string, perConn int) *device {
	d := &device{base: base, perConn: perConn, ip: nextIP()}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	d.tr = &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dl := *dialer
			dl.LocalAddr = &net.TCPAddr{IP: d.ip}
			return dl.DialContext(ctx, network, addr)
		}}
	jar, _ := cookiejar.New(nil)
	d.hc = &http.Client{Transport: d.tr, Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return d
}

// post sends one request and reads the whole answer.
func (d *device) post(path, ctype string, body []byte, retry bool) (int, string, time.Duration, error) {
	start := time.Now()
	req, err := http.NewRequest(http.MethodPost, d.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, "", 0, err
	}
	req.Header.Set("Content-Type", ctype)
	if retry {
		req.Header.Set(retryHeader, "1")
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		return 0, "", time.Since(start), err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b), time.Since(start), err
}

// sit runs one student: the code check, then the whole battery in one
// request (and, for a double click, the same request again). recorded is
// true once the answers were accepted.
func (d *device) sit(j job) (code, answers time.Duration, recorded bool, err error) {
	if d.served >= d.perConn {
		d.tr.CloseIdleConnections()
		d.ip, d.served = nextIP(), 0
	}
	d.served++
	status, body, code, err := d.post("/s", "application/x-www-form-urlencoded", []byte(url.Values{"code": {j.Code}}.Encode()), false)
	if err == nil && status != http.StatusSeeOther {
		err = fmt.Errorf("HTTP %d %.80q", status, body)
	}
	if err != nil {
		return code, 0, false, fmt.Errorf("code check: %w", err)
	}
	status, body, answers, err = d.post("/s/answers", "application/json", j.Body, false)
	if err == nil && (status != http.StatusOK || !strings.Contains(body, `"recorded"`) || strings.Contains(body, `"duplicate":true`)) {
		err = fmt.Errorf("HTTP %d %.120q", status, body)
	}
	if err != nil {
		return code, answers, false, fmt.Errorf("answers: %w", err)
	}
	if j.Retry {
		status, body, _, err = d.post("/s/answers", "application/json", j.Body, true)
		if err == nil && (status != http.StatusOK || !strings.Contains(body, `"duplicate":true`)) {
			err = fmt.Errorf("double click: HTTP %d %.120q", status, body)
		}
	}
	return code, answers, true, err
}

// drive runs jobs through clients concurrent devices and measures them.
func drive(base string, jobs []job, clients, perConn int) *phase {
	queue := make(chan job, len(jobs))
	for _, j := range jobs {
		queue <- j
	}
	close(queue)
	p := &phase{Answers: make([]time.Duration, 0, len(jobs)), Codes: make([]time.Duration, 0, len(jobs))}
	var mu sync.Mutex
	var wg sync.WaitGroup
	cpu := startCPU()
	start := time.Now()
	for range clients {
		wg.Go(func() {
			d := newDevice(base, perConn)
			defer d.tr.CloseIdleConnections()
			var codes, answers []time.Duration
			var done, retries, errs int
			var samples []string
			for j := range queue {
				c, a, recorded, err := d.sit(j)
				if err != nil {
					errs++
					if len(samples) < 3 {
						samples = append(samples, err.Error())
					}
					d.served = d.perConn // go on from a fresh connection
				}
				if recorded {
					codes, answers, done = append(codes, c), append(answers, a), done+1
				}
				if recorded && j.Retry {
					retries++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			p.Codes, p.Answers = append(p.Codes, codes...), append(p.Answers, answers...)
			p.Submissions, p.Retries, p.Errors = p.Submissions+done, p.Retries+retries, p.Errors+errs
			p.Samples = append(p.Samples, samples[:min(len(samples), 3-min(3, len(p.Samples)))]...)
		})
	}
	wg.Wait()
	p.Wall = time.Since(start)
	p.CPU = cpu.stop()
	return p
}
