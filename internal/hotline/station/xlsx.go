package station

import (
	"io"
	"math"
	"time"

	"github.com/xuri/excelize/v2"
)

// HiddenText is how a hidden count is shown and exported.
const HiddenText = "<5"

// WriteXLSX writes the statistics as a workbook: a summary sheet (contacts,
// persons, the live queue per channel) and one sheet per table. text
// translates a message key in locale. Rates are percentages to one
// decimal, waits whole seconds; a hidden figure is "<5" (or "—" for a rate
// or wait that would give one away).
func WriteXLSX(w io.Writer, st *Stats, locale string, text func(key string) string) error {
	f := excelize.NewFile()
	defer f.Close()
	sum := sheetName(text("station.stats.summary"))
	if err := f.SetSheetName(f.GetSheetName(0), sum); err != nil {
		return err
	}
	rows := [][]any{
		{text("station.station"), st.Station.DisplayName(locale)},
		{text("station.from"), st.Period.First()},
		{text("station.to"), st.Period.Last()},
		{text("station.person_times"), count(st.Contacts)},
		{text("station.persons"), count(st.Persons)},
		{text("station.unprofiled"), count(st.Unprofiled)},
		{},
		{text("station.queue_channel"), text("station.offered"), text("station.answered"), text("station.abandoned"),
			text("station.answer_rate"), text("station.abandon_rate"), text("station.avg_wait_s"), text("station.worst_wait_s")},
	}
	for _, q := range append(append([]Queue{}, st.Queues...), st.Queue) {
		name := text("station.all_channels")
		if q.Channel != "" {
			name = text("contact.channel." + q.Channel)
		}
		rows = append(rows, []any{name, count(q.Offered), count(q.Answered), count(q.Abandoned),
			percent(q.AnswerRate), percent(q.AbandonRate), seconds(q.AvgWait), seconds(q.WorstWait)})
	}
	if err := setRows(f, sum, rows); err != nil {
		return err
	}
	for _, t := range st.Tables {
		name := sheetName(text("station.dim." + t.Dim))
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
		rows := [][]any{{text("station.dim." + t.Dim), text("station.count")}}
		for _, r := range t.Rows {
			rows = append(rows, []any{Label(t.Dim, r, locale, text), count(r.N)})
		}
		if err := setRows(f, name, rows); err != nil {
			return err
		}
	}
	return f.Write(w)
}

func setRows(f *excelize.File, sheet string, rows [][]any) error {
	for i, row := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return err
		}
		if len(row) == 0 {
			continue
		}
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return err
		}
	}
	return nil
}

// sheetName trims a name to Excel's 31 characters and drops the characters
// it refuses.
func sheetName(s string) string {
	var out []rune
	for _, c := range s {
		switch c {
		case ':', '\\', '/', '?', '*', '[', ']':
			continue
		}
		out = append(out, c)
	}
	if len(out) > 31 {
		out = out[:31]
	}
	return string(out)
}

// count is a count as exported: the number, or "<5" when hidden.
func count(n int) any {
	if n == Hidden {
		return HiddenText
	}
	return n
}

// percent is a rate (0..1) as a percentage to one decimal, "—" if hidden.
func percent(r float64) any {
	if r < 0 {
		return "—"
	}
	return math.Round(r*1000) / 10
}

// seconds is a wait in whole seconds, "—" if hidden.
func seconds(d time.Duration) any {
	if d < 0 {
		return "—"
	}
	return int64(math.Round(d.Seconds()))
}
