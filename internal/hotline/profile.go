package hotline

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Identifier is how a contacter reached the station: a phone number, a
// WeChat or Weibo id, an e-mail address. It is hashed at once with a key
// the database does not hold, so that a leaked database does not give the
// numbers back (a phone number is easy to guess: a plain hash would not
// protect it).
type Identifier struct {
	Kind  string // phone, wechat, weibo, email
	Value string
}

// IdentifierKinds lists the kinds of identifier.
var IdentifierKinds = []string{"phone", "wechat", "weibo", "email"}

// Flags that a supervisor may set on a profile, each with an end date.
var Flags = []string{"blocked", "abusive", "high_risk", "known_to_services"}

// normalize makes one identifier one string: digits only for a phone
// number (a leading +86 or 0086 dropped), lower case otherwise.
func normalize(id Identifier) string {
	v := strings.TrimSpace(id.Value)
	if id.Kind == "phone" {
		v = strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) {
				return r
			}
			return -1
		}, v)
		v = strings.TrimPrefix(strings.TrimPrefix(v, "0086"), "86")
		return v
	}
	return strings.ToLower(v)
}

// keyHash is the stored form of an identifier.
func (s *Service) keyHash(id Identifier) (string, error) {
	if len(s.Pepper) < 16 {
		return "", apperr.Internal(errNoPepper)
	}
	if !slices.Contains(IdentifierKinds, id.Kind) || normalize(id) == "" {
		return "", apperr.Invalid("form.invalid", map[string]string{"identifier": "contact.bad_identifier"})
	}
	mac := hmac.New(sha256.New, s.Pepper)
	mac.Write([]byte(id.Kind + ":" + normalize(id)))
	return id.Kind + ":" + hex.EncodeToString(mac.Sum(nil)), nil
}

type pepperError struct{}

func (pepperError) Error() string { return "hotline: no identifier key" }

var errNoPepper = pepperError{}

// profile finds or creates the profile of an identifier.
func (s *Service) profile(ctx context.Context, tx *db.Tx, id Identifier) (int64, error) {
	h, err := s.keyHash(id)
	if err != nil {
		return 0, err
	}
	var pid int64
	err = tx.QueryRow(ctx, `SELECT id FROM contact_profiles WHERE key_hash = ?`, h).Scan(&pid)
	if apperr.CodeOf(err) != apperr.ENotFound {
		return pid, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO contact_profiles (key_hash, kind, created_at) VALUES (?, ?, ?) ON CONFLICT (key_hash) DO NOTHING`,
		h, id.Kind, db.Micro(s.now())); err != nil {
		return 0, err
	}
	err = tx.QueryRow(ctx, `SELECT id FROM contact_profiles WHERE key_hash = ?`, h).Scan(&pid)
	return pid, err
}

// Prior is an earlier contact as the screen-pop shows it: when, how, what
// about, how risky; no summary.
type Prior struct {
	ID         int64
	StartedAt  time.Time
	Channel    string
	Categories []string
	RiskLevel  string
	State      string
}

// Flag is a current flag of a profile.
type Flag struct {
	Flag   string
	Reason string
	Until  time.Time
}

// ScreenPop is what a counsellor sees as a call or chat arrives from a
// known identifier: the earlier contacts, the flags still in force and the
// recommended approach.
type ScreenPop struct {
	ProfileID int64
	Earlier   []Prior
	Flags     []Flag
	Approach  string
}

func (s *Service) screenPop(ctx context.Context, tx *db.Tx, profile int64) (*ScreenPop, error) {
	pop := &ScreenPop{ProfileID: profile}
	rows, err := tx.Query(ctx, `SELECT id, started_at, channel, categories, risk_level, state FROM contacts WHERE profile_id = ?
		ORDER BY started_at DESC LIMIT 20`, profile)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var pr Prior
		var at int64
		var cats string
		if err := rows.Scan(&pr.ID, &at, &pr.Channel, &cats, &pr.RiskLevel, &pr.State); err != nil {
			rows.Close()
			return nil, err
		}
		pr.StartedAt, pr.Categories = db.FromMicro(at), strings.Fields(cats)
		pop.Earlier = append(pop.Earlier, pr)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.Query(ctx, `SELECT id, flag, reason, until_at FROM profile_flags WHERE profile_id = ? AND until_at > ? ORDER BY id`,
		profile, db.Micro(s.now()))
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var f Flag
		var reason []byte
		var fid, until int64
		if err := rows.Scan(&fid, &f.Flag, &reason, &until); err != nil {
			rows.Close()
			return nil, err
		}
		if len(reason) > 0 {
			plain, err := s.Seal.Open(reason, flagAAD(fid))
			if err != nil {
				rows.Close()
				return nil, apperr.Internal(err)
			}
			f.Reason = string(plain)
		}
		f.Until = db.FromMicro(until)
		pop.Flags = append(pop.Flags, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var approach []byte
	if err := tx.QueryRow(ctx, `SELECT approach FROM contact_profiles WHERE id = ?`, profile).Scan(&approach); err != nil {
		return nil, err
	}
	if len(approach) > 0 {
		plain, err := s.Seal.Open(approach, approachAAD(profile))
		if err != nil {
			return nil, apperr.Internal(err)
		}
		pop.Approach = string(plain)
	}
	return pop, nil
}

// Lookup is the screen-pop for an identifier before a contact is opened
// (a call is ringing). An unknown identifier gives an empty screen-pop and
// creates nothing. The caller needs hotline.contact; the look-up is audited.
func (s *Service) Lookup(ctx context.Context, p access.Principal, id Identifier) (*ScreenPop, error) {
	m, ok := p.Grant(access.HotlineContact)
	if !ok {
		return nil, apperr.Forbidden()
	}
	h, err := s.keyHash(id)
	if err != nil {
		return nil, err
	}
	pop := &ScreenPop{}
	err = s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var pid int64
		err := tx.QueryRow(ctx, `SELECT id FROM contact_profiles WHERE key_hash = ?`, h).Scan(&pid)
		if apperr.CodeOf(err) == apperr.ENotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if pop, err = s.screenPop(ctx, tx, pid); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, auditEntry(p, m, "contact.lookup", "contact_profile", pid, ""))
	})
	return pop, err
}

// SetFlag flags a profile until a date, with a sealed reason; a supervisor
// (hotline.supervise) sets it. An expired flag stops showing by itself.
func (s *Service) SetFlag(ctx context.Context, p access.Principal, profileID int64, flag, reason string, until time.Time) error {
	m, ok := p.Grant(access.HotlineSupervise)
	if !ok {
		return apperr.Forbidden()
	}
	bad := map[string]string{}
	if !slices.Contains(Flags, flag) {
		bad["flag"] = "contact.bad_value"
	}
	if strings.TrimSpace(reason) == "" {
		bad["reason"] = "form.required"
	}
	if !until.After(s.now()) || until.After(s.now().AddDate(1, 0, 0)) {
		bad["until"] = "contact.flag_until"
	}
	if len(bad) > 0 {
		return apperr.Invalid("form.invalid", bad)
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM contact_profiles WHERE id = ?`, profileID).Scan(&n); err != nil || n == 0 {
			return apperr.NotFound()
		}
		fid, err := tx.InsertID(ctx, `INSERT INTO profile_flags (profile_id, flag, until_at, set_by, set_at) VALUES (?, ?, ?, ?, ?)`,
			profileID, flag, db.Micro(until), p.UserID, db.Micro(s.now()))
		if err != nil {
			return err
		}
		sealed, err := s.Seal.Seal([]byte(strings.TrimSpace(reason)), flagAAD(fid))
		if err != nil {
			return apperr.Internal(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE profile_flags SET reason = ? WHERE id = ?`, sealed, fid); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, auditEntry(p, m, "contact.flag", "contact_profile", profileID, "flag="+flag))
	})
}

// SetApproach records the approach recommended with a repeat contacter.
func (s *Service) SetApproach(ctx context.Context, p access.Principal, profileID int64, approach string) error {
	m, ok := p.Grant(access.HotlineSupervise)
	if !ok {
		return apperr.Forbidden()
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		sealed, err := s.Seal.Seal([]byte(strings.TrimSpace(approach)), approachAAD(profileID))
		if err != nil {
			return apperr.Internal(err)
		}
		res, err := tx.Exec(ctx, `UPDATE contact_profiles SET approach = ? WHERE id = ?`, sealed, profileID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFound()
		}
		return s.Audit.Record(ctx, tx, auditEntry(p, m, "contact.approach", "contact_profile", profileID, ""))
	})
}

func flagAAD(flag int64) string        { return "profile_flags:" + itoa(flag) + ":reason" }
func approachAAD(profile int64) string { return "contact_profiles:" + itoa(profile) + ":approach" }
