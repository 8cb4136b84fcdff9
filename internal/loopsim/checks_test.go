package loopsim

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/warning"
)

// checkCritical: every critical answer, submitted or saved in a draft,
// produced a red alert in the same transaction: the alert has a red signal
// from that campaign, of that source, at the very instant the answer was
// recorded (the clock is still in a step, so only the same transaction
// can give the same instant reliably — and a reader running alongside the
// screenings never saw an answer without its alert).
func (s *sim) checkCritical(t *testing.T) {
	st := s.screen
	type sig struct {
		alert        int64
		level        string
		raised       int64
		alertLevel   string
		source       string
		at, sourceID int64
	}
	byStudent := map[int64][]sig{}
	s.each(`SELECT a.student_id, a.id, a.level, a.raised_at, g.source, g.source_id, g.at, g.level FROM alerts a
		JOIN alert_signals g ON g.alert_id = a.id`, nil, func(sc func(...any) error) error {
		var student int64
		var g sig
		err := sc(&student, &g.alert, &g.alertLevel, &g.raised, &g.source, &g.sourceID, &g.at, &g.level)
		byStudent[student] = append(byStudent[student], g)
		return err
	})
	find := func(student, campaign, at int64, source string) (sig, bool) {
		for _, g := range byStudent[student] {
			if g.sourceID == campaign && g.at == at && g.source == source && g.level == "red" {
				return g, true
			}
		}
		return sig{}, false
	}
	checked, joined := 0, 0
	verify := func(what string, student, campaign, at int64, source string) {
		checked++
		g, ok := find(student, campaign, at, source)
		switch {
		case !ok:
			t.Errorf("%s of student %d at %s: no red %s signal of campaign %d at that instant", what, student, fmtMicro(at), source, campaign)
		case g.alertLevel != "red":
			t.Errorf("%s of student %d: alert %d is %s", what, student, g.alert, g.alertLevel)
		case g.raised > at:
			t.Errorf("%s of student %d at %s: alert %d raised later, at %s", what, student, fmtMicro(at), g.alert, fmtMicro(g.raised))
		case g.raised < at:
			joined++ // it joined (and raised to red) an alert already open: a concern report or the draft
		}
	}
	responses := 0
	s.each(`SELECT student_id, campaign_id, submitted_at FROM responses WHERE critical = 1`, nil, func(sc func(...any) error) error {
		var student, campaign, at int64
		err := sc(&student, &campaign, &at)
		verify("critical response", student, campaign, at, "screening")
		responses++
		return err
	})
	outbox := 0
	s.each(`SELECT student_id, ref_id, created_at, payload FROM outbox WHERE kind = 'screening.critical'`, nil, func(sc func(...any) error) error {
		var student, campaign, at int64
		var payload string
		err := sc(&student, &campaign, &at, &payload)
		source := "screening"
		if strings.Contains(payload, "source=draft") {
			source = "draft"
		}
		verify("critical event ("+payload+")", student, campaign, at, source)
		outbox++
		return err
	})
	want := 0
	for _, a := range st.answers {
		want += b2i(a.critical || a.draft == 1 || a.draft == 2)
	}
	if outbox != want {
		t.Errorf("%d screening.critical events, want %d (students who gave a critical answer)", outbox, want)
	}
	if n := st.violations.Load(); n != 0 || st.polls.Load() == 0 {
		t.Errorf("the reader alongside the screenings saw %d critical answers without their alert in %d reads", n, st.polls.Load())
	}
	t.Logf("%d critical responses and %d critical events checked (%d joined an alert already open); %d concurrent reads saw none without its alert",
		responses, outbox, joined, st.polls.Load())
}

// checkOwners: no alert was ever without an owner. The first owner (told
// by the alert.raised notification in the raising transaction) is the
// school counsellor in school hours, else whoever was on duty; every
// escalation names an active person holding the step; the owner now is
// one of them or whoever acknowledged.
func (s *sim) checkOwners(t *testing.T) {
	n := s.net
	active := map[int64]bool{}
	s.each(`SELECT id FROM users WHERE active = 1`, nil, func(sc func(...any) error) error {
		var id int64
		err := sc(&id)
		active[id] = true
		return err
	})
	first := map[int64][]int64{}
	s.each(`SELECT ref_id, user_id FROM notifications WHERE kind = 'alert.raised'`, nil, func(sc func(...any) error) error {
		var a, u int64
		err := sc(&a, &u)
		first[a] = append(first[a], u)
		return err
	})
	holders := map[int64]map[int64]bool{}
	for _, e := range s.escalations() {
		if e.to <= 0 || !active[e.to] {
			t.Errorf("escalation %s %d seq %d went to user %d (active: %v)", e.typ, e.item, e.seq, e.to, active[e.to])
		}
		if e.typ == "alert" {
			if holders[e.item] == nil {
				holders[e.item] = map[int64]bool{}
			}
			holders[e.item][e.to] = true
		}
	}
	count := 0
	s.each(`SELECT id, student_id, raised_at, owner_user_id, acknowledged_by FROM alerts`, nil, func(sc func(...any) error) error {
		var id, student, raised, owner, ackBy int64
		if err := sc(&id, &student, &raised, &owner, &ackBy); err != nil {
			return err
		}
		count++
		sch := n.schoolOf[student]
		want := n.supervisor.UserID
		if warning.DefaultHours().Open(db.FromMicro(raised)) && sch.counsellor.UserID != 0 {
			want = sch.counsellor.UserID
		}
		switch {
		case owner <= 0 || !active[owner]:
			t.Errorf("alert %d: owner %d (active: %v)", id, owner, active[owner])
		case len(first[id]) != 1 || first[id][0] != want:
			t.Errorf("alert %d raised %s at %s: first owners %v, want [%d]", id, fmtMicro(raised), sch.unit.Code, first[id], want)
		case owner != want && owner != ackBy && !holders[id][owner]:
			t.Errorf("alert %d: owner %d is neither its first owner, an escalation's holder nor who acknowledged it", id, owner)
		}
		return nil
	})
	for kind, item := range map[string]string{"alert.escalated": "alert", "follow_up.overdue": "follow_up"} {
		told := s.num(`SELECT COUNT(*) FROM notifications WHERE kind = ?`, kind)
		if rows := s.num(`SELECT COUNT(*) FROM escalations WHERE item_type = ?`, item); told != rows {
			t.Errorf("%d %s notifications for %d %s escalations", told, kind, rows, item)
		}
	}
	t.Logf("%d alerts: each with an active owner from the start, told in the raising transaction; every escalation told its holder", count)
}

// riverJob is a row of river_job as the checks need it.
type riverJob struct {
	id      int64
	kind    string
	state   string
	attempt int
	args    string
	errors  string
}

func (s *sim) riverJobs() []riverJob {
	var out []riverJob
	s.each(`SELECT id, kind, state, attempt, `+s.jsonCol("args")+`, COALESCE(`+s.jsonCol("errors")+`, '') FROM river_job ORDER BY id`,
		nil, func(sc func(...any) error) error {
			var j riverJob
			var args, errs any
			if err := sc(&j.id, &j.kind, &j.state, &j.attempt, &args, &errs); err != nil {
				return err
			}
			j.args, j.errors = text(args), text(errs)
			out = append(out, j)
			return nil
		})
	return out
}

func text(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// escalatingJobs counts the completed timer jobs that escalated: those
// whose arguments name the generation an escalation row ended.
func escalatingJobs(t *testing.T, jobs []riverJob, rows []esc) (map[string]int, map[string]int) {
	have := map[string]bool{}
	for _, e := range rows {
		have[fmt.Sprintf("%s/%d/%d/%s", e.typ, e.item, e.seq-1, e.deadline)] = true
	}
	escalated, completed := map[string]int{}, map[string]int{}
	seen := map[string]int{}
	for _, j := range jobs {
		var key string
		switch j.kind {
		case "warning.deadline":
			var a warning.DeadlineArgs
			if err := json.Unmarshal([]byte(j.args), &a); err != nil {
				t.Fatalf("job %d args %q: %v", j.id, j.args, err)
			}
			key = fmt.Sprintf("alert/%d/%d/%s", a.AlertID, a.Seq, a.Deadline)
		case "care.follow_up_due":
			var a struct {
				ID  int64 `json:"follow_up_id"`
				Seq int   `json:"seq"`
			}
			if err := json.Unmarshal([]byte(j.args), &a); err != nil {
				t.Fatalf("job %d args %q: %v", j.id, j.args, err)
			}
			key = fmt.Sprintf("follow_up/%d/%d/due", a.ID, a.Seq)
		default:
			continue
		}
		if seen[key]++; seen[key] > 1 {
			t.Errorf("two timer jobs for %s", key)
		}
		if j.state == "completed" {
			completed[j.kind]++
			if have[key] {
				escalated[j.kind]++
			}
		}
	}
	return escalated, completed
}

// observe runs a burst of screenings while another reader checks, again
// and again, that no critical answer is visible without its red alert: if
// the alert were raised in a later transaction, a read could fall between.
func (s *sim) observe(burst func()) {
	st := s.screen
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			var n int64
			err := s.readOne(`SELECT
				(SELECT COUNT(*) FROM responses r WHERE r.critical = 1 AND NOT EXISTS (SELECT 1 FROM alerts a
					JOIN alert_signals g ON g.alert_id = a.id WHERE a.student_id = r.student_id AND g.source_id = r.campaign_id
					AND g.source IN ('screening', 'draft') AND g.level = 'red'))
				+ (SELECT COUNT(*) FROM outbox o WHERE o.kind = 'screening.critical' AND NOT EXISTS (SELECT 1 FROM alerts a
					JOIN alert_signals g ON g.alert_id = a.id WHERE a.student_id = o.student_id AND g.source_id = o.ref_id
					AND g.source IN ('screening', 'draft') AND g.level = 'red'))`, &n)
			if err == nil {
				st.polls.Add(1)
				st.violations.Add(n)
			}
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	burst()
	close(done)
	wg.Wait()
}
