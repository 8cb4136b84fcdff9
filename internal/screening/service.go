package screening

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"github.com/careloop/careloop/internal/seal"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/screening/instrument"
)

// Service runs campaigns and takes responses.
type Service struct {
	DB      *db.DB
	Audit   *audit.Log
	Seal    seal.Sealer
	Catalog *instrument.Catalog // the instruments careloop ships
	Now     func() time.Time
	// OnScreened, when set, runs in the transaction of every submission and
	// of every draft that first gives a critical answer (early warning).
	OnScreened ScreenedHandler

	mu        sync.RWMutex
	imported  map[string]*instrument.Instrument // imported definitions, by id
	campaigns sync.Map                          // id -> *Campaign; campaigns do not change once created
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) audited(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action, objType string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: objType, ObjectID: strconv.FormatInt(id, 10), Outcome: audit.Success, Detail: detail})
}

// codeAlphabet has no 0/O, 1/I/L, so a code read off paper is typed right.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// newCode returns a 12-character access code (about 59 bits), printed as
// three groups of four separated by dashes.
func newCode() string {
	var b strings.Builder
	var one [1]byte
	for n := 0; n < 12; {
		if _, err := rand.Read(one[:]); err != nil {
			panic(err)
		}
		if int(one[0]) >= 256-256%len(codeAlphabet) {
			continue
		}
		if n == 4 || n == 8 {
			b.WriteByte('-')
		}
		b.WriteByte(codeAlphabet[int(one[0])%len(codeAlphabet)])
		n++
	}
	return b.String()
}

// NormalizeCode upper-cases a typed code and removes spaces and dashes.
func NormalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r == '-' || r == ' ':
			return -1
		}
		return r
	}, code)
}

func hashCode(code string) string {
	h := sha256.Sum256([]byte("careloop-access-code:" + NormalizeCode(code)))
	return hex.EncodeToString(h[:])
}

func codeAAD(campaignID, studentID int64) string {
	return "campaign_students:" + strconv.FormatInt(campaignID, 10) + ":" + strconv.FormatInt(studentID, 10) + ":code"
}

// CreateCampaign validates and creates a campaign, and invites every active
// student its targets select, each with a one-time access code.
func (s *Service) CreateCampaign(ctx context.Context, p access.Principal, n NewCampaign) (int64, error) {
	n.Name = strings.TrimSpace(n.Name)
	problems := map[string]string{}
	if n.Name == "" || len([]rune(n.Name)) > 100 {
		problems["name"] = "campaign.name_required"
	}
	if len(n.Instruments) == 0 {
		problems["instruments"] = "campaign.instruments_required"
	}
	for _, id := range n.Instruments {
		if inst, ok := s.Instrument(id); !ok || !Administrable(inst) {
			problems["instruments"] = "campaign.instrument_unknown"
		}
	}
	if n.StartsAt.IsZero() || !n.EndsAt.After(n.StartsAt) {
		problems["ends_at"] = "campaign.window_order"
	}
	if !oneOf(n.ConsentRule, ConsentRules) {
		problems["consent_rule"] = "campaign.consent_rule_unknown"
	}
	if len(n.Targets) == 0 {
		problems["targets"] = "campaign.targets_required"
	}
	if len(problems) > 0 {
		return 0, apperr.Invalid("error.invalid", problems)
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ? AND active = 1`, n.OrgUnitID).Scan(&path); err != nil {
			return err
		}
		m, ok := p.At(access.RecordWrite, path)
		if !ok {
			return apperr.NotFound()
		}
		for _, t := range n.Targets {
			var tpath, kind string
			err := tx.QueryRow(ctx, `SELECT path, kind FROM org_units WHERE id = ? AND active = 1`, t.SchoolID).Scan(&tpath, &kind)
			if err != nil || kind != "school" || !strings.HasPrefix(tpath, path) {
				return apperr.Invalid("error.invalid", map[string]string{"targets": "campaign.target_outside"})
			}
		}
		now := db.Micro(s.now())
		var err error
		id, err = tx.InsertID(ctx, `INSERT INTO campaigns (org_unit_id, name, instruments, starts_at, ends_at, consent_rule,
			consent_text, status, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)`, n.OrgUnitID, n.Name,
			joinIDs(n.Instruments), db.Micro(n.StartsAt), db.Micro(n.EndsAt), n.ConsentRule, n.ConsentText, p.UserID, now)
		if err != nil {
			return err
		}
		for _, t := range n.Targets {
			if _, err := tx.Exec(ctx, `INSERT INTO campaign_targets (campaign_id, school_id, grade, class_name) VALUES (?, ?, ?, ?)`,
				id, t.SchoolID, t.Grade, strings.TrimSpace(t.ClassName)); err != nil {
				return err
			}
		}
		invited, err := s.invite(ctx, tx, id)
		if err != nil {
			return err
		}
		return s.audited(ctx, tx, p, m, "campaign.create", "campaign", id, "invited="+strconv.Itoa(invited))
	})
	return id, err
}

// invite adds every active student the campaign's targets select and who is
// not yet invited, with a fresh access code.
func (s *Service) invite(ctx context.Context, tx *db.Tx, campaignID int64) (int, error) {
	rows, err := tx.Query(ctx, `SELECT DISTINCT st.id FROM students st JOIN campaign_targets t ON t.school_id = st.school_id
		WHERE t.campaign_id = ? AND st.status = 'active' AND (t.grade = 0 OR t.grade = st.grade)
		AND (t.class_name = '' OR t.class_name = st.class_name)
		AND NOT EXISTS (SELECT 1 FROM campaign_students cs WHERE cs.campaign_id = ? AND cs.student_id = st.id)`, campaignID, campaignID)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, apperr.Internal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, apperr.Internal(err)
	}
	for _, sid := range ids {
		code := newCode()
		sealed, err := s.Seal.Seal([]byte(code), codeAAD(campaignID, sid))
		if err != nil {
			return 0, apperr.Internal(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO campaign_students (campaign_id, student_id, code_hash, code_sealed) VALUES (?, ?, ?, ?)`,
			campaignID, sid, hashCode(code), sealed); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

func oneOf(v string, list []string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
