package screening

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/screening/instrument"
	"github.com/careloop/careloop/internal/student"
)

// respondentLifetime bounds one sitting of a questionnaire.
const respondentLifetime = 3 * time.Hour

// Answers are a respondent's answers: instrument id → item id → value.
type Answers map[string]map[string]int

// Sitting is what the questionnaire page needs: the campaign, the battery
// that suits this student, and the answers saved so far. It carries the
// student's given name only, to greet them.
type Sitting struct {
	CampaignID   int64
	StudentID    int64
	CampaignName string
	GivenName    string
	Battery      []*instrument.Instrument
	Draft        Answers
	Completed    bool
	StartedAt    time.Time // when the student first opened the questionnaire
	Attempt      int       // 1, or more after a re-screening was offered
}

func respondentHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// OpenWithCode checks a one-time access code and starts a sitting. A used,
// unknown or expired code, or a student who may not be screened, gives the
// same EUnauthorized answer. Callers rate-limit attempts.
func (s *Service) OpenWithCode(ctx context.Context, code string) (string, error) {
	// Find the code and check the student on the reader pool; the single
	// writer only marks the code used, if it still is unused: the update's
	// condition keeps it single-use, and every later request of the sitting
	// checks eligibility (consent) again.
	h := hashCode(code)
	var campaignID, studentID int64
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var used int64
		err := tx.QueryRow(ctx, `SELECT campaign_id, student_id, code_used_at FROM campaign_students WHERE code_hash = ?`,
			h).Scan(&campaignID, &studentID, &used)
		if apperr.CodeOf(err) == apperr.ENotFound || (err == nil && used != 0) {
			return apperr.New(apperr.EUnauthorized, "respondent.code_invalid")
		}
		if err != nil {
			return err
		}
		return s.checkSitting(ctx, tx, campaignID, studentID)
	})
	if err != nil {
		return "", err
	}
	var token string
	err = s.DB.TxGrouped(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		token, err = s.startSitting(ctx, tx, campaignID, studentID, h)
		return err
	})
	return token, err
}

// OpenWithNumber starts a sitting from a class link: the student number and
// birth date must match a student invited to the campaign.
func (s *Service) OpenWithNumber(ctx context.Context, campaignID int64, studentNo, birthDate string) (string, error) {
	date, ok := student.ParseDate(birthDate)
	if !ok {
		return "", apperr.New(apperr.EUnauthorized, "respondent.number_invalid")
	}
	var token string
	err := s.DB.TxGrouped(ctx, func(ctx context.Context, tx *db.Tx) error {
		var studentID int64
		err := tx.QueryRow(ctx, `SELECT st.id FROM students st JOIN campaign_students cs ON cs.student_id = st.id
			WHERE cs.campaign_id = ? AND st.student_no = ? AND st.birth_date = ?`, campaignID, strings.TrimSpace(studentNo), date).Scan(&studentID)
		if apperr.CodeOf(err) == apperr.ENotFound {
			return apperr.New(apperr.EUnauthorized, "respondent.number_invalid")
		}
		if err != nil {
			return err
		}
		token, err = s.openSitting(ctx, tx, campaignID, studentID)
		return err
	})
	return token, err
}

// openSitting checks that the campaign is open and the student may be
// screened, and starts the sitting.
func (s *Service) openSitting(ctx context.Context, tx *db.Tx, campaignID, studentID int64) (string, error) {
	if err := s.checkSitting(ctx, tx, campaignID, studentID); err != nil {
		return "", err
	}
	return s.startSitting(ctx, tx, campaignID, studentID, "")
}

// checkSitting checks that the campaign is open and the student may be
// screened in it.
func (s *Service) checkSitting(ctx context.Context, tx *db.Tx, campaignID, studentID int64) error {
	c, err := s.campaign(ctx, tx, campaignID)
	if err != nil {
		return err
	}
	if !c.Open(s.now()) {
		return apperr.New(apperr.EUnauthorized, "respondent.campaign_closed")
	}
	var birth, decision string
	if err := tx.QueryRow(ctx, `SELECT st.birth_date, COALESCE((SELECT k.decision FROM consents k WHERE k.campaign_id = ?
		AND k.student_id = ? ORDER BY k.at DESC, k.id DESC LIMIT 1), '') FROM students st JOIN campaign_students cs
		ON cs.student_id = st.id AND cs.campaign_id = ? WHERE st.id = ?`, campaignID, studentID, campaignID, studentID).Scan(&birth, &decision); err != nil {
		return err
	}
	if s.exclusion(c, birth, decision) != "" {
		return apperr.New(apperr.EUnauthorized, "respondent.not_eligible")
	}
	return nil
}

// startSitting marks the sitting started (if the student was only invited)
// and, given the hash of the access code used, that code used, in one
// update; a code used meanwhile (or replaced) is refused. It returns the
// respondent token.
func (s *Service) startSitting(ctx context.Context, tx *db.Tx, campaignID, studentID int64, codeHash string) (string, error) {
	now := s.now()
	q := `UPDATE campaign_students SET state = CASE WHEN state = ? THEN ? ELSE state END,
		started_at = CASE WHEN state = ? THEN ? ELSE started_at END`
	args := []any{Invited, Started, Invited, db.Micro(now)}
	if codeHash != "" {
		q += `, code_used_at = ?`
		args = append(args, db.Micro(now))
	}
	q += ` WHERE campaign_id = ? AND student_id = ?`
	args = append(args, campaignID, studentID)
	if codeHash != "" {
		q += ` AND code_hash = ? AND code_used_at = 0`
		args = append(args, codeHash)
	}
	res, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return "", err
	}
	if n, err := res.RowsAffected(); err != nil {
		return "", err
	} else if n == 0 {
		return "", apperr.New(apperr.EUnauthorized, "respondent.code_invalid")
	}
	token, err := s.sealToken(campaignID, studentID, now.Add(respondentLifetime))
	if err != nil {
		return "", apperr.Internal(err)
	}
	return token, s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "respondent", Action: "screening.open", ObjectType: "student",
		ObjectID: itoa(studentID), Outcome: audit.Success, Detail: "campaign=" + itoa(campaignID)})
}

// Respondent tokens are sealed and self-contained: "rs_" and the campaign,
// the student and the expiry, sealed (authenticated encryption) with the
// key ring under respondentTokenAAD, so that opening a sitting writes no
// session row and every request reads none. Nothing ever changed a session
// row once written; eligibility (the sitting's state, consent) is read
// again on every request, as before. Tokens of the earlier form ("r_", a
// random value whose hash is a respondent_sessions row) are still honoured
// until they expire.
const respondentTokenAAD = "respondent_token"

func (s *Service) sealToken(campaignID, studentID int64, expires time.Time) (string, error) {
	payload := itoa(campaignID) + ":" + itoa(studentID) + ":" + strconv.FormatInt(db.Micro(expires), 10)
	sealed, err := s.Seal.Seal([]byte(payload), respondentTokenAAD)
	if err != nil {
		return "", err
	}
	return "rs_" + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// openToken returns what a sealed token names; ok is false for a token that
// is not one, or was altered.
func (s *Service) openToken(token string) (campaignID, studentID, expires int64, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(token, "rs_"))
	if err != nil {
		return 0, 0, 0, false
	}
	plain, err := s.Seal.Open(raw, respondentTokenAAD)
	if err != nil {
		return 0, 0, 0, false
	}
	parts := strings.Split(string(plain), ":")
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	var errs [3]error
	campaignID, errs[0] = strconv.ParseInt(parts[0], 10, 64)
	studentID, errs[1] = strconv.ParseInt(parts[1], 10, 64)
	expires, errs[2] = strconv.ParseInt(parts[2], 10, 64)
	return campaignID, studentID, expires, errs[0] == nil && errs[1] == nil && errs[2] == nil
}

// sitting resolves a respondent token inside tx.
func (s *Service) sitting(ctx context.Context, tx *db.Tx, token string) (*Sitting, *Campaign, error) {
	var campaignID, studentID, expires int64
	var err error
	if strings.HasPrefix(token, "rs_") {
		var ok bool
		if campaignID, studentID, expires, ok = s.openToken(token); !ok {
			err = apperr.NotFound()
		}
	} else {
		err = tx.QueryRow(ctx, `SELECT campaign_id, student_id, expires_at FROM respondent_sessions WHERE token_hash = ?`,
			respondentHash(token)).Scan(&campaignID, &studentID, &expires)
	}
	if err != nil || db.Micro(s.now()) >= expires {
		return nil, nil, apperr.New(apperr.EUnauthorized, "respondent.session_expired")
	}
	c, err := s.campaign(ctx, tx, campaignID)
	if err != nil {
		return nil, nil, err
	}
	var name, birth, state, decision string
	var started int64
	var attempt int
	if err := tx.QueryRow(ctx, `SELECT st.name, st.birth_date, cs.state, cs.started_at, cs.attempt, COALESCE((SELECT k.decision FROM consents k
		WHERE k.campaign_id = cs.campaign_id AND k.student_id = cs.student_id ORDER BY k.at DESC, k.id DESC LIMIT 1), '')
		FROM students st JOIN campaign_students cs ON cs.student_id = st.id AND cs.campaign_id = ? WHERE st.id = ?`,
		campaignID, studentID).Scan(&name, &birth, &state, &started, &attempt, &decision); err != nil {
		return nil, nil, err
	}
	if state != Completed && s.exclusion(c, birth, decision) != "" {
		// consent withdrawn (or refused) while the child was answering
		return nil, nil, apperr.New(apperr.EUnauthorized, "respondent.not_eligible")
	}
	st := &Sitting{CampaignID: campaignID, StudentID: studentID, CampaignName: c.Name, GivenName: givenName(name),
		Battery: s.battery(c.Instruments, student.AgeOn(birth, c.StartsAt)), Draft: Answers{}, Completed: state == Completed,
		StartedAt: db.FromMicro(started), Attempt: attempt}
	var sealed []byte
	err = tx.QueryRow(ctx, `SELECT answers FROM response_drafts WHERE campaign_id = ? AND student_id = ?`, campaignID, studentID).Scan(&sealed)
	if err == nil {
		plain, err := s.Seal.Open(sealed, draftAAD(campaignID, studentID))
		if err != nil {
			return nil, nil, apperr.Internal(err)
		}
		if err := json.Unmarshal(plain, &st.Draft); err != nil {
			return nil, nil, apperr.Internal(err)
		}
	} else if apperr.CodeOf(err) != apperr.ENotFound {
		return nil, nil, err
	}
	return st, c, nil
}

// Sitting returns the sitting of a respondent token.
func (s *Service) Sitting(ctx context.Context, token string) (*Sitting, error) {
	var out *Sitting
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		out, _, err = s.sitting(ctx, tx, token)
		return err
	})
	return out, err
}

// givenName drops a Chinese surname (the first character) to greet a child.
func givenName(name string) string {
	r := []rune(strings.TrimSpace(name))
	if len(r) >= 2 && r[0] > 0x2E80 {
		return string(r[1:])
	}
	return string(r)
}

func draftAAD(campaignID, studentID int64) string {
	return "response_drafts:" + itoa(campaignID) + ":" + itoa(studentID) + ":answers"
}
