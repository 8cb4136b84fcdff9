package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// leaks are fragments of Go, driver or engine errors that must never reach
// an API client.
var leaks = []string{"sql", "pq:", "sqlite", "pgx", "runtime", "goroutine", ".go:", "constraint", "SQLSTATE"}

// checkError asserts r is a well-formed error of status and code, with an
// English message that is not the bare key, and without internal text.
func checkError(t *testing.T, name string, r result, status int, code string) apiError {
	t.Helper()
	var e apiError
	if r.status != status {
		t.Errorf("%s: status %d, want %d (%s)", name, r.status, status, r.body)
		return e
	}
	r.decode(t, &e)
	if e.Error.Code != code || e.Error.Key == "" {
		t.Errorf("%s: code %q key %q, want code %q", name, e.Error.Code, e.Error.Key, code)
	}
	if e.Error.Message == "" || e.Error.Message == e.Error.Key {
		t.Errorf("%s: message %q is not the English text of key %q", name, e.Error.Message, e.Error.Key)
	}
	for _, l := range leaks {
		if strings.Contains(strings.ToLower(r.body), strings.ToLower(l)) {
			t.Errorf("%s: error body holds %q: %s", name, l, r.body)
		}
	}
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: Content-Type %q, Cache-Control %q", name, r.header.Get("Content-Type"), r.header.Get("Cache-Control"))
	}
	return e
}

func TestAPIAuthentication(t *testing.T) {
	inst := start(t)
	admin := newBrowser(t, inst.URL).signIn("admin")
	good := admin.token("good", "org.read")
	gone := admin.token("gone2", "org.read")
	admin.revoke("gone2")
	for _, tc := range []struct {
		name, authorization string
		status              int
	}{
		{"no header", "", 401},
		{"basic scheme", "Basic YWRtaW46eA==", 401},
		{"empty bearer", "Bearer ", 401},
		{"unknown token", "Bearer clt_0000000000000000000000000000", 401},
		{"session token as bearer", "Bearer s_notatoken", 401},
		{"revoked token", "Bearer " + gone, 401},
		{"valid token", "Bearer " + good, 200},
		{"scheme is case-insensitive (RFC 7235)", "bearer " + good, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.authorization != "" {
				hdr = []string{"Authorization", tc.authorization}
			}
			r := call(t, inst.URL, "GET", "/api/v1/me", "", "", hdr...)
			if tc.status == 200 {
				if r.status != 200 {
					t.Fatalf("status %d, want 200: %s", r.status, r.body)
				}
				return
			}
			e := checkError(t, tc.name, r, tc.status, "unauthorized")
			if e.Error.Key != "token.invalid" {
				t.Errorf("key %q, want token.invalid", e.Error.Key)
			}
			// RFC 7235 §3.1 and RFC 6750 §3: every 401 carries a challenge.
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer WWW-Authenticate challenge")
			}
		})
	}
}

func TestAPIPermissionsAndScope(t *testing.T) {
	inst := start(t)
	admin := newBrowser(t, inst.URL).signIn("admin")
	readOnly := admin.token("read-only", "org.read")
	full := admin.token("full", "org.read", "org.manage")
	coord := newBrowser(t, inst.URL).signIn("xuanwu.coord").token("coord", "org.read")

	// A token is limited to its permissions even for a system administrator.
	var me struct {
		Username    string   `json:"username"`
		Permissions []string `json:"permissions"`
	}
	call(t, inst.URL, "GET", "/api/v1/me", readOnly, "").decode(t, &me)
	if me.Username != "admin" || !slices.Equal(me.Permissions, []string{"org.read"}) {
		t.Errorf("me with an org.read token: %+v", me)
	}
	all := units(t, inst.URL, full, "")
	xuanwu, qinhuai := byNameEn(t, all, "Xuanwu District"), byNameEn(t, all, "Qinhuai District")
	body := fmt.Sprintf(`{"parent_id":%d,"kind":"school","name":"测试学校","name_en":"Test School"}`, xuanwu.ID)
	checkError(t, "POST with org.read token", call(t, inst.URL, "POST", "/api/v1/orgs", readOnly, body), 403, "forbidden")
	checkError(t, "PATCH with org.read token", call(t, inst.URL, "PATCH", fmt.Sprintf("/api/v1/orgs/%d", xuanwu.ID), readOnly, `{"name":"x"}`), 403, "forbidden")
	checkError(t, "roles without role.read", call(t, inst.URL, "GET", "/api/v1/roles", full, ""), 403, "forbidden")
	if n := len(units(t, inst.URL, full, "")); n != len(all) {
		t.Fatalf("a refused write changed the network: %d units, was %d", n, len(all))
	}

	// The district coordinator sees exactly the district's subtree.
	parent := map[int64]int64{}
	for _, u := range all {
		parent[u.ID] = u.ParentID
	}
	var want []int64
	for _, u := range all {
		for id := u.ID; id != 0; id = parent[id] {
			if id == xuanwu.ID {
				want = append(want, u.ID)
				break
			}
		}
	}
	var got []int64
	for _, u := range units(t, inst.URL, coord, "") {
		got = append(got, u.ID)
	}
	slices.Sort(want)
	slices.Sort(got)
	if len(want) < 4 || !slices.Equal(got, want) {
		t.Errorf("coordinator sees %v, want the Xuanwu subtree %v (of %d units)", got, want, len(all))
	}
	if r := call(t, inst.URL, "GET", fmt.Sprintf("/api/v1/orgs/%d", xuanwu.ID), coord, ""); r.status != 200 {
		t.Errorf("own district: %d", r.status)
	}
	for _, id := range []int64{qinhuai.ID, parent[xuanwu.ID], 999999} {
		e := checkError(t, fmt.Sprintf("unit %d outside scope", id), call(t, inst.URL, "GET", fmt.Sprintf("/api/v1/orgs/%d", id), coord, ""), 404, "not_found")
		if e.Error.Key != "error.not_found" {
			t.Errorf("outside scope: key %q", e.Error.Key)
		}
	}
	if us := units(t, inst.URL, coord, "?q=秦淮"); len(us) != 0 {
		t.Errorf("search reaches outside scope: %v", us)
	}
	if us := units(t, inst.URL, coord, fmt.Sprintf("?parent_id=%d", qinhuai.ID)); len(us) != 0 {
		t.Errorf("children outside scope: %v", us)
	}
}

func TestAPIWritesAndErrors(t *testing.T) {
	inst := start(t)
	admin := newBrowser(t, inst.URL).signIn("admin")
	full := admin.token("full", "org.read", "org.manage")
	all := units(t, inst.URL, full, "")
	xuanwu := byNameEn(t, all, "Xuanwu District")
	school := byNameEn(t, all, "Xuanwu No. 1 Middle School")
	path := fmt.Sprintf("/api/v1/orgs/%d", school.ID)

	r := call(t, inst.URL, "PATCH", path, full, `{"name":"玄武新名中学","name_en":"Xuanwu Renamed School"}`)
	var u unit
	if r.status != 200 {
		t.Fatalf("PATCH rename: %d %s", r.status, r.body)
	}
	r.decode(t, &u)
	if u.Name != "玄武新名中学" || u.NameEn != "Xuanwu Renamed School" || u.ID != school.ID {
		t.Errorf("PATCH returned %+v", u)
	}
	call(t, inst.URL, "GET", path, full, "").decode(t, &u)
	if u.Name != "玄武新名中学" {
		t.Errorf("GET after rename: %+v", u)
	}
	resp, page := admin.send("GET", fmt.Sprintf("/orgs/%d", school.ID), nil)
	if resp.StatusCode != 200 || !strings.Contains(page, "玄武第一中学 / Xuanwu No. 1 Middle School") ||
		!strings.Contains(page, "玄武新名中学 / Xuanwu Renamed School") {
		t.Errorf("the unit page's history does not show the rename (old and new names): %d", resp.StatusCode)
	}

	r = call(t, inst.URL, "POST", "/api/v1/orgs", full,
		fmt.Sprintf(`{"parent_id":%d,"kind":"school","name":"新建学校","name_en":"New School","code":"NS-1"}`, xuanwu.ID))
	if r.status != http.StatusCreated {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	r.decode(t, &u)
	if u.ID == 0 || u.ParentID != xuanwu.ID || u.Kind != "school" {
		t.Errorf("POST returned %+v", u)
	}
	created := u.ID

	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code, field              string
	}{
		{"truncated JSON", "PATCH", path, `{"name":`, 422, "invalid", ""},
		{"not JSON", "PATCH", path, `name=x`, 422, "invalid", ""},
		{"empty body", "POST", "/api/v1/orgs", ``, 422, "invalid", ""},
		{"unknown field", "PATCH", path, `{"nmae":"x"}`, 422, "invalid", "body"},
		{"wrong type", "PATCH", path, `{"name":5}`, 422, "invalid", "body"},
		{"empty name", "PATCH", path, `{"name":"  "}`, 422, "invalid", "name"},
		{"unknown kind", "POST", "/api/v1/orgs", fmt.Sprintf(`{"parent_id":%d,"kind":"castle","name":"x"}`, xuanwu.ID), 422, "invalid", "kind"},
		{"kind not allowed", "POST", "/api/v1/orgs", fmt.Sprintf(`{"parent_id":%d,"kind":"district","name":"x"}`, school.ID), 422, "invalid", "kind"},
		{"move into itself", "PATCH", fmt.Sprintf("/api/v1/orgs/%d", xuanwu.ID), fmt.Sprintf(`{"parent_id":%d}`, created), 422, "invalid", "parent"},
		{"move under missing unit", "PATCH", path, `{"parent_id":999999}`, 404, "not_found", ""},
		{"parent_id not a number", "GET", "/api/v1/orgs?parent_id=abc", "", 422, "invalid", "parent_id"},
		{"id not a number", "GET", "/api/v1/orgs/abc", "", 404, "not_found", ""},
		{"id overflows", "GET", "/api/v1/orgs/99999999999999999999", "", 404, "not_found", ""},
		{"missing unit", "PATCH", "/api/v1/orgs/999999", `{"name":"x"}`, 404, "not_found", ""},
		{"deactivate with children", "PATCH", fmt.Sprintf("/api/v1/orgs/%d", xuanwu.ID), `{"active":false}`, 422, "invalid", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := checkError(t, tc.name, call(t, inst.URL, tc.method, tc.path, full, tc.body), tc.status, tc.code)
			if tc.field != "" {
				if _, ok := e.Error.Fields[tc.field]; !ok {
					t.Errorf("no problem for field %q in %v", tc.field, e.Error.Fields)
				}
			}
		})
	}
	after := units(t, inst.URL, full, "")
	if len(after) != len(all)+1 {
		t.Errorf("units: %d, want %d (one created, no failed write applied)", len(after), len(all)+1)
	}
	raw, _ := json.Marshal(after)
	if strings.Contains(string(raw), `"name":"x"`) || strings.Contains(string(raw), `"name":"  "`) {
		t.Errorf("a refused write was applied: %s", raw)
	}
}
