package station

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/screening"
)

// The dimensions of the statistics tables.
const (
	DimChannel  = "channel"
	DimCategory = "category" // top-level taxonomy category
	DimAgeBand  = "age_band"
	DimDistrict = "district"
	DimHour     = "hour" // hour of day the contact started, China Standard Time
)

// Dims are the tables of Stats, in order.
var Dims = []string{DimChannel, DimCategory, DimAgeBand, DimDistrict, DimHour}

// Hidden is a count not shown to the viewer (see Stats.Suppressed).
const Hidden = screening.Hidden

// Row is one line of a table. Key is the code ("" for not recorded); ZH and
// EN name a category or a district.
type Row struct {
	Key    string
	ZH, EN string
	N      int
}

// Table counts finished contacts along one dimension. In the category
// table a contact counts once under each of its top-level categories, so
// its rows may add up to more than the contacts.
type Table struct {
	Dim  string
	Rows []Row
	Max  int // the largest count, for bar widths
}

// Queue is how the live queue went for one channel ("" for all): calls
// and conversations offered in the period. Rates are fractions (0..1);
// they and the waits are -1 where a hidden count would give them away.
type Queue struct {
	Channel     string
	Offered     int
	Answered    int
	Abandoned   int
	AnswerRate  float64
	AbandonRate float64
	AvgWait     time.Duration // over the answered ones: answered or taken minus offered
	WorstWait   time.Duration
}

// Stats are a station's figures for a period: finished contacts (person
// times), the distinct repeat contacters among them (persons, where an
// identifier was given), tables by dimension, and the live queue.
type Stats struct {
	Station    Station
	Period     Period
	Contacts   int // person-times: finished contacts started in the period
	Persons    int // distinct repeat-contacter profiles among them
	Unprofiled int // contacts with no identifier: not counted in Persons
	Tables     []Table
	Queues     []Queue // phone, web_chat, wechat
	Queue      Queue   // all channels
}

// Table returns the table of dim.
func (st *Stats) Table(dim string) Table {
	for _, t := range st.Tables {
		if t.Dim == dim {
			return t
		}
	}
	return Table{Dim: dim}
}

// Label names a row of a table in locale; text translates a message key
// (i18n.T bound to the locale).
func Label(dim string, r Row, locale string, text func(key string) string) string {
	switch {
	case r.Key == "" && dim == DimCategory:
		return text("station.no_category")
	case r.Key == "":
		return text("station.not_recorded")
	case dim == DimChannel:
		return text("contact.channel." + r.Key)
	case dim == DimAgeBand:
		return text("contact.age." + r.Key)
	case dim == DimHour:
		return r.Key + ":00–" + r.Key + ":59"
	case strings.HasPrefix(strings.ToLower(locale), "zh") || r.EN == "":
		if r.ZH != "" {
			return r.ZH
		}
	default:
		return r.EN
	}
	return r.Key
}

// Stats computes a station's figures (its subtree) for the period. The
// caller needs hotline.supervise or report.read at the station. The
// figures are aggregate counts of anonymous contacts; see Suppressed.
func (s *Service) Stats(ctx context.Context, p access.Principal, stationID int64, per Period) (*Stats, error) {
	st := &Stats{Period: per}
	var cs []contactRow
	var qs []queueRow
	districts := map[int64][2]string{}
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		if st.Station, _, err = s.station(ctx, tx, p, stationID, access.HotlineSupervise, access.ReportRead); err != nil {
			return err
		}
		// Exact counts over any days: a reader who may not open the
		// station's contacts could difference two ranges (March 1–31 less
		// March 1–30) and read a single day's small count, so they are
		// sent to the protected dashboard (/stats) instead.
		_, canContact := p.At(access.HotlineContact, st.Station.Path)
		_, canSupervise := p.At(access.HotlineSupervise, st.Station.Path)
		if !canContact && !canSupervise {
			return apperr.New(apperr.EForbidden, "stats.exact_only")
		}
		lo, hi := st.Station.Path, access.SubtreeEnd(st.Station.Path)
		if cs, err = contactRows(ctx, tx, lo, hi, per); err != nil {
			return err
		}
		if qs, err = queueRows(ctx, tx, lo, hi, per); err != nil {
			return err
		}
		return districtNames(ctx, tx, cs, districts)
	})
	if err != nil {
		return nil, err
	}
	s.count(st, cs, districts)
	st.Queues, st.Queue = queues(qs)
	return st, nil
}

// contactRow is what the statistics read of one finished contact.
type contactRow struct {
	channel, ageBand, categories string
	district, profile, started   int64
}

func contactRows(ctx context.Context, tx *db.Tx, lo, hi string, per Period) ([]contactRow, error) {
	rows, err := tx.Query(ctx, `SELECT c.channel, c.age_band, c.categories, c.district_id, c.profile_id, c.started_at
		FROM contacts c JOIN org_units o ON o.id = c.station_id
		WHERE c.state = 'final' AND c.started_at >= ? AND c.started_at < ? AND o.path >= ? AND o.path < ?`,
		db.Micro(per.From), db.Micro(per.To), lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []contactRow
	for rows.Next() {
		var c contactRow
		if err := rows.Scan(&c.channel, &c.ageBand, &c.categories, &c.district, &c.profile, &c.started); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func districtNames(ctx context.Context, tx *db.Tx, cs []contactRow, out map[int64][2]string) error {
	for _, c := range cs {
		if _, ok := out[c.district]; ok || c.district == 0 {
			continue
		}
		var zh, en string
		if err := tx.QueryRow(ctx, `SELECT name, name_en FROM org_units WHERE id = ?`, c.district).Scan(&zh, &en); err != nil {
			zh = "#" + itoa(c.district) // a district that no longer exists
		}
		out[c.district] = [2]string{zh, en}
	}
	return nil
}

// count fills the contact figures and tables.
func (s *Service) count(st *Stats, cs []contactRow, districts map[int64][2]string) {
	tax := s.taxonomy()
	byChan, byCat, byAge, byDist, byHour := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	persons := map[int64]bool{}
	for _, c := range cs {
		st.Contacts++
		if c.profile > 0 {
			persons[c.profile] = true
		} else {
			st.Unprofiled++
		}
		byChan[c.channel]++
		byAge[c.ageBand]++
		dk := ""
		if c.district > 0 {
			dk = itoa(c.district)
		}
		byDist[dk]++
		byHour[fmt.Sprintf("%02d", db.FromMicro(c.started).In(Zone).Hour())]++
		tops := map[string]bool{}
		for _, code := range strings.Fields(c.categories) {
			top, _, _ := strings.Cut(code, ".")
			tops[top] = true
		}
		if len(tops) == 0 {
			byCat[""]++
		}
		for top := range tops {
			byCat[top]++
		}
	}
	st.Persons = len(persons)
	var hours []string
	for h := range 24 {
		hours = append(hours, fmt.Sprintf("%02d", h))
	}
	var cats []Row
	for _, c := range tax {
		cats = append(cats, Row{Key: c.Code, ZH: c.ZH, EN: c.EN})
	}
	st.Tables = []Table{
		table(DimChannel, rowsOf(hotline.Channels), byChan),
		table(DimCategory, cats, byCat),
		table(DimAgeBand, rowsOf(hotline.AgeBands), byAge),
		table(DimDistrict, nil, byDist),
		table(DimHour, rowsOf(hours), byHour),
	}
	dt := &st.Tables[3]
	for i := range dt.Rows {
		if n, ok := districts[parseID(dt.Rows[i].Key)]; ok {
			dt.Rows[i].ZH, dt.Rows[i].EN = n[0], n[1]
		}
	}
	sort.SliceStable(dt.Rows, func(i, j int) bool {
		a, b := dt.Rows[i], dt.Rows[j]
		if (a.Key == "") != (b.Key == "") {
			return b.Key == "" // not recorded last
		}
		return a.N > b.N
	})
}

func rowsOf(keys []string) []Row {
	out := make([]Row, len(keys))
	for i, k := range keys {
		out[i] = Row{Key: k}
	}
	return out
}

// table fills known rows with their counts (zero included), then adds keys
// counted but not known (an old code, "" for not recorded) at the end.
func table(dim string, known []Row, counts map[string]int) Table {
	t := Table{Dim: dim}
	seen := map[string]bool{}
	for _, r := range known {
		r.N = counts[r.Key]
		seen[r.Key] = true
		t.Rows = append(t.Rows, r)
	}
	var extra []string
	for k := range counts {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	sort.Slice(extra, func(i, j int) bool { return extra[j] == "" || (extra[i] != "" && extra[i] < extra[j]) })
	for _, k := range extra {
		t.Rows = append(t.Rows, Row{Key: k, N: counts[k]})
	}
	for _, r := range t.Rows {
		t.Max = max(t.Max, r.N)
	}
	return t
}

func parseID(s string) int64 {
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// ExportStats is Stats for an export: the same figures, with the export
// recorded in the audit trail in the same transaction.
func (s *Service) ExportStats(ctx context.Context, p access.Principal, stationID int64, per Period) (*Stats, error) {
	var st *Stats
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		if st, err = s.Stats(ctx, p, stationID, per); err != nil {
			return err
		}
		_, m, err := s.station(ctx, tx, p, stationID, access.HotlineSupervise, access.ReportRead)
		if err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "station.stats.export", "org_unit", stationID,
			"from="+per.First()+" to="+per.Last()+" contacts="+itoa(int64(st.Contacts)))
	})
	return st, err
}
