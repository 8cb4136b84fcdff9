package screening_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/screening"
)

const codeInvalid = "respondent.code_invalid"

func TestNormalizeCode(t *testing.T) {
	for in, want := range map[string]string{"abcd-efgh-jkmn": "ABCDEFGHJKMN", " AbCd efGH-jk mn ": "ABCDEFGHJKMN",
		"ABCDEFGHJKMN": "ABCDEFGHJKMN", "": ""} {
		if got := screening.NormalizeCode(in); got != want {
			t.Errorf("NormalizeCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCodesAreSingleUseAndForgiving(t *testing.T) {
	e := newEnv(t)
	e.seed(kid("A0001", "一号", e.a, 7, "1班", age13), kid("A0002", "二号", e.a, 7, "1班", age13))
	cid := e.create(e.coordX, campaign(e.x, screening.ConsentNone, screening.Target{SchoolID: e.a.ID}))
	codes := e.codes(cid, e.a)
	if len(codes) != 2 {
		t.Fatalf("slips %v, want two", codes)
	}
	typed := strings.ToLower(strings.ReplaceAll(codes["一号"], "-", " "))
	token, err := e.svc.OpenWithCode(e.ctx, typed)
	if err != nil || !strings.HasPrefix(token, "rs_") {
		t.Fatalf("OpenWithCode(%q) = %q, %v", typed, token, err)
	}
	if st, err := e.svc.Sitting(e.ctx, token); err != nil || st.CampaignID != cid || st.GivenName != "号" {
		t.Errorf("Sitting = %+v, %v", st, err)
	}
	_, err = e.svc.OpenWithCode(e.ctx, codes["一号"])
	wantMessage(t, "second use of a code", err, apperr.EUnauthorized, codeInvalid)
	_, err = e.svc.OpenWithCode(e.ctx, "AAAA-BBBB-CCCC")
	wantMessage(t, "unknown code", err, apperr.EUnauthorized, codeInvalid)
	_, err = e.svc.OpenWithCode(e.ctx, "")
	wantMessage(t, "empty code", err, apperr.EUnauthorized, codeInvalid)

	// Slips list unused codes only, and every read is audited.
	before := e.audits("campaign.slips", id(cid))
	slips, err := e.svc.Slips(e.ctx, e.counsellorA, cid, e.a.ID)
	if err != nil || len(slips) != 1 || slips[0].StudentName != "二号" || slips[0].Code != codes["二号"] || slips[0].Excluded != "" {
		t.Errorf("Slips after one code was used = %+v, %v", slips, err)
	}
	if n := e.audits("campaign.slips", id(cid)); n != before+1 {
		t.Errorf("campaign.slips entries %d -> %d, want one more", before, n)
	}
	if actor := e.count(`SELECT actor_user_id FROM audit_log WHERE action = 'campaign.slips' ORDER BY seq DESC LIMIT 1`); int64(actor) != e.counsellorA.UserID {
		t.Errorf("slips audited as user %d, want %d", actor, e.counsellorA.UserID)
	}
	_, err = e.svc.Slips(e.ctx, e.counsellorB, cid, e.a.ID)
	wantCode(t, "slips of school A by school B's counsellor", err, apperr.ENotFound)
	_, err = e.svc.Slips(e.ctx, e.teacherA, cid, e.a.ID)
	wantCode(t, "slips by a head teacher", err, apperr.ENotFound)
	if n := e.audits("campaign.slips", id(cid)); n != before+1 {
		t.Errorf("refused slip reads were audited as successes: %d entries", n)
	}
}

func TestCodesWorkOnlyInsideTheWindow(t *testing.T) {
	e := newEnv(t)
	e.seed(kid("A0001", "一号", e.a, 7, "1班", age13))
	n := campaign(e.x, screening.ConsentNone, screening.Target{SchoolID: e.a.ID})
	cid := e.create(e.coordX, n)
	code := e.codes(cid, e.a)["一号"]
	for _, at := range []time.Time{n.StartsAt.Add(-time.Second), n.EndsAt, n.EndsAt.Add(30 * 24 * time.Hour)} {
		e.clk.Set(at)
		_, err := e.svc.OpenWithCode(e.ctx, code)
		wantMessage(t, "code at "+at.String(), err, apperr.EUnauthorized, "respondent.campaign_closed")
		_, err = e.svc.OpenWithNumber(e.ctx, cid, "A0001", age13)
		wantMessage(t, "number at "+at.String(), err, apperr.EUnauthorized, "respondent.campaign_closed")
	}
	e.clk.Set(n.EndsAt.Add(-time.Second))
	token, err := e.svc.OpenWithCode(e.ctx, code)
	if err != nil {
		t.Fatalf("the code did not work inside the window after refusals outside it: %v", err)
	}
	// A sitting lasts three hours.
	e.clk.Set(n.EndsAt.Add(3*time.Hour + time.Second))
	_, err = e.svc.Sitting(e.ctx, token)
	wantMessage(t, "sitting after three hours", err, apperr.EUnauthorized, "respondent.session_expired")
	_, err = e.svc.Sitting(e.ctx, "r_forged")
	wantMessage(t, "forged token", err, apperr.EUnauthorized, "respondent.session_expired")
	_, err = e.svc.Sitting(e.ctx, "rs_forged")
	wantMessage(t, "forged sealed token", err, apperr.EUnauthorized, "respondent.session_expired")
}

// TestSealedTokenCannotBeAltered: a sealed respondent token with any byte
// changed opens no sitting; a token of the earlier form (a session row)
// still works until it expires.
func TestSealedTokenCannotBeAltered(t *testing.T) {
	e := newEnv(t)
	e.seed(kid("A0001", "一号", e.a, 7, "1班", age13))
	cid := e.create(e.coordX, campaign(e.x, screening.ConsentNone, screening.Target{SchoolID: e.a.ID}))
	token, err := e.svc.OpenWithCode(e.ctx, e.codes(cid, e.a)["一号"])
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.svc.Sitting(e.ctx, token)
	if err != nil || st.CampaignID != cid {
		t.Fatalf("Sitting = %+v, %v", st, err)
	}
	for i := len("rs_"); i < len(token)-1; i += 7 { // the last character may carry unused bits
		b := []byte(token)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		_, err := e.svc.Sitting(e.ctx, string(b))
		wantMessage(t, "altered token", err, apperr.EUnauthorized, "respondent.session_expired")
	}
	// a session row written before sealed tokens (token hash = SHA-256 hex)
	legacy := "r_legacy-token-value"
	sum := sha256.Sum256([]byte(legacy))
	now := e.clk.Now()
	if _, err := e.svc.DB.Exec(e.ctx, `INSERT INTO respondent_sessions (token_hash, campaign_id, student_id, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?)`, hex.EncodeToString(sum[:]), cid, st.StudentID, db.Micro(now), db.Micro(now.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.Sitting(e.ctx, legacy); err != nil || got.StudentID != st.StudentID {
		t.Fatalf("legacy token: %+v, %v", got, err)
	}
}

func TestOpenWithNumberChecksBirthDate(t *testing.T) {
	e := newEnv(t)
	e.seed(kid("A0001", "一号", e.a, 7, "1班", "2011-05-06"), kid("B0001", "二号", e.b, 7, "1班", "2011-05-06"))
	cid := e.create(e.coordX, campaign(e.x, screening.ConsentNone, screening.Target{SchoolID: e.a.ID}))
	tokens := map[string]bool{}
	for _, birth := range []string{"2011-05-06", "2011/5/6", " 20110506 ", "2011年5月6日"} {
		token, err := e.svc.OpenWithNumber(e.ctx, cid, " A0001 ", birth)
		if err != nil {
			t.Errorf("OpenWithNumber with birth date %q: %v", birth, err)
			continue
		}
		if tokens[token] {
			t.Errorf("token %q given twice", token)
		}
		tokens[token] = true
	}
	bad := []struct{ what, no, birth string }{
		{"wrong birth date", "A0001", "2011-05-07"}, {"wrong number", "A0002", "2011-05-06"},
		{"unreadable date", "A0001", "six May"}, {"empty", "", ""},
		{"student not invited", "B0001", "2011-05-06"},
	}
	for _, b := range bad {
		_, err := e.svc.OpenWithNumber(e.ctx, cid, b.no, b.birth)
		wantMessage(t, b.what, err, apperr.EUnauthorized, "respondent.number_invalid")
	}
	_, err := e.svc.OpenWithNumber(e.ctx, cid+1000, "A0001", "2011-05-06")
	wantCode(t, "unknown campaign", err, apperr.EUnauthorized)
	if n := e.audits("screening.open", ""); n != len(tokens) {
		t.Errorf("%d screening.open entries, want %d", n, len(tokens))
	}
}

func TestCodesAreStoredHashedAndSealed(t *testing.T) {
	e := newEnv(t)
	e.seed(kid("A0001", "一号", e.a, 7, "1班", age13), kid("A0002", "二号", e.a, 7, "1班", age13),
		kid("A0003", "三号", e.a, 8, "2班", age14))
	cid := e.create(e.coordX, campaign(e.x, screening.ConsentNone, screening.Target{SchoolID: e.a.ID}))
	codes := e.codes(cid, e.a)
	type stored struct {
		hash   string
		sealed []byte
	}
	var rows []stored
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		r, err := tx.Query(ctx, `SELECT code_hash, code_sealed FROM campaign_students WHERE campaign_id = ?`, cid)
		if err != nil {
			return err
		}
		defer r.Close()
		for r.Next() {
			var s stored
			if err := r.Scan(&s.hash, &s.sealed); err != nil {
				return err
			}
			rows = append(rows, s)
		}
		return r.Err()
	})
	if err != nil || len(rows) != 3 || len(codes) != 3 {
		t.Fatalf("stored %d rows, %d codes, %v", len(rows), len(codes), err)
	}
	for _, code := range codes {
		forms := []string{code, screening.NormalizeCode(code), strings.ToLower(code)}
		for _, s := range rows {
			for _, f := range forms {
				if strings.Contains(s.hash, f) || bytes.Contains(s.sealed, []byte(f)) {
					t.Errorf("code %s is readable in the stored row (hash %s)", code, s.hash)
				}
			}
		}
		if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE detail LIKE ?`, "%"+screening.NormalizeCode(code)[:8]+"%"); n != 0 {
			t.Errorf("code %s appears in %d audit details", code, n)
		}
	}
	// The hash still identifies the code: each code opens exactly its own student.
	token, err := e.svc.OpenWithCode(e.ctx, codes["三号"])
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.svc.Sitting(e.ctx, token)
	if err != nil || st.StudentID != int64(e.count(`SELECT id FROM students WHERE student_no = 'A0003'`)) {
		t.Errorf("code of 三号 opened %+v, %v", st, err)
	}
}
