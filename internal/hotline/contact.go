// Package hotline is the hotline station (陶老师工作站 and its branches): a
// contact record for every channel, saved on the server as a draft from
// the first keystroke and finalised explicitly; anonymous by default, with
// repeat contacters known only by keyed hashes of their identifiers; and
// the screen-pop that shows a counsellor earlier contacts and flags.
package hotline

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline/taxonomy"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/seal"
	"github.com/careloop/careloop/internal/warning"
)

// Channels of a contact.
var Channels = []string{"phone", "face_to_face", "wechat", "weibo", "letter", "outreach", "web_chat"}

// CallerTypes say who contacted.
var CallerTypes = []string{"child_self", "adult_about_child", "silent", "hang_up", "wrong_number", "prank", "repeat"}

// AgeBands, Genders, Actions and Referrals are the codes a contact may carry.
var (
	AgeBands  = []string{"under_10", "10_12", "13_15", "16_18", "adult", "unknown"}
	Genders   = []string{"female", "male", "other", "unknown"}
	Actions   = []string{"listened", "information", "safety_plan", "counselling", "crisis_escalated", "alert_raised", "guardian_informed", "called_back"}
	Referrals = []string{"school_counsellor", "hospital", "police", "civil_affairs", "womens_federation", "legal_aid", "other"}
)

// Service records contacts.
type Service struct {
	DB       *db.DB
	Audit    *audit.Log
	Seal     seal.Sealer
	Pepper   []byte              // the key of identifier hashes (seal.Keyring.Derive)
	Taxonomy []taxonomy.Category // the station's concerns; nil: taxonomy.Default()
	Warning  *warning.Service    // alerts for known students
	Notify   *notify.Service     // crisis escalations
	Now      func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Fields are what a counsellor fills in; every field may be empty in a
// draft. Summary is sealed.
type Fields struct {
	CallerType string
	AgeBand    string
	Gender     string
	DistrictID int64
	Categories []string
	Risk       taxonomy.RiskAnswers
	Summary    string
	Actions    []string
	Referrals  []string
	FollowUp   bool
	EndedAt    time.Time
}

// Contact is a contact record.
type Contact struct {
	ID           int64
	StationID    int64
	StationPath  string
	Channel      string
	State        string // draft, final
	CounsellorID int64
	AuthorID     int64
	StartedAt    time.Time
	RiskLevel    string
	ProfileID    int64
	StudentID    int64
	Version      int
	FinalisedAt  time.Time
	Fields
}

// check validates the codes given; empty values are allowed in a draft.
func (s *Service) check(f *Fields) map[string]string {
	bad := map[string]string{}
	one := func(field, v string, allowed []string) {
		if v != "" && !slices.Contains(allowed, v) {
			bad[field] = "contact.bad_value"
		}
	}
	many := func(field string, vs []string, allowed []string) {
		for _, v := range vs {
			one(field, v, allowed)
		}
	}
	one("caller_type", f.CallerType, CallerTypes)
	one("age_band", f.AgeBand, AgeBands)
	one("gender", f.Gender, Genders)
	many("actions", f.Actions, Actions)
	many("referrals", f.Referrals, Referrals)
	tax := s.Taxonomy
	if tax == nil {
		tax, _ = taxonomy.Default()
	}
	if len(taxonomy.Valid(tax, f.Categories)) > 0 {
		bad["categories"] = "contact.bad_category"
	}
	if f.Risk != (taxonomy.RiskAnswers{}) {
		if err := f.Risk.Validate(); err != nil {
			bad["risk"] = "contact.bad_risk"
		}
	}
	if len(f.Summary) > 20000 {
		bad["summary"] = "form.too_long"
	}
	return bad
}

// NewContact starts a contact.
type NewContact struct {
	StationID  int64
	Channel    string
	Identifier Identifier // optional: a phone number or WeChat id, hashed at once
}

// Start opens a draft contact held by the caller, who needs
// hotline.contact at the station. With an identifier, the contact joins
// its repeat-contacter profile and the screen-pop comes back with it.
func (s *Service) Start(ctx context.Context, p access.Principal, n NewContact) (*Contact, *ScreenPop, error) {
	if !slices.Contains(Channels, n.Channel) {
		return nil, nil, apperr.Invalid("form.invalid", map[string]string{"channel": "contact.bad_value"})
	}
	var c *Contact
	var pop *ScreenPop
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		m, path, err := s.station(ctx, tx, p, n.StationID)
		if err != nil {
			return err
		}
		var profile int64
		if n.Identifier.Value != "" {
			if profile, err = s.profile(ctx, tx, n.Identifier); err != nil {
				return err
			}
			if pop, err = s.screenPop(ctx, tx, profile); err != nil {
				return err
			}
		}
		now := db.Micro(s.now())
		id, err := tx.InsertID(ctx, `INSERT INTO contacts (station_id, channel, counsellor_id, author_id, started_at, profile_id, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, n.StationID, n.Channel, p.UserID, p.UserID, now, profile, now)
		if err != nil {
			return err
		}
		c = &Contact{ID: id, StationID: n.StationID, StationPath: path, Channel: n.Channel, State: "draft", CounsellorID: p.UserID,
			AuthorID: p.UserID, StartedAt: db.FromMicro(now), ProfileID: profile, Version: 1}
		return s.record(ctx, tx, p, m, "contact.start", id, "channel="+n.Channel+" profile="+itoa(profile))
	})
	return c, pop, err
}

// station checks hotline.contact at a station and returns the membership and path.
func (s *Service) station(ctx context.Context, tx *db.Tx, p access.Principal, id int64) (access.Membership, string, error) {
	var path, kind string
	if err := tx.QueryRow(ctx, `SELECT path, kind FROM org_units WHERE id = ? AND active = 1`, id).Scan(&path, &kind); err != nil {
		return access.Membership{}, "", apperr.NotFound()
	}
	m, ok := p.At(access.HotlineContact, path)
	if !ok || kind != "hotline_station" {
		return m, "", apperr.NotFound()
	}
	return m, path, nil
}

func (s *Service) record(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: "contact", ObjectID: itoa(id), Outcome: audit.Success, Detail: detail})
}

func joinCodes(v []string) string { return strings.Join(v, " ") }

func summaryAAD(id int64) string { return "contacts:" + itoa(id) + ":summary" }

func auditEntry(p access.Principal, m access.Membership, action, objType string, id int64, detail string) audit.Entry {
	return audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action, ObjectType: objType,
		ObjectID: itoa(id), Outcome: audit.Success, Detail: detail}
}
