package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline/station"
)

// pickStation chooses the station of the request (?station= or the form)
// among those the caller may use, else the first of them.
func pickStation(r *http.Request, list []station.Station) int64 {
	id, _ := strconv.ParseInt(r.FormValue("station"), 10, 64)
	for _, u := range list {
		if u.ID == id {
			return id
		}
	}
	if len(list) > 0 {
		return list[0].ID
	}
	return 0
}

// stationPeriod reads from and to (YYYY-MM-DD, China time) from the
// request; without them, the last 30 days up to today. A bad period is
// replaced by the default and its problem key returned.
func (s *Server) stationPeriod(r *http.Request) (station.Period, string) {
	today := s.today().Format("2006-01-02")
	month := s.today().AddDate(0, 0, -29).Format("2006-01-02")
	from, to := r.FormValue("from"), r.FormValue("to")
	if from == "" && to == "" {
		from, to = month, today
	}
	per, err := station.Days(from, to)
	if err != nil {
		per, _ = station.Days(month, today)
		for _, problem := range apperr.FieldsOf(err) {
			return per, problem
		}
	}
	return per, ""
}

// rosterView is the station page: roster, cover and call-backs.
type rosterView struct {
	Stations  []station.Station
	Station   int64
	Roster    *station.Roster
	CallBacks []station.CallBack
}

func (s *Server) stationRoster(w http.ResponseWriter, r *http.Request) {
	s.showRoster(w, r, http.StatusOK, page{})
}

func (s *Server) showRoster(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	svc := s.Station
	list, err := svc.Stations(r.Context(), p, access.HotlineContact)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := rosterView{Stations: list, Station: pickStation(r, list)}
	if v.Station != 0 {
		if v.Roster, err = svc.Roster(r.Context(), p, v.Station); err != nil {
			s.fail(w, r, err)
			return
		}
		if v.CallBacks, err = svc.CallBacks(r.Context(), p, v.Station); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	pg.Title, pg.Active, pg.Data = "station.title", "station", v
	s.render(w, r, status, "station", pg)
}

func (s *Server) callBackCall(w http.ResponseWriter, r *http.Request) {
	s.markCalledBack(w, r, station.KindCall)
}

func (s *Server) callBackConversation(w http.ResponseWriter, r *http.Request) {
	s.markCalledBack(w, r, station.KindConversation)
}

// markCalledBack records a call-back and shows the station page again; a
// refusal (already called back, answered) is shown there as an error.
func (s *Server) markCalledBack(w http.ResponseWriter, r *http.Request, kind string) {
	id, _ := pathID(r, "id")
	err := s.Station.MarkCalledBack(r.Context(), principal(r), kind, id)
	switch apperr.CodeOf(err) {
	case "":
		s.showRoster(w, r, http.StatusOK, page{Flash: "station.called_back"})
	case apperr.EConflict:
		s.showRoster(w, r, http.StatusConflict, page{Error: apperr.MessageOf(err)})
	default:
		s.fail(w, r, err)
	}
}

// clock shows a time of day in China time.
func clock(t time.Time) string { return t.In(displayZone).Format("15:04") }

// waitText shows a wait as minutes:seconds (hours:minutes:seconds from an hour).
func waitText(d time.Duration) string {
	if d < 0 {
		return "—"
	}
	sec := int64(d.Round(time.Second) / time.Second)
	h, m, sc := sec/3600, sec%3600/60, sec%60
	two := func(n int64) string {
		if n < 10 {
			return "0" + strconv.FormatInt(n, 10)
		}
		return strconv.FormatInt(n, 10)
	}
	if h > 0 {
		return strconv.FormatInt(h, 10) + ":" + two(m) + ":" + two(sc)
	}
	return strconv.FormatInt(m, 10) + ":" + two(sc)
}

// Clock is a time of day in China time.
func (rosterView) Clock(t time.Time) string { return clock(t) }

// Until is the end of a gap on day d: "24:00" at the day's end.
func (rosterView) Until(d station.Day, t time.Time) string {
	if t.Equal(d.Date.AddDate(0, 0, 1)) {
		return "24:00"
	}
	return clock(t)
}

// Day is the date of a roster day, YYYY-MM-DD.
func (rosterView) Day(d station.Day) string { return d.Date.In(displayZone).Format("2006-01-02") }

// Wait is how long a caller waited before leaving.
func (rosterView) Wait(c station.CallBack) string {
	if c.EndedAt.IsZero() {
		return "—"
	}
	return waitText(c.Waited())
}
