package outreach

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Kinds of outreach activity.
var Kinds = []string{"awareness_event", "lecture", "touring_talk", "parent_class", "group_activity", "media"}

// Audiences an activity reaches.
var Audiences = []string{"students", "parents", "teachers", "public"}

// MaxAttendance bounds the person-times of one activity (a media item
// reaches many; a typo of extra zeros is refused).
const MaxAttendance = 10_000_000

// Activity is an outreach activity of an organising unit. It is never
// about an identified child.
type Activity struct {
	ID          int64
	Unit        UnitName
	Kind        string
	Title       string
	StartsAt    time.Time
	VenueID     int64
	VenueName   string
	Place       string
	Audiences   []string
	Attendance  int64 // person-times
	SeriesID    int64
	Series      string
	Attachments []AttachmentInfo // FindActivity only
}

// Where is the activity's venue name, or its place text.
func (a Activity) Where() string {
	if a.VenueName != "" {
		return a.VenueName
	}
	return a.Place
}

// NewActivity is an activity as a form records it. Series names a series
// of the organising unit, made at first use; "" for none.
type NewActivity struct {
	Unit       int64
	Kind       string
	Title      string
	StartsAt   time.Time
	VenueID    int64
	Place      string
	Audiences  []string
	Attendance int64
	Series     string
}

// Filter narrows the list of activities; zero values do not filter. Unit
// takes the unit's subtree; From is inclusive, To exclusive.
type Filter struct {
	Unit     int64
	Kind     string
	SeriesID int64
	From, To time.Time
}

// Totals are the counts of the activities a filter selects.
type Totals struct {
	Activities  int64
	PersonTimes int64
}

// MaxListed is how many activities a list shows; totals count them all.
const MaxListed = 500

func (n *NewActivity) check() map[string]string {
	n.Title, n.Place, n.Series = strings.TrimSpace(n.Title), strings.TrimSpace(n.Place), strings.TrimSpace(n.Series)
	bad := map[string]string{}
	if !contains(Kinds, n.Kind) {
		bad["kind"] = "outreach.kind_required"
	}
	if n.Title == "" || utf8.RuneCountInString(n.Title) > 200 {
		bad["title"] = "outreach.title_required"
	}
	if n.StartsAt.IsZero() {
		bad["starts_at"] = "outreach.date_required"
	}
	if utf8.RuneCountInString(n.Place) > 200 {
		bad["place"] = "outreach.place_long"
	}
	var aud []string
	for _, a := range Audiences { // canonical order, no repeats
		if contains(n.Audiences, a) {
			aud = append(aud, a)
		}
	}
	if len(aud) == 0 || len(aud) != len(uniq(n.Audiences)) {
		bad["audiences"] = "outreach.audience_required"
	}
	n.Audiences = aud
	if n.Attendance < 0 || n.Attendance > MaxAttendance {
		bad["attendance"] = "outreach.bad_attendance"
	}
	if utf8.RuneCountInString(n.Series) > 100 {
		bad["series"] = "outreach.series_long"
	}
	return bad
}

func uniq(vs []string) []string {
	var out []string
	for _, v := range vs {
		if !contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// resolve checks the venue and finds or makes the series of n in tx.
func resolve(ctx context.Context, tx *db.Tx, p access.Principal, n NewActivity, now int64) (seriesID int64, err error) {
	if n.VenueID != 0 {
		cond, args := p.Scope(access.OutreachManage, "u.path")
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM venues v JOIN org_units u ON u.id = v.org_unit_id WHERE v.id = ? AND v.active = 1 AND `+cond,
			append([]any{n.VenueID}, args...)...).Scan(&one); err != nil {
			return 0, apperr.Invalid("form.invalid", map[string]string{"venue": "outreach.bad_venue"})
		}
	}
	if n.Series == "" {
		return 0, nil
	}
	err = tx.QueryRow(ctx, `SELECT id FROM outreach_series WHERE org_unit_id = ? AND name = ?`, n.Unit, n.Series).Scan(&seriesID)
	if apperr.CodeOf(err) == apperr.ENotFound {
		return tx.InsertID(ctx, `INSERT INTO outreach_series (org_unit_id, name, created_by, created_at) VALUES (?, ?, ?, ?)`,
			n.Unit, n.Series, p.UserID, now)
	}
	return seriesID, err
}

// CreateActivity records an activity. The caller needs outreach.manage at
// the organising unit; a linked venue must be active and in the caller's
// scope.
func (s *Service) CreateActivity(ctx context.Context, p access.Principal, n NewActivity) (int64, error) {
	if !p.Can(access.OutreachManage) {
		return 0, apperr.Forbidden()
	}
	if bad := n.check(); len(bad) > 0 {
		return 0, apperr.Invalid("form.invalid", bad)
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, m, err := unitAt(ctx, tx, p, access.OutreachManage, n.Unit, "unit", "outreach.bad_unit")
		if err != nil {
			return err
		}
		now := db.Micro(s.now())
		series, err := resolve(ctx, tx, p, n, now)
		if err != nil {
			return err
		}
		if id, err = tx.InsertID(ctx, `INSERT INTO outreach_activities (org_unit_id, kind, title, starts_at, venue_id, place, audiences, attendance,
			series_id, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, n.Unit, n.Kind, n.Title, db.Micro(n.StartsAt),
			n.VenueID, n.Place, strings.Join(n.Audiences, " "), n.Attendance, series, p.UserID, now, now); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "outreach.activity_create", "outreach_activity", id, "kind="+n.Kind+" unit="+itoa(n.Unit))
	})
	return id, err
}

// UpdateActivity changes an activity in the caller's scope (e.g. its
// attendance once held); a move to another unit needs the scope there too.
func (s *Service) UpdateActivity(ctx context.Context, p access.Principal, id int64, n NewActivity) error {
	if !p.Can(access.OutreachManage) {
		return apperr.Forbidden()
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := loadActivity(ctx, tx, p, id); err != nil {
			return err
		}
		if bad := n.check(); len(bad) > 0 {
			return apperr.Invalid("form.invalid", bad)
		}
		_, m, err := unitAt(ctx, tx, p, access.OutreachManage, n.Unit, "unit", "outreach.bad_unit")
		if err != nil {
			return err
		}
		now := db.Micro(s.now())
		series, err := resolve(ctx, tx, p, n, now)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE outreach_activities SET org_unit_id = ?, kind = ?, title = ?, starts_at = ?, venue_id = ?, place = ?,
			audiences = ?, attendance = ?, series_id = ?, updated_at = ? WHERE id = ?`, n.Unit, n.Kind, n.Title, db.Micro(n.StartsAt), n.VenueID,
			n.Place, strings.Join(n.Audiences, " "), n.Attendance, series, now, id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "outreach.activity_update", "outreach_activity", id, "kind="+n.Kind+" unit="+itoa(n.Unit))
	})
}

// loadActivity returns the organising unit's path of an activity in the
// caller's scope; one outside it is not found.
func loadActivity(ctx context.Context, tx *db.Tx, p access.Principal, id int64) (string, error) {
	cond, args := p.Scope(access.OutreachManage, "u.path")
	var path string
	err := tx.QueryRow(ctx, `SELECT u.path FROM outreach_activities a JOIN org_units u ON u.id = a.org_unit_id WHERE a.id = ? AND `+cond,
		append([]any{id}, args...)...).Scan(&path)
	return path, err
}

const activityCols = `a.id, u.id, u.name, u.name_en, a.kind, a.title, a.starts_at, a.venue_id, COALESCE(v.name, ''), a.place, a.audiences,
	a.attendance, a.series_id, COALESCE(se.name, '')`

const activityFrom = ` FROM outreach_activities a JOIN org_units u ON u.id = a.org_unit_id LEFT JOIN venues v ON v.id = a.venue_id
	LEFT JOIN outreach_series se ON se.id = a.series_id`

func scanActivity(sc interface{ Scan(...any) error }) (Activity, error) {
	var a Activity
	var at int64
	var aud string
	err := sc.Scan(&a.ID, &a.Unit.ID, &a.Unit.Name, &a.Unit.NameEn, &a.Kind, &a.Title, &at, &a.VenueID, &a.VenueName, &a.Place, &aud,
		&a.Attendance, &a.SeriesID, &a.Series)
	a.StartsAt, a.Audiences = db.FromMicro(at), strings.Fields(aud)
	return a, err
}

// where builds the condition of f within the caller's scope.
func (f Filter) where(ctx context.Context, tx *db.Tx, p access.Principal) (string, []any, error) {
	cond, args := p.Scope(access.OutreachManage, "u.path")
	if f.Unit != 0 {
		var path string
		if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, f.Unit).Scan(&path); err != nil {
			if apperr.CodeOf(err) != apperr.ENotFound {
				return "", nil, err
			}
			path = "/none/"
		}
		cond += ` AND u.path >= ? AND u.path < ?`
		args = append(args, path, access.SubtreeEnd(path))
	}
	if f.Kind != "" {
		cond += ` AND a.kind = ?`
		args = append(args, f.Kind)
	}
	if f.SeriesID != 0 {
		cond += ` AND a.series_id = ?`
		args = append(args, f.SeriesID)
	}
	if !f.From.IsZero() {
		cond += ` AND a.starts_at >= ?`
		args = append(args, db.Micro(f.From))
	}
	if !f.To.IsZero() {
		cond += ` AND a.starts_at < ?`
		args = append(args, db.Micro(f.To))
	}
	return cond, args, nil
}

// Activities lists the activities in the caller's scope that f selects,
// earliest first (at most MaxListed), with the totals of all of them.
func (s *Service) Activities(ctx context.Context, p access.Principal, f Filter) ([]Activity, Totals, error) {
	var out []Activity
	var tot Totals
	if !p.Can(access.OutreachManage) {
		return nil, tot, apperr.Forbidden()
	}
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		cond, args, err := f.where(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(a.attendance), 0)`+activityFrom+` WHERE `+cond, args...).
			Scan(&tot.Activities, &tot.PersonTimes); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+activityCols+activityFrom+` WHERE `+cond+` ORDER BY a.starts_at, a.id LIMIT `+itoa(MaxListed), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanActivity(rows)
			if err != nil {
				return apperr.Internal(err)
			}
			out = append(out, a)
		}
		return apperr.Internal(rows.Err())
	})
	return out, tot, err
}

// FindActivity returns an activity in the caller's scope with the list of
// its attachments (names opened; their contents are read one by one,
// audited, through OpenAttachment).
func (s *Service) FindActivity(ctx context.Context, p access.Principal, id int64) (*Activity, error) {
	if !p.Can(access.OutreachManage) {
		return nil, apperr.Forbidden()
	}
	var a Activity
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := loadActivity(ctx, tx, p, id); err != nil {
			return err
		}
		var err error
		if a, err = scanActivity(tx.QueryRow(ctx, `SELECT `+activityCols+activityFrom+` WHERE a.id = ?`, id)); err != nil {
			return err
		}
		a.Attachments, err = s.attachments(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// Series is a named series of activities of a unit.
type Series struct {
	ID   int64
	Unit UnitName
	Name string
}

// SeriesList lists the series of the units in the caller's scope.
func (s *Service) SeriesList(ctx context.Context, p access.Principal) ([]Series, error) {
	if !p.Can(access.OutreachManage) {
		return nil, apperr.Forbidden()
	}
	cond, args := p.Scope(access.OutreachManage, "u.path")
	var out []Series
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT se.id, u.id, u.name, u.name_en, se.name FROM outreach_series se JOIN org_units u ON u.id = se.org_unit_id
			WHERE `+cond+` ORDER BY u.path, se.name LIMIT 500`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var se Series
			if err := rows.Scan(&se.ID, &se.Unit.ID, &se.Unit.Name, &se.Unit.NameEn, &se.Name); err != nil {
				return apperr.Internal(err)
			}
			out = append(out, se)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}
