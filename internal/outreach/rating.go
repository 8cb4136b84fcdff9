package outreach

import (
	"context"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// TopN is how many venues the ranking honours (the "top ten").
const TopN = 10

// Criterion is one criterion of a rating: a venue scores 0..Max on it and
// the score counts Weight times in the total.
type Criterion struct {
	ID     int64
	NameZh string
	NameEn string
	Weight int64
	Max    int64
}

// Display is the criterion's name in the locale.
func (c Criterion) Display(l string) string { return pick(l, c.NameZh, c.NameEn) }

// NewRating is a year's rating of the venues of one kind in a unit's
// subtree, with its criteria.
type NewRating struct {
	Unit     int64
	Year     int
	Kind     string
	Criteria []Criterion
}

// Rating is a rating; Rows is filled by Ranking.
type Rating struct {
	ID          int64
	Unit        UnitName
	Year        int
	Kind        string
	PublishedAt time.Time // zero while a draft
	Criteria    []Criterion
	MaxTotal    int64 // the total of a venue with every score at its maximum
	CanRate     bool  // the caller holds venue.rate over the rating's unit
	Rows        []RankRow
}

// Published reports whether the rating is published (its scores frozen).
func (r Rating) Published() bool { return !r.PublishedAt.IsZero() }

// Top returns the first TopN rows of the ranking.
func (r Rating) Top() []RankRow {
	if len(r.Rows) > TopN {
		return r.Rows[:TopN]
	}
	return r.Rows
}

// RankRow is a venue's place in a ranking.
type RankRow struct {
	Rank    int
	Venue   Venue
	Scores  []int64 // per criterion in order; -1 where not scored
	Scored  int     // how many criteria are scored
	Total   int64   // Σ weight × score
	Percent float64 // Total against the rating's MaxTotal
}

func (n *NewRating) check() map[string]string {
	bad := map[string]string{}
	if n.Year < 2000 || n.Year > 2100 {
		bad["year"] = "venue.bad_year"
	}
	if !contains(VenueKinds, n.Kind) {
		bad["kind"] = "venue.kind_required"
	}
	var cs []Criterion
	for _, c := range n.Criteria {
		c.NameZh, c.NameEn = strings.TrimSpace(c.NameZh), strings.TrimSpace(c.NameEn)
		if c.NameZh == "" && c.NameEn == "" && c.Weight == 0 && c.Max == 0 {
			continue // an empty row of the form
		}
		if c.NameZh == "" || utf8.RuneCountInString(c.NameZh) > 100 || utf8.RuneCountInString(c.NameEn) > 100 ||
			c.Weight < 1 || c.Weight > 100 || c.Max < 1 || c.Max > 1000 {
			bad["criteria"] = "venue.bad_criteria"
		}
		cs = append(cs, c)
	}
	if len(cs) == 0 || len(cs) > 20 {
		bad["criteria"] = "venue.bad_criteria"
	}
	n.Criteria = cs
	return bad
}

// DefineRating makes a year's rating of one kind of venue in a unit where
// the caller holds venue.rate, with its criteria. A unit has one rating a
// year for each kind.
func (s *Service) DefineRating(ctx context.Context, p access.Principal, n NewRating) (int64, error) {
	if !p.Can(access.VenueRate) {
		return 0, apperr.Forbidden()
	}
	if bad := n.check(); len(bad) > 0 {
		return 0, apperr.Invalid("form.invalid", bad)
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, m, err := unitAt(ctx, tx, p, access.VenueRate, n.Unit, "unit", "venue.bad_unit")
		if err != nil {
			return err
		}
		var dup int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM venue_ratings WHERE org_unit_id = ? AND year = ? AND kind = ?`, n.Unit, n.Year, n.Kind).
			Scan(&dup); err != nil {
			return err
		}
		if dup > 0 {
			return apperr.Invalid("form.invalid", map[string]string{"year": "venue.rating_exists"})
		}
		now := db.Micro(s.now())
		if id, err = tx.InsertID(ctx, `INSERT INTO venue_ratings (org_unit_id, year, kind, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
			n.Unit, n.Year, n.Kind, p.UserID, now); err != nil {
			return err
		}
		for i, c := range n.Criteria {
			if _, err := tx.Exec(ctx, `INSERT INTO venue_criteria (rating_id, position, name_zh, name_en, weight, max_score) VALUES (?, ?, ?, ?, ?, ?)`,
				id, i+1, c.NameZh, c.NameEn, c.Weight, c.Max); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, m, "venue.rating_define", "venue_rating", id, "kind="+n.Kind+" criteria="+itoa(int64(len(n.Criteria))))
	})
	return id, err
}

// ratingVisible is the condition on a rating r of unit u: venue.rate over
// the unit, or outreach.manage over it once published.
func ratingVisible(p access.Principal) (string, []any) {
	rate, rargs := p.Scope(access.VenueRate, "u.path")
	see, sargs := p.Scope(access.OutreachManage, "u.path")
	return `(` + rate + ` OR (r.published_at > 0 AND ` + see + `))`, append(rargs, sargs...)
}

func canSeeRatings(p access.Principal) bool {
	return p.Can(access.VenueRate) || p.Can(access.OutreachManage)
}

// Ratings lists the ratings the caller may see, latest year first.
func (s *Service) Ratings(ctx context.Context, p access.Principal) ([]Rating, error) {
	if !canSeeRatings(p) {
		return nil, apperr.Forbidden()
	}
	cond, args := ratingVisible(p)
	var out []Rating
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT r.id, u.id, u.name, u.name_en, u.path, r.year, r.kind, r.published_at FROM venue_ratings r
			JOIN org_units u ON u.id = r.org_unit_id WHERE `+cond+` ORDER BY r.year DESC, u.path, r.kind LIMIT 500`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r Rating
			var path string
			var pub int64
			if err := rows.Scan(&r.ID, &r.Unit.ID, &r.Unit.Name, &r.Unit.NameEn, &path, &r.Year, &r.Kind, &pub); err != nil {
				return apperr.Internal(err)
			}
			if pub != 0 {
				r.PublishedAt = db.FromMicro(pub)
			}
			_, r.CanRate = p.At(access.VenueRate, path)
			out = append(out, r)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}

// loadRating reads a rating the caller may see, with its criteria, and
// returns its unit's path.
func loadRating(ctx context.Context, tx *db.Tx, p access.Principal, id int64) (Rating, string, error) {
	cond, args := ratingVisible(p)
	var r Rating
	var path string
	var pub int64
	if err := tx.QueryRow(ctx, `SELECT r.id, u.id, u.name, u.name_en, u.path, r.year, r.kind, r.published_at FROM venue_ratings r
		JOIN org_units u ON u.id = r.org_unit_id WHERE r.id = ? AND `+cond, append([]any{id}, args...)...).
		Scan(&r.ID, &r.Unit.ID, &r.Unit.Name, &r.Unit.NameEn, &path, &r.Year, &r.Kind, &pub); err != nil {
		return r, "", err
	}
	if pub != 0 {
		r.PublishedAt = db.FromMicro(pub)
	}
	_, r.CanRate = p.At(access.VenueRate, path)
	rows, err := tx.Query(ctx, `SELECT id, name_zh, name_en, weight, max_score FROM venue_criteria WHERE rating_id = ? ORDER BY position, id`, id)
	if err != nil {
		return r, "", err
	}
	defer rows.Close()
	for rows.Next() {
		var c Criterion
		if err := rows.Scan(&c.ID, &c.NameZh, &c.NameEn, &c.Weight, &c.Max); err != nil {
			return r, "", apperr.Internal(err)
		}
		r.Criteria = append(r.Criteria, c)
		r.MaxTotal += c.Weight * c.Max
	}
	return r, path, apperr.Internal(rows.Err())
}

// Ranking returns a rating with its ranking: the active venues of its
// kind in its unit's subtree (once published, the venues it scored),
// ordered by total, ties broken by name.
func (s *Service) Ranking(ctx context.Context, p access.Principal, id int64) (*Rating, error) {
	if !canSeeRatings(p) {
		return nil, apperr.Forbidden()
	}
	var r Rating
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		var err error
		if r, path, err = loadRating(ctx, tx, p, id); err != nil {
			return err
		}
		r.Rows, err = ranking(ctx, tx, r, path)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func ranking(ctx context.Context, tx *db.Tx, r Rating, path string) ([]RankRow, error) {
	draft := 0
	if !r.Published() {
		draft = 1
	}
	rows, err := tx.Query(ctx, `SELECT `+venueCols+` FROM venues v JOIN org_units u ON u.id = v.org_unit_id
		WHERE (? = 1 AND v.kind = ? AND v.active = 1 AND u.path >= ? AND u.path < ?)
		OR EXISTS (SELECT 1 FROM venue_scores sc WHERE sc.rating_id = ? AND sc.venue_id = v.id)`,
		draft, r.Kind, path, access.SubtreeEnd(path), r.ID)
	if err != nil {
		return nil, err
	}
	byVenue := map[int64]*RankRow{}
	var out []*RankRow
	for rows.Next() {
		v, err := scanVenue(rows)
		if err != nil {
			rows.Close()
			return nil, apperr.Internal(err)
		}
		row := &RankRow{Venue: v, Scores: make([]int64, len(r.Criteria))}
		for i := range row.Scores {
			row.Scores[i] = -1
		}
		byVenue[v.ID] = row
		out = append(out, row)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	pos := map[int64]int{}
	for i, c := range r.Criteria {
		pos[c.ID] = i
	}
	sc, err := tx.Query(ctx, `SELECT venue_id, criterion_id, score FROM venue_scores WHERE rating_id = ?`, r.ID)
	if err != nil {
		return nil, err
	}
	defer sc.Close()
	for sc.Next() {
		var vid, cid, score int64
		if err := sc.Scan(&vid, &cid, &score); err != nil {
			return nil, apperr.Internal(err)
		}
		row, ok := byVenue[vid]
		i, ok2 := pos[cid]
		if !ok || !ok2 {
			continue
		}
		row.Scores[i] = score
		row.Scored++
		row.Total += r.Criteria[i].Weight * score
	}
	if err := sc.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Total != b.Total {
			return a.Total > b.Total
		}
		if a.Venue.Name != b.Venue.Name {
			return a.Venue.Name < b.Venue.Name
		}
		return a.Venue.ID < b.Venue.ID
	})
	res := make([]RankRow, len(out))
	for i, row := range out {
		row.Rank = i + 1
		if r.MaxTotal > 0 {
			row.Percent = float64(row.Total) * 100 / float64(r.MaxTotal)
		}
		res[i] = *row
	}
	return res, nil
}

// rateable locks a draft rating the caller may rate; a published one is
// frozen.
func rateable(ctx context.Context, tx *db.Tx, p access.Principal, id int64) (Rating, string, access.Membership, error) {
	if err := tx.Serialize(ctx, "venue_rating:"+itoa(id)); err != nil {
		return Rating{}, "", access.Membership{}, err
	}
	r, path, err := loadRating(ctx, tx, p, id)
	if err != nil {
		return r, "", access.Membership{}, err
	}
	m, ok := p.At(access.VenueRate, path)
	if !ok {
		return r, "", m, apperr.NotFound()
	}
	if r.Published() {
		return r, "", m, apperr.New(apperr.EConflict, "venue.rating_published")
	}
	return r, path, m, nil
}

// Score sets a venue's scores on criteria of a draft rating (criterion id
// → score, 0..its maximum); criteria left out keep their score. The venue
// must be an active venue of the rating's kind in its unit's subtree.
func (s *Service) Score(ctx context.Context, p access.Principal, ratingID, venueID int64, scores map[int64]int64) error {
	if !p.Can(access.VenueRate) {
		return apperr.Forbidden()
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		r, path, m, err := rateable(ctx, tx, p, ratingID)
		if err != nil {
			return err
		}
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM venues v JOIN org_units u ON u.id = v.org_unit_id WHERE v.id = ? AND v.kind = ? AND v.active = 1
			AND u.path >= ? AND u.path < ?`, venueID, r.Kind, path, access.SubtreeEnd(path)).Scan(&one); err != nil {
			return apperr.Invalid("form.invalid", map[string]string{"venue": "venue.bad_venue"})
		}
		if len(scores) == 0 {
			return apperr.Invalid("form.invalid", map[string]string{"venue": "venue.no_scores"})
		}
		byID := map[int64]Criterion{}
		for _, c := range r.Criteria {
			byID[c.ID] = c
		}
		bad := map[string]string{}
		for cid, v := range scores {
			c, ok := byID[cid]
			if !ok || v < 0 || v > c.Max {
				bad["score_"+itoa(cid)] = "venue.bad_score"
			}
		}
		if len(bad) > 0 {
			return apperr.Invalid("form.invalid", bad)
		}
		now := db.Micro(s.now())
		for cid, v := range scores {
			if _, err := tx.Exec(ctx, `DELETE FROM venue_scores WHERE venue_id = ? AND criterion_id = ?`, venueID, cid); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO venue_scores (rating_id, venue_id, criterion_id, score, scored_by, scored_at) VALUES (?, ?, ?, ?, ?, ?)`,
				ratingID, venueID, cid, v, p.UserID, now); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, m, "venue.score", "venue_rating", ratingID, "venue="+itoa(venueID)+" criteria="+itoa(int64(len(scores))))
	})
}

// Publish publishes a draft rating's ranking; from then on its scores are
// frozen. A rating with no score is not published.
func (s *Service) Publish(ctx context.Context, p access.Principal, id int64) error {
	if !p.Can(access.VenueRate) {
		return apperr.Forbidden()
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, _, m, err := rateable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM venue_scores WHERE rating_id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.Invalid("venue.nothing_scored", nil)
		}
		if _, err := tx.Exec(ctx, `UPDATE venue_ratings SET published_at = ?, published_by = ? WHERE id = ? AND published_at = 0`,
			db.Micro(s.now()), p.UserID, id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "venue.rating_publish", "venue_rating", id, "scores="+itoa(n))
	})
}
