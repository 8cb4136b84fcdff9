package screening

import (
	"context"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// SmallCount is the smallest count shown to a viewer who may not see
// identities; smaller counts (1–4) are hidden, because a count of one or two
// in a school points at children a reader may know.
const SmallCount = 5

// Hidden marks a hidden count in SchoolTiers.
const Hidden = -1

// TierOrder is the order of tiers in summaries.
var TierOrder = []string{"green", "yellow", "orange", "red"}

// SchoolTiers is one school's tier counts in a campaign. Counts and
// Screened are Hidden where the viewer may not see identities and the count
// is under SmallCount.
type SchoolTiers struct {
	SchoolID   int64
	SchoolName string
	SchoolEn   string
	Counts     []int // by TierOrder
	Screened   int
	Identified bool // the viewer may see this school's identities: nothing hidden
}

// TierSummary counts the campaign's screened students by tier and school,
// for viewers with report.read or record.read over the school. For a
// school where the viewer lacks record.read, counts under SmallCount are
// hidden, and when that hides a single count of the school the next
// smallest is hidden too, so that the school's total cannot give it away.
// There is no filter and no total across schools, so no combination of
// figures reveals a hidden one.
func (s *Service) TierSummary(ctx context.Context, p access.Principal, campaignID int64) ([]SchoolTiers, error) {
	var out []SchoolTiers
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := findCampaign(ctx, tx, campaignID)
		if err != nil {
			return err
		}
		if !visibleWith(p, c, access.ReportRead) && !visible(p, c) {
			return apperr.NotFound()
		}
		report, rargs := p.Scope(access.ReportRead, "o.path")
		read, args := p.Scope(access.RecordRead, "o.path")
		rows, err := tx.Query(ctx, `SELECT st.school_id, o.name, o.name_en, o.path, t.tier, COUNT(*)
			FROM student_tiers t JOIN students st ON st.id = t.student_id JOIN org_units o ON o.id = st.school_id
			WHERE t.campaign_id = ? AND (`+report+` OR `+read+`) GROUP BY st.school_id, o.name, o.name_en, o.path, t.tier ORDER BY o.path`,
			append(append([]any{campaignID}, rargs...), args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		index := map[int64]int{}
		for rows.Next() {
			var id int64
			var name, en, path, tier string
			var n int
			if err := rows.Scan(&id, &name, &en, &path, &tier, &n); err != nil {
				return apperr.Internal(err)
			}
			i, ok := index[id]
			if !ok {
				_, ident := p.At(access.RecordRead, path)
				out = append(out, SchoolTiers{SchoolID: id, SchoolName: name, SchoolEn: en, Counts: make([]int, len(TierOrder)), Identified: ident})
				i = len(out) - 1
				index[id] = i
			}
			for k, t := range TierOrder {
				if t == tier {
					out[i].Counts[k] += n
				}
			}
			out[i].Screened += n
		}
		return apperr.Internal(rows.Err())
	})
	for i := range out {
		if !out[i].Identified {
			out[i].Counts, out[i].Screened = Suppress(out[i].Counts, out[i].Screened)
		}
	}
	return out, err
}

// Suppress hides counts from 1 to SmallCount-1 and then, while the total
// and the counts still shown would narrow a hidden small count to fewer
// than three values, the smallest count still shown: a reader knows the
// hidden counts add up to the total less the shown ones, and that each
// "<5" is 1 to 4 (or, when that sum is too large for it, that some hidden
// count is larger). A total under SmallCount is hidden with every count.
func Suppress(counts []int, total int) ([]int, int) {
	out := append([]int(nil), counts...)
	if total > 0 && total < SmallCount {
		for i := range out {
			out[i] = Hidden
		}
		return out, Hidden
	}
	for i, n := range out {
		if n > 0 && n < SmallCount {
			out[i] = Hidden
		}
	}
	for !pinsNone(counts, out, total) {
		next := -1
		for i, n := range out {
			if n > 0 && (next < 0 || n < out[next]) {
				next = i
			}
		}
		if next < 0 {
			return out, Hidden
		}
		out[next] = Hidden
	}
	return out, total
}

// pinsNone reports whether every hidden small count keeps at least three
// possible values given the total and the counts shown.
func pinsNone(counts, shown []int, total int) bool {
	k, sum, allSmall := 0, total, true
	for i, n := range shown {
		if n == Hidden {
			k++
			allSmall = allSmall && counts[i] < SmallCount
		} else {
			sum -= n
		}
	}
	for i, n := range shown {
		if n != Hidden || counts[i] >= SmallCount {
			continue
		}
		// Taking every "<5" at its word is right only when every hidden
		// count is small; otherwise it leads a reader astray, and what
		// they can rely on is the sum less one for each other.
		lo, hi := 1, min(SmallCount-1, sum-(k-1))
		if allSmall {
			lo = max(1, sum-(SmallCount-1)*(k-1))
		}
		if hi-lo < 2 {
			return false
		}
	}
	return true
}

// visibleWith reports whether the caller holds perm over the campaign's
// owner or one of its target schools.
func visibleWith(p access.Principal, c *Campaign, perm access.Permission) bool {
	if _, ok := p.At(perm, c.OrgPath); ok {
		return true
	}
	for _, t := range c.Targets {
		if _, ok := p.At(perm, t.SchoolPath); ok {
			return true
		}
	}
	return false
}

// CampaignName returns a campaign's name and window only, for a summary's
// heading (the caller has been checked by TierSummary).
func (s *Service) CampaignName(ctx context.Context, id int64) (*Campaign, error) {
	var c *Campaign
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		c, err = findCampaign(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Campaign{ID: c.ID, Name: c.Name, StartsAt: c.StartsAt, EndsAt: c.EndsAt}, nil
}
