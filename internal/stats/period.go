package stats

import (
	"fmt"
	"strconv"
	"time"
)

// zone is China Standard Time: periods are calendar months, quarters and
// years there.
var zone = time.FixedZone("CST", 8*3600)

// Period is a calendar month ("2026-11"), quarter ("2026-Q4") or year
// ("2026") in China Standard Time.
type Period struct {
	Kind  string // month, quarter, year
	Year  int
	N     int // the month 1..12 or the quarter 1..4; 0 for a year
	Start time.Time
	End   time.Time // exclusive
}

// String is the period's key.
func (p Period) String() string {
	switch p.Kind {
	case "month":
		return fmt.Sprintf("%04d-%02d", p.Year, p.N)
	case "quarter":
		return fmt.Sprintf("%04d-Q%d", p.Year, p.N)
	}
	return fmt.Sprintf("%04d", p.Year)
}

// Month, Quarter and Year build periods.
func Month(year, month int) Period {
	start := time.Date(year, time.Month(month), 1, 0, 0, 0, 0, zone)
	return Period{Kind: "month", Year: year, N: month, Start: start, End: start.AddDate(0, 1, 0)}
}

// Quarter is the quarter q (1..4) of year.
func Quarter(year, q int) Period {
	start := time.Date(year, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, zone)
	return Period{Kind: "quarter", Year: year, N: q, Start: start, End: start.AddDate(0, 3, 0)}
}

// Year is a calendar year.
func Year(year int) Period {
	start := time.Date(year, 1, 1, 0, 0, 0, 0, zone)
	return Period{Kind: "year", Year: year, Start: start, End: start.AddDate(1, 0, 0)}
}

// ParsePeriod reads a period's key.
func ParsePeriod(s string) (Period, error) {
	bad := fmt.Errorf("period %q: want 2026-11, 2026-Q4 or 2026", s)
	if len(s) < 4 {
		return Period{}, bad
	}
	y, err := strconv.Atoi(s[:4])
	if err != nil || y < 2000 || y > 2100 {
		return Period{}, bad
	}
	switch {
	case len(s) == 4:
		return Year(y), nil
	case len(s) == 7 && s[4] == '-' && s[5] == 'Q':
		q, err := strconv.Atoi(s[6:])
		if err != nil || q < 1 || q > 4 {
			return Period{}, bad
		}
		return Quarter(y, q), nil
	case len(s) == 7 && s[4] == '-':
		m, err := strconv.Atoi(s[5:])
		if err != nil || m < 1 || m > 12 {
			return Period{}, bad
		}
		return Month(y, m), nil
	}
	return Period{}, bad
}

// Containing returns the month, quarter and year that hold t.
func Containing(t time.Time) []Period {
	t = t.In(zone)
	return []Period{Month(t.Year(), int(t.Month())), Quarter(t.Year(), (int(t.Month())-1)/3+1), Year(t.Year())}
}

// Months lists the n months up to and including the one holding t, oldest first.
func Months(t time.Time, n int) []Period {
	t = t.In(zone)
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, zone).AddDate(0, -(n - 1), 0)
	out := make([]Period, 0, n)
	for i := 0; i < n; i++ {
		m := first.AddDate(0, i, 0)
		out = append(out, Month(m.Year(), int(m.Month())))
	}
	return out
}

// Prev returns the period before p, of the same kind.
func (p Period) Prev() Period {
	switch p.Kind {
	case "month":
		m := p.Start.AddDate(0, -1, 0)
		return Month(m.Year(), int(m.Month()))
	case "quarter":
		if p.N == 1 {
			return Quarter(p.Year-1, 4)
		}
		return Quarter(p.Year, p.N-1)
	}
	return Year(p.Year - 1)
}
