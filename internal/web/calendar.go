package web

import (
	"net/http"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/family"
)

// calendarDay is one day of the week on /calendar.
type calendarDay struct {
	Date  string // YYYY-MM-DD, China time
	Slots []family.CalendarSlot
}

// calendarView is the staff's consultation calendar of one week.
type calendarView struct {
	Week       string // the Monday, YYYY-MM-DD
	Prev, Next string
	All        bool
	Days       []calendarDay
	Units      []family.SlotUnit
	Modes      []string
}

// weekOf is the Monday (China time, 00:00) of the week holding day.
func weekOf(day time.Time) time.Time {
	d := day.In(displayZone)
	d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, displayZone)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

func (s *Server) calendar(w http.ResponseWriter, r *http.Request) {
	s.showCalendar(w, r, http.StatusOK, page{})
}

func (s *Server) showCalendar(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	q := r.URL.Query()
	if r.Method != http.MethodGet {
		q = r.PostForm
	}
	start := weekOf(time.Now())
	if t, err := time.ParseInLocation("2006-01-02", q.Get("week"), displayZone); err == nil {
		start = weekOf(t)
	}
	all := q.Get("all") == "1"
	slots, err := s.Family.Calendar(r.Context(), p, start, start.AddDate(0, 0, 7), all)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	units, err := s.Family.SlotUnits(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := calendarView{Week: start.Format("2006-01-02"), Prev: start.AddDate(0, 0, -7).Format("2006-01-02"),
		Next: start.AddDate(0, 0, 7).Format("2006-01-02"), All: all, Units: units, Modes: family.Modes}
	for i := 0; i < 7; i++ {
		day := start.AddDate(0, 0, i)
		cd := calendarDay{Date: day.Format("2006-01-02")}
		for _, sl := range slots {
			if time.UnixMicro(sl.StartsAt).In(displayZone).Format("2006-01-02") == cd.Date {
				cd.Slots = append(cd.Slots, sl)
			}
		}
		v.Days = append(v.Days, cd)
	}
	pg.Title, pg.Active, pg.Data = "calendar.title", "calendar", v
	s.render(w, r, status, "calendar", pg)
}

func (s *Server) calendarAddSlot(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "error.invalid")
		return
	}
	f := r.PostForm
	start := formDateTime(f, "starts")
	_, err := s.Family.AddSlot(r.Context(), principal(r), family.NewSlot{UnitID: formInt(f, "unit"), StartsAt: start,
		Minutes: int(formInt(f, "minutes")), Mode: f.Get("mode"), Place: f.Get("place")})
	if err == nil && !start.IsZero() {
		f.Set("week", weekOf(start).Format("2006-01-02"))
	}
	s.afterWrite(w, r, err, page{Flash: "calendar.slot_added"}, func(status int, pg page) { s.showCalendar(w, r, status, pg) })
}

func (s *Server) calendarCancelSlot(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	err := s.Family.CancelSlot(r.Context(), principal(r), id, r.PostFormValue("reason"))
	s.afterWrite(w, r, err, page{Flash: "calendar.slot_cancelled"}, func(status int, pg page) { s.showCalendar(w, r, status, pg) })
}

func (s *Server) calendarConfirm(w http.ResponseWriter, r *http.Request) {
	s.calendarDecide(w, r, true)
}

func (s *Server) calendarCancelBooking(w http.ResponseWriter, r *http.Request) {
	s.calendarDecide(w, r, false)
}

func (s *Server) calendarDecide(w http.ResponseWriter, r *http.Request, confirm bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	err := s.Family.DecideBooking(r.Context(), principal(r), id, confirm, r.PostFormValue("reason"))
	flash := "calendar.booking_confirmed"
	if !confirm {
		flash = "calendar.booking_cancelled"
	}
	if apperr.CodeOf(err) == apperr.EConflict {
		s.showCalendar(w, r, http.StatusConflict, page{Error: apperr.MessageOf(err)})
		return
	}
	s.afterWrite(w, r, err, page{Flash: flash}, func(status int, pg page) { s.showCalendar(w, r, status, pg) })
}
