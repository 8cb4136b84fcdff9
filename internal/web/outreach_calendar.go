package web

import (
	"net/http"
	"time"

	"github.com/careloop/careloop/internal/outreach"
)

// calDay is one day of the calendar with its activities.
type calDay struct {
	Date    time.Time
	InMonth bool
	Today   bool
	List    []outreach.Activity
}

// outreachCalendarView is a month: weeks of seven days (Monday first) for
// wide screens, and the days with activities for phones.
type outreachCalendarView struct {
	Month      string // 2026-11
	Prev, Next string
	Weeks      [][]calDay
	Days       []calDay // days of the month with activities
	Totals     outreach.Totals
}

// outreachCalendar shows a month of activities in the caller's scope
// (?month=2026-11; the current month by default), in China time.
func (s *Server) outreachCalendar(w http.ResponseWriter, r *http.Request) {
	now := time.Now().In(displayZone)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, displayZone)
	if m, err := time.ParseInLocation("2006-01", r.URL.Query().Get("month"), displayZone); err == nil && m.Year() >= 2000 && m.Year() <= 2100 {
		first = m
	}
	next := first.AddDate(0, 1, 0)
	list, tot, err := s.Outreach.Activities(r.Context(), principal(r), outreach.Filter{From: first, To: next})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	byDay := map[string][]outreach.Activity{}
	for _, a := range list {
		k := a.StartsAt.In(displayZone).Format("2006-01-02")
		byDay[k] = append(byDay[k], a)
	}
	v := outreachCalendarView{Month: first.Format("2006-01"), Prev: first.AddDate(0, -1, 0).Format("2006-01"), Next: next.Format("2006-01"), Totals: tot}
	today := now.Format("2006-01-02")
	// From the Monday on or before the 1st to the Sunday on or after the last day.
	day := first.AddDate(0, 0, -((int(first.Weekday()) + 6) % 7))
	for day.Before(next) {
		var week []calDay
		for i := 0; i < 7; i++ {
			k := day.Format("2006-01-02")
			d := calDay{Date: day, InMonth: day.Month() == first.Month(), Today: k == today, List: byDay[k]}
			week = append(week, d)
			if d.InMonth && len(d.List) > 0 {
				v.Days = append(v.Days, d)
			}
			day = day.AddDate(0, 0, 1)
		}
		v.Weeks = append(v.Weeks, week)
	}
	s.render(w, r, http.StatusOK, "outreach_calendar", page{Title: "outreach.calendar", Active: "outreach", Data: v})
}
