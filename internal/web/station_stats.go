package web

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/hotline/station"
	"github.com/careloop/careloop/internal/httpx"
	"github.com/careloop/careloop/internal/i18n"
)

// statsView is a station's statistics page.
type statsView struct {
	Stations []station.Station
	Station  int64
	From, To string
	S        *station.Stats
	Tables   []statTable
	Queues   []queueLine
}

// statTable is one table of the page: labelled rows with bar lengths.
type statTable struct {
	Dim  string
	Rows []statRow
}

type statRow struct {
	Label  string
	N      int
	Hidden bool
	Max    int
}

// queueLine is one channel of the live queue, figures as shown.
type queueLine struct {
	Channel                      string // "" for all
	Offered, Answered, Abandoned string
	AnswerRate, AbandonRate      string
	AvgWait, WorstWait           string
}

// Count shows a count, "<5" when hidden.
func (statsView) Count(n int) string {
	if n == station.Hidden {
		return station.HiddenText
	}
	return strconv.Itoa(n)
}

func (s *Server) stationStats(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	svc := s.Station
	list, err := svc.Stations(r.Context(), p, access.HotlineSupervise, access.ReportRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	per, problem := s.stationPeriod(r)
	v := statsView{Stations: list, Station: pickStation(r, list), From: per.First(), To: per.Last()}
	if v.Station != 0 {
		if v.S, err = svc.Stats(r.Context(), p, v.Station, per); err != nil {
			s.fail(w, r, err)
			return
		}
		v.Tables, v.Queues = statLines(localeOf(r), v.S)
	}
	s.render(w, r, http.StatusOK, "station_stats", page{Title: "station.stats", Active: "station", Error: problem, Data: v})
}

// statLines labels the tables and formats the queue figures.
func statLines(l string, st *station.Stats) ([]statTable, []queueLine) {
	text := func(key string) string { return i18n.T(l, key) }
	count := statsView{}.Count
	var tables []statTable
	for _, t := range st.Tables {
		out := statTable{Dim: t.Dim}
		for _, row := range t.Rows {
			out.Rows = append(out.Rows, statRow{Label: station.Label(t.Dim, row, l, text), N: row.N, Hidden: row.N == station.Hidden, Max: max(t.Max, 1)})
		}
		tables = append(tables, out)
	}
	var queues []queueLine
	for _, q := range append(append([]station.Queue{}, st.Queues...), st.Queue) {
		queues = append(queues, queueLine{Channel: q.Channel, Offered: count(q.Offered), Answered: count(q.Answered), Abandoned: count(q.Abandoned),
			AnswerRate: percentText(q.AnswerRate, q.Offered), AbandonRate: percentText(q.AbandonRate, q.Offered),
			AvgWait: waitOf(q.AvgWait, q.Answered), WorstWait: waitOf(q.WorstWait, q.Answered)})
	}
	return tables, queues
}

func percentText(rate float64, offered int) string {
	if rate < 0 || offered == 0 {
		return "—"
	}
	return strconv.FormatFloat(rate*100, 'f', 1, 64) + "%"
}

func waitOf(d time.Duration, answered int) string {
	if answered == 0 {
		return "—"
	}
	return waitText(d)
}

// exportStationStats sends the statistics as XLSX in the caller's
// language; the export is audited.
func (s *Server) exportStationStats(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.FormValue("station"), 10, 64)
	per, err := station.Days(r.FormValue("from"), r.FormValue("to"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st, err := s.Station.ExportStats(r.Context(), principal(r), id, per)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l := localeOf(r)
	var buf bytes.Buffer
	if err := station.WriteXLSX(&buf, st, l, func(key string) string { return i18n.T(l, key) }); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="careloop-station-`+strconv.FormatInt(id, 10)+"-"+per.First()+"-"+per.Last()+`.xlsx"`)
	w.Header().Set("Cache-Control", "no-store")
	if _, err := buf.WriteTo(w); err != nil {
		s.Log.Error("station export write", "err", err, "request_id", httpx.RequestID(r.Context()))
	}
}
