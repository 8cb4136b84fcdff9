package web_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestMetricsLabelEveryRouteByPattern checks the whole server's /metrics:
// each request is counted under the pattern of the route that served it,
// for pages as for the API, and no label holds a raw id from a URL.
func TestMetricsLabelEveryRouteByPattern(t *testing.T) {
	inst := start(t)
	c := newClient(t, inst.URL)
	for _, p := range []string{"/login", "/orgs/987654", "/api/v1/orgs/876543", "/api/v1/openapi.json", "/no/such/765432"} {
		c.get(p)
	}
	_, body := c.get("/metrics")
	series := regexp.MustCompile(`(?m)^careloop_http_requests_total\{(.*)\} \S+$`).FindAllStringSubmatch(body, -1)
	if len(series) == 0 {
		t.Fatalf("no careloop_http_requests_total series in /metrics")
	}
	var all []string
	for _, s := range series {
		all = append(all, s[1])
		for _, id := range []string{"987654", "876543", "765432"} {
			if strings.Contains(s[1], id) {
				t.Errorf("label holds a raw id: %s", s[1])
			}
		}
	}
	joined := strings.Join(all, "\n")
	for _, want := range []string{
		`method="GET",route="GET /api/v1/orgs/{id}",status="401"`,
		`method="GET",route="GET /api/v1/openapi.json",status="200"`,
		`method="GET",route="GET /login",status="200"`,
		`method="GET",route="GET /orgs/{id}",status="303"`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("no series {%s}; series are:\n%s", want, joined)
		}
	}
}
