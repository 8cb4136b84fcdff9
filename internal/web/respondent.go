package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/httpx"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/screening/instrument"
)

// RespondentCookie holds a student's questionnaire sitting (no account).
const RespondentCookie = "careloop_respondent"

// itemsPerPage keeps each questionnaire page short for children.
const itemsPerPage = 4

// qPage is one page of a questionnaire: a few items of one instrument.
type qPage struct {
	Inst         *instrument.Instrument
	Items        []*instrument.Item
	Instructions bool // the first page of an instrument shows its stem
}

// pagesOf splits the battery into short pages, asking only the items the
// skip logic enables given the answers so far.
func pagesOf(st *screening.Sitting) []qPage {
	var out []qPage
	for _, inst := range st.Battery {
		first := true
		var cur []*instrument.Item
		for i := range inst.Items {
			it := &inst.Items[i]
			if !it.Enabled(st.Draft[inst.ID]) {
				continue
			}
			cur = append(cur, it)
			if len(cur) == itemsPerPage {
				out = append(out, qPage{Inst: inst, Items: cur, Instructions: first})
				cur, first = nil, false
			}
		}
		if len(cur) > 0 {
			out = append(out, qPage{Inst: inst, Items: cur, Instructions: first})
		}
	}
	return out
}

type sittingView struct {
	Sitting  *screening.Sitting
	Page     qPage
	Index    int // 1-based
	Count    int
	Percent  int
	Key      string // idempotency key of the submit form
	Missing  int
	Campaign int64
	Code     string
}

func (s *Server) respondentToken(r *http.Request) string {
	c, err := r.Cookie(RespondentCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

func (s *Server) setRespondent(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: RespondentCookie, Value: token, Path: "/s", HttpOnly: true,
		Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (s *Server) childPage(w http.ResponseWriter, r *http.Request, status int, name string, pg page) {
	pg.Child = true
	s.render(w, r, status, name, pg)
}

// codeForm is where a student types the code from their slip (or arrives
// from its QR code with the code filled in).
func (s *Server) codeForm(w http.ResponseWriter, r *http.Request) {
	s.childPage(w, r, http.StatusOK, "respondent_code", page{Title: "respondent.title", Data: sittingView{Code: r.URL.Query().Get("code")}})
}

func (s *Server) openCode(w http.ResponseWriter, r *http.Request) {
	// Only wrong codes count against the address: a class behind one school
	// address typing valid codes is never slowed down.
	if s.signinIP.Blocked("code:" + clientKey(r)) {
		s.childPage(w, r, http.StatusTooManyRequests, "respondent_code", page{Title: "respondent.title", Error: "signin.too_many", Data: sittingView{}})
		return
	}
	token, err := s.Screening.OpenWithCode(r.Context(), r.PostFormValue("code"))
	if err != nil {
		s.signinIP.Fail("code:" + clientKey(r))
		s.respondentError(w, r, err, "respondent_code", sittingView{Code: r.PostFormValue("code")})
		return
	}
	s.setRespondent(w, token)
	http.Redirect(w, r, "/s/q", http.StatusSeeOther)
}

// numberForm is a class link: student number and birth date.
func (s *Server) numberForm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	s.childPage(w, r, http.StatusOK, "respondent_number", page{Title: "respondent.title", Data: sittingView{Campaign: id}})
}

func (s *Server) openNumber(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if s.signinIP.Blocked("number:" + clientKey(r)) {
		s.childPage(w, r, http.StatusTooManyRequests, "respondent_number", page{Title: "respondent.title", Error: "signin.too_many", Data: sittingView{Campaign: id}})
		return
	}
	token, err := s.Screening.OpenWithNumber(r.Context(), id, r.PostFormValue("student_no"), r.PostFormValue("birth_date"))
	if err != nil {
		s.signinIP.Fail("number:" + clientKey(r))
		s.respondentError(w, r, err, "respondent_number", sittingView{Campaign: id})
		return
	}
	s.setRespondent(w, token)
	http.Redirect(w, r, "/s/q", http.StatusSeeOther)
}

func (s *Server) respondentError(w http.ResponseWriter, r *http.Request, err error, name string, v sittingView) {
	if apperr.CodeOf(err) == apperr.EInternal {
		s.serverError(w, r, err)
		return
	}
	s.childPage(w, r, http.StatusUnauthorized, name, page{Title: "respondent.title", Error: apperr.MessageOf(err), Data: v})
}

// sittingOf loads the sitting of the request, or sends the child back to
// the code page.
func (s *Server) sittingOf(w http.ResponseWriter, r *http.Request) *screening.Sitting {
	st, err := s.Screening.Sitting(r.Context(), s.respondentToken(r))
	if err != nil {
		if apperr.CodeOf(err) == apperr.EInternal {
			s.serverError(w, r, err)
			return nil
		}
		s.childPage(w, r, http.StatusUnauthorized, "respondent_code", page{Title: "respondent.title", Error: apperr.MessageOf(err), Data: sittingView{}})
		return nil
	}
	if st.Completed {
		http.Redirect(w, r, "/s/thanks", http.StatusSeeOther)
		return nil
	}
	return st
}

// question shows one page; p=N picks it, else the first page with an
// unanswered item (so a child who comes back resumes where they stopped).
func (s *Server) question(w http.ResponseWriter, r *http.Request) {
	st := s.sittingOf(w, r)
	if st == nil {
		return
	}
	pages := pagesOf(st)
	n, err := strconv.Atoi(r.URL.Query().Get("p"))
	if err != nil || n < 1 || n > len(pages) {
		n = resumePage(st, pages)
	}
	if n > len(pages) {
		http.Redirect(w, r, "/s/review", http.StatusSeeOther)
		return
	}
	s.childPage(w, r, http.StatusOK, "questionnaire", page{Title: "respondent.title",
		Data: sittingView{Sitting: st, Page: pages[n-1], Index: n, Count: len(pages), Percent: (n - 1) * 100 / len(pages)}})
}

func resumePage(st *screening.Sitting, pages []qPage) int {
	for i, pg := range pages {
		for _, it := range pg.Items {
			if _, ok := st.Draft[pg.Inst.ID][it.ID]; !ok && !it.Unscored {
				return i + 1
			}
		}
	}
	return len(pages) + 1
}

// saveAnswers stores the answers of one page and moves on (or back).
func (s *Server) saveAnswers(w http.ResponseWriter, r *http.Request) {
	token := s.respondentToken(r)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "error.invalid")
		return
	}
	a := screening.Answers{}
	for k, vs := range r.PostForm {
		parts := strings.SplitN(k, ":", 3)
		if len(parts) != 3 || parts[0] != "a" || len(vs) == 0 {
			continue
		}
		v, err := strconv.Atoi(vs[0])
		if err != nil {
			continue
		}
		if a[parts[1]] == nil {
			a[parts[1]] = map[string]int{}
		}
		a[parts[1]][parts[2]] = v
	}
	if err := s.Screening.SaveDraft(r.Context(), token, a); err != nil {
		s.respondentError(w, r, err, "respondent_code", sittingView{})
		return
	}
	n, _ := strconv.Atoi(r.PostFormValue("p"))
	if r.PostFormValue("go") == "back" && n > 1 {
		http.Redirect(w, r, "/s/q?p="+strconv.Itoa(n-1), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/s/q?p="+strconv.Itoa(n+1), http.StatusSeeOther)
}

// review lists what is still unanswered and offers the submit button, with
// a fresh idempotency key: a double click or a retry sends the same key.
func (s *Server) review(w http.ResponseWriter, r *http.Request) {
	st := s.sittingOf(w, r)
	if st == nil {
		return
	}
	pages := pagesOf(st)
	missing := 0
	for _, pg := range pages {
		for _, it := range pg.Items {
			if _, ok := st.Draft[pg.Inst.ID][it.ID]; !ok && !it.Unscored {
				missing++
			}
		}
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	s.childPage(w, r, http.StatusOK, "review", page{Title: "respondent.title",
		Data: sittingView{Sitting: st, Count: len(pages), Missing: missing, Key: hex.EncodeToString(b[:]), Percent: 100}})
}

func (s *Server) submitAnswers(w http.ResponseWriter, r *http.Request) {
	_, err := s.Screening.Submit(r.Context(), s.respondentToken(r), screening.Submission{IdempotencyKey: r.PostFormValue("key")})
	switch apperr.CodeOf(err) {
	case "", apperr.EConflict:
		http.Redirect(w, r, "/s/thanks", http.StatusSeeOther)
	case apperr.EInvalid:
		http.Redirect(w, r, "/s/q", http.StatusSeeOther) // back to the first unanswered page
	default:
		s.respondentError(w, r, err, "respondent_code", sittingView{})
	}
}

// thanks is the warm ending: no score, and where to find help.
func (s *Server) thanks(w http.ResponseWriter, r *http.Request) {
	s.childPage(w, r, http.StatusOK, "thanks", page{Title: "respondent.title"})
}

// submitJSON takes a whole questionnaire in one request, for clients that
// collect answers themselves (a kiosk, or a page with script): the same
// sitting cookie, the same idempotency rule and the same transaction as the
// page-by-page form. Body: {"idempotency_key": "...", "answers": {"phq-a": {"1": 0, ...}}}.
func (s *Server) submitJSON(w http.ResponseWriter, r *http.Request) {
	var in struct {
		IdempotencyKey string            `json:"idempotency_key"`
		Answers        screening.Answers `json:"answers"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	if err := dec.Decode(&in); err != nil {
		writeJSONStatus(w, http.StatusUnprocessableEntity, map[string]string{"error": "invalid"})
		return
	}
	out, err := s.Screening.Submit(r.Context(), s.respondentToken(r), screening.Submission{IdempotencyKey: in.IdempotencyKey, Answers: in.Answers})
	switch apperr.CodeOf(err) {
	case "":
		// The child's client learns only that the answers are safe, never a score.
		writeJSONStatus(w, http.StatusOK, map[string]any{"status": "recorded", "duplicate": out.Duplicate})
	case apperr.EInternal:
		s.Log.Error("submit", "err", err, "request_id", httpx.RequestID(r.Context()))
		writeJSONStatus(w, http.StatusInternalServerError, map[string]string{"error": "internal"})
	default:
		writeJSONStatus(w, httpx.Status(err), map[string]any{"error": apperr.CodeOf(err), "key": apperr.MessageOf(err),
			"fields": apperr.FieldsOf(err)})
	}
}

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
