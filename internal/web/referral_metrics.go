package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/referral"
)

// referralMetricsView is the metrics page: the figures of a unit's
// referrals over a period, and the deadlines of each urgency.
type referralMetricsView struct {
	Units     []org.Unit
	Unit      int64
	From, To  string // YYYY-MM-DD; To is inclusive
	M         *referral.Metrics
	Deadlines map[string]referral.Deadlines
	Urgencies []string
	Figures   []metricsFigures // per receiving unit
	Total     metricsFigures
	CanSet    bool // the caller holds referral.manage at the top of the network
}

// metricsFigures is one block of figures with the locale to show it in.
type metricsFigures struct {
	L   string
	Row referral.MetricsRow
}

func (s *Server) referralMetrics(w http.ResponseWriter, r *http.Request) {
	s.showReferralMetrics(w, r, http.StatusOK, page{})
}

func (s *Server) showReferralMetrics(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	units, err := s.unitsWith(r, p, access.ReportRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	more, err := s.unitsWith(r, p, access.ReferralManage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, u := range more {
		if !hasUnit(units, u.ID) {
			units = append(units, u)
		}
	}
	q := r.URL.Query()
	v := referralMetricsView{Units: units, Urgencies: referral.Urgencies}
	v.Unit, _ = strconv.ParseInt(q.Get("unit"), 10, 64)
	if v.Unit == 0 && len(units) > 0 {
		v.Unit = units[0].ID
	}
	today := s.today()
	from, err1 := time.ParseInLocation("2006-01-02", q.Get("from"), displayZone)
	to, err2 := time.ParseInLocation("2006-01-02", q.Get("to"), displayZone)
	if err1 != nil || err2 != nil {
		to = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, displayZone)
		from = to.AddDate(0, 0, -90)
	}
	v.From, v.To = from.Format("2006-01-02"), to.Format("2006-01-02")
	if v.Unit != 0 {
		if v.M, err = s.Referral.Metrics(r.Context(), p, v.Unit, from, to.AddDate(0, 0, 1)); err != nil {
			s.fail(w, r, err)
			return
		}
		l := localeOf(r)
		for _, row := range v.M.Rows {
			v.Figures = append(v.Figures, metricsFigures{L: l, Row: row})
		}
		v.Total = metricsFigures{L: l, Row: v.M.Total}
	}
	for _, m := range p.Memberships {
		// A membership at a root unit ("/1/") reaches the whole network.
		v.CanSet = v.CanSet || (access.Has(m.Role, access.ReferralManage) && strings.Count(m.OrgPath, "/") == 2)
	}
	if v.Deadlines, err = s.Referral.FindDeadlines(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active, pg.Data = "referral.metrics", "referrals", v
	s.render(w, r, status, "referral_metrics", pg)
}

func hasUnit(units []org.Unit, id int64) bool {
	for _, u := range units {
		if u.ID == id {
			return true
		}
	}
	return false
}

// setReferralDeadlines changes the deadlines of one urgency (the city's
// coordinators; the service checks).
func (s *Server) setReferralDeadlines(w http.ResponseWriter, r *http.Request) {
	hours := func(name string) time.Duration {
		f, err := strconv.ParseFloat(r.PostFormValue(name), 64)
		if err != nil {
			return 0
		}
		return time.Duration(f * float64(time.Hour))
	}
	d := referral.Deadlines{Accept: hours("accept"), Appointment: hours("appointment"), Feedback: hours("feedback"), Repeat: hours("repeat")}
	err := s.Referral.SetDeadlines(r.Context(), principal(r), r.PostFormValue("urgency"), d)
	s.afterWrite(w, r, err, page{Flash: "referral.deadlines_saved"}, func(status int, pg page) { s.showReferralMetrics(w, r, status, pg) })
}
