package people

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/seal"
)

// Service manages accounts, roles, sign-in and tokens.
type Service struct {
	DB          *db.DB
	Audit       *audit.Log
	Seal        seal.Sealer
	Now         func() time.Time
	IdleTimeout time.Duration
	MaxSession  time.Duration
	// MaxFailures failed sign-ins lock an account for LockFor.
	MaxFailures int
	LockFor     time.Duration
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) record(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action string, userID int64, outcome, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID,
		Action: action, ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10), Outcome: outcome, Detail: detail})
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,39}$`)

// createAccount inserts a user with a one-time password that must be changed.
func (s *Service) createAccount(ctx context.Context, tx *db.Tx, n NewUser, password string, mustChange bool) (int64, error) {
	n.Username = strings.ToLower(strings.TrimSpace(n.Username))
	n.DisplayName = strings.TrimSpace(n.DisplayName)
	problems := map[string]string{}
	if !usernameRE.MatchString(n.Username) {
		problems["username"] = "user.username_rule"
	}
	if n.DisplayName == "" || len([]rune(n.DisplayName)) > 100 {
		problems["display_name"] = "user.display_name_required"
	}
	if n.Locale == "" {
		n.Locale = Locales[0]
	}
	if !ValidLocale(n.Locale) {
		problems["locale"] = "user.locale_unknown"
	}
	if k := CheckPasswordPolicy(password, n.Username); k != "" {
		problems["password"] = k
	}
	if len(problems) > 0 {
		return 0, apperr.Invalid("error.invalid", problems)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return 0, apperr.Internal(err)
	}
	now := db.Micro(s.now())
	id, err := tx.InsertID(ctx, `INSERT INTO users (username, display_name, email, locale, password_hash, password_changed_at,
		must_change_password, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		n.Username, n.DisplayName, strings.TrimSpace(n.Email), n.Locale, hash, now, db.Bool(mustChange), now)
	if apperr.CodeOf(err) == apperr.EConflict {
		return 0, apperr.Invalid("error.invalid", map[string]string{"username": "user.username_taken"})
	}
	return id, err
}

// CreateUser creates an account with a one-time password, returned once.
// The account has no role until a security administrator grants one.
func (s *Service) CreateUser(ctx context.Context, p access.Principal, n NewUser) (int64, string, error) {
	m, ok := p.Grant(access.UserManage)
	if !ok {
		return 0, "", apperr.Forbidden()
	}
	pw := GeneratePassword(strings.ToLower(strings.TrimSpace(n.Username)))
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		if id, err = s.createAccount(ctx, tx, n, pw, true); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "user.create", id, audit.Success, "")
	})
	return id, pw, err
}

// Bootstrap creates an account with a role, as the system (installation, the
// `careloop user add` command and the demo). With password "" a one-time
// password is generated and must be changed at first sign-in.
func (s *Service) Bootstrap(ctx context.Context, n NewUser, password string, orgID int64, role string) (int64, string, error) {
	if _, ok := access.Roles[role]; !ok {
		return 0, "", apperr.Invalid("error.invalid", map[string]string{"role": "user.role_unknown"})
	}
	mustChange := password == ""
	if mustChange {
		password = GeneratePassword(strings.ToLower(strings.TrimSpace(n.Username)))
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		if id, err = s.createAccount(ctx, tx, n, password, mustChange); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO memberships (user_id, org_unit_id, role, created_at) VALUES (?, ?, ?, ?)`,
			id, orgID, role, db.Micro(s.now())); err != nil {
			return err
		}
		return s.record(ctx, tx, access.Principal{}, access.Membership{}, "user.bootstrap", id, audit.Success, "role="+role)
	})
	return id, password, err
}

// FindUsers lists accounts in the caller's scope.
func (s *Service) FindUsers(ctx context.Context, p access.Principal, f UserFilter) ([]User, error) {
	if !p.Can(access.UserRead) {
		return nil, apperr.Forbidden()
	}
	var out []User
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		out, err = findUsers(ctx, tx, p, f)
		return err
	})
	return out, err
}

// FindUserByID returns an account in the caller's scope.
func (s *Service) FindUserByID(ctx context.Context, p access.Principal, id int64) (*User, error) {
	if p.UserID == id {
		var out *User
		err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
			a, err := findAccount(ctx, tx, id)
			if err == nil {
				out = &a.User
			}
			return err
		})
		return out, err
	}
	users, err := s.FindUsers(ctx, p, UserFilter{ID: id, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(users) == 0 {
		return nil, apperr.NotFound()
	}
	return &users[0], nil
}
