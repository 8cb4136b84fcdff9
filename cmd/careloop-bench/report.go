package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// The target of issue 3 point 14, for SQLite.
const (
	targetRatio = 0.5
	targetP99ms = 25.0
)

type latency struct {
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

func summarize(ds []time.Duration) latency {
	if len(ds) == 0 {
		return latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) float64 { return ms(s[min(len(s)-1, int(math.Ceil(p*float64(len(s))))-1)]) }
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return latency{P50: q(0.50), P95: q(0.95), P99: q(0.99), Max: ms(s[len(s)-1]), Mean: ms(sum / time.Duration(len(s)))}
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

func round(f float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(f*p) / p
}

// phaseReport is one HTTP run: a submission is one student, that is the
// code check plus the answers request.
type phaseReport struct {
	Submissions     int      `json:"submissions"`
	Seconds         float64  `json:"seconds"`
	SubmissionsPerS float64  `json:"submissions_per_s"`
	RequestsPerS    float64  `json:"requests_per_s"` // code checks + answers + double clicks
	Answers         latency  `json:"answers"`
	CodeCheck       latency  `json:"code_check"`
	Retries         int      `json:"double_clicks"`
	Errors          int      `json:"errors"`
	ErrorSamples    []string `json:"error_samples,omitempty"`
	CPU             cpuUse   `json:"cpu"`
	// CPUPerSubmission is the process's CPU time (server and load
	// generator together) divided by the submissions, in milliseconds.
	CPUPerSubmission float64 `json:"cpu_ms_per_submission"`
}

func newPhaseReport(p *phase) phaseReport {
	sec := p.Wall.Seconds()
	return phaseReport{Submissions: p.Submissions, Seconds: round(sec, 3), SubmissionsPerS: round(float64(p.Submissions)/sec, 1),
		RequestsPerS: round(float64(2*p.Submissions+p.Retries)/sec, 1), Answers: summarize(p.Answers),
		CodeCheck: summarize(p.Codes), Retries: p.Retries, Errors: p.Errors, ErrorSamples: p.Samples, CPU: roundCPU(p.CPU),
		CPUPerSubmission: round(p.CPU.ProcessCores*sec*1000/float64(max(1, p.Submissions)), 3)}
}

func roundCPU(c cpuUse) cpuUse {
	return cpuUse{ProcessCores: round(c.ProcessCores, 2), MachineBusy: round(c.MachineBusy, 2), IOWait: round(c.IOWait, 2), DiskWriteBytes: c.DiskWriteBytes}
}

type insertReport struct {
	insertResult
	Seconds         float64 `json:"seconds"`
	RowsPerS        float64 `json:"rows_per_s"`
	SubmissionsPerS float64 `json:"submissions_per_s"`
}

type report struct {
	Engine         string       `json:"engine"`
	Cores          int          `json:"cores"`
	Go             string       `json:"go"`
	Submissions    int          `json:"submissions"`
	Clients        int          `json:"clients"`
	Warmup         int          `json:"warmup"`
	PerConnection  int          `json:"students_per_connection"`
	SeedSeconds    float64      `json:"seed_seconds"`
	FsyncPerS      float64      `json:"fsync_per_s"`        // 4 KiB write + fdatasync rounds per second on the data disk
	LoadStart      float64      `json:"load_average_start"` // one-minute load average before the run
	LoadEnd        float64      `json:"load_average_end"`
	Careloop       phaseReport  `json:"careloop"`
	BareHTTP       phaseReport  `json:"baseline_http"`
	Insert         insertReport `json:"baseline_insert"`
	RatioVsHTTP    float64      `json:"ratio_vs_http"`   // careloop submissions/s ÷ baseline (a) submissions/s
	RatioVsInsert  float64      `json:"ratio_vs_insert"` // careloop submissions/s ÷ baseline (b) submissions/s
	TargetApplies  bool         `json:"target_applies"`  // the target is set for SQLite
	TargetRatioMet bool         `json:"target_ratio_met"`
	TargetP99Met   bool         `json:"target_p99_met"`
	TargetMet      bool         `json:"target_met"`
	// CPUBudget is the most CPU a submission may cost (server and load
	// generator together, in milliseconds) for careloop to reach the
	// target ratio even with every core of the machine busy with it alone.
	CPUBudget      float64     `json:"cpu_ms_per_submission_at_target"`
	Verify         *verdict    `json:"verify"`
	PGWaits        []waitShare `json:"postgres_waits,omitempty"` // what careloop's backends were doing in the measured phase
	CPUProfile     string      `json:"cpu_profile,omitempty"`
	BlockProfile   string      `json:"block_profile,omitempty"`
	MutexProfile   string      `json:"mutex_profile,omitempty"`
	ElapsedSeconds float64     `json:"elapsed_seconds"`
}

func (r *report) finish() {
	ins := &r.Insert
	sec := ins.Wall.Seconds()
	ins.Seconds, ins.RowsPerS, ins.SubmissionsPerS = round(sec, 3), round(float64(ins.Rows)/sec, 0), round(float64(ins.Submissions)/sec, 1)
	ins.CPU = roundCPU(ins.CPU)
	if r.BareHTTP.SubmissionsPerS > 0 {
		r.RatioVsHTTP = round(r.Careloop.SubmissionsPerS/r.BareHTTP.SubmissionsPerS, 3)
	}
	if ins.SubmissionsPerS > 0 {
		r.RatioVsInsert = round(r.Careloop.SubmissionsPerS/ins.SubmissionsPerS, 3)
	}
	r.TargetApplies = r.Engine == "sqlite"
	r.TargetRatioMet = r.RatioVsHTTP >= targetRatio
	r.TargetP99Met = r.Careloop.Answers.P99 < targetP99ms
	if r.BareHTTP.SubmissionsPerS > 0 {
		r.CPUBudget = round(float64(r.Cores)*1000/(targetRatio*r.BareHTTP.SubmissionsPerS), 3)
	}
	r.TargetMet = r.TargetRatioMet && r.TargetP99Met && r.Careloop.Errors == 0 && r.Verify != nil && r.Verify.OK
}

func yes(b bool) string {
	if b {
		return "met"
	}
	return "NOT met"
}

// print writes the report as a readable table.
func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "careloop-bench: %s, %d cores, %s; %d submissions (+%d warm-up) of PHQ-A + GAD-7 from %d clients, %d students per connection\n",
		r.Engine, r.Cores, r.Go, r.Submissions, r.Warmup, r.Clients, r.PerConnection)
	fmt.Fprintf(w, "machine: data disk %.0f fsyncs/s (4 KiB write + fdatasync); load average %.2f before, %.2f after\n\n",
		r.FsyncPerS, r.LoadStart, r.LoadEnd)
	fmt.Fprintf(w, "%-34s %10s %9s %8s %8s %8s %8s %7s  %s\n", "", "subm/s", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "cpu: process cores / machine busy / iowait")
	row := func(name string, p phaseReport, l latency, cpu bool) {
		c := ""
		if cpu {
			c = fmt.Sprintf("%.2f / %.0f%% / %.0f%%", p.CPU.ProcessCores, 100*p.CPU.MachineBusy, 100*p.CPU.IOWait)
		}
		fmt.Fprintf(w, "%-34s %10.0f %9.0f %8.2f %8.2f %8.2f %8.2f %7d  %s\n", name, p.SubmissionsPerS, p.RequestsPerS,
			l.P50, l.P95, l.P99, l.Max, p.Errors, c)
	}
	row("careloop  POST /s/answers", r.Careloop, r.Careloop.Answers, true)
	if b := r.Careloop.CPU.DiskWriteBytes; b > 0 && r.Careloop.Submissions > 0 {
		fmt.Fprintf(w, "%-34s %s\n", "", fmt.Sprintf("written to disk by the process: %.1f KB per submission (WAL and checkpoints)",
			float64(b)/1024/float64(r.Careloop.Submissions)))
	}
	fmt.Fprintf(w, "%-34s %10s %9s %8.2f %8.2f %8.2f %8.2f\n", "careloop  POST /s (code check)", "", "",
		r.Careloop.CodeCheck.P50, r.Careloop.CodeCheck.P95, r.Careloop.CodeCheck.P99, r.Careloop.CodeCheck.Max)
	row("(a) bare net/http, decode only", r.BareHTTP, r.BareHTTP.Answers, true)
	fmt.Fprintf(w, "%-34s %10s %9s %8.2f %8.2f %8.2f %8.2f\n", "(a) POST /s (cookie only)", "", "",
		r.BareHTTP.CodeCheck.P50, r.BareHTTP.CodeCheck.P95, r.BareHTTP.CodeCheck.P99, r.BareHTTP.CodeCheck.Max)
	i := r.Insert
	fmt.Fprintf(w, "%-34s %10.0f %9s %s\n", fmt.Sprintf("(b) batched inserts, %d/tx", i.Batch), i.SubmissionsPerS, "",
		fmt.Sprintf("%.0f rows/s (%d rows: %d per submission)   cpu %.2f / %.0f%% / %.0f%%", i.RowsPerS, i.Rows, i.Rows/max(1, i.Submissions),
			i.CPU.ProcessCores, 100*i.CPU.MachineBusy, 100*i.CPU.IOWait))
	fmt.Fprintf(w, "\nratios (submissions/s): careloop/(a) = %.3f   careloop/(b) = %.3f\n", r.RatioVsHTTP, r.RatioVsInsert)
	scope := "SQLite target"
	if !r.TargetApplies {
		scope = "SQLite target, shown for comparison only"
	}
	fmt.Fprintf(w, "target (%s): careloop >= %.1fx (a): %s (%.3f); p99 < %.0f ms: %s (%.2f ms); overall: %s\n",
		scope, targetRatio, yes(r.TargetRatioMet), r.RatioVsHTTP, targetP99ms, yes(r.TargetP99Met), r.Careloop.Answers.P99, strings.ToUpper(yes(r.TargetMet)))
	if r.CPUBudget > 0 {
		fmt.Fprintf(w, "cpu per submission (server and load generator): careloop %.3f ms, (a) %.3f ms; %.1fx (a) allows at most %.3f ms on %d cores, all busy\n",
			r.Careloop.CPUPerSubmission, r.BareHTTP.CPUPerSubmission, targetRatio, r.CPUBudget, r.Cores)
	}
	if v := r.Verify; v != nil {
		status := "OK"
		if !v.OK {
			status = "FAILED: " + strings.Join(v.Problems, "; ")
		}
		fmt.Fprintf(w, "verify: %d/%d responses for %d students, %d students not exactly 2, %d completed events, %d/%d critical events, "+
			"%d submit audit entries, audit chain of %d entries %s: %s\n", v.Responses, v.ResponsesExpected, v.Students, v.StudentsNotTwo,
			v.Completed, v.Critical, v.CriticalExpected, v.AuditSubmits, v.AuditEntries, map[bool]string{true: "verified", false: "BROKEN"}[v.AuditOK], status)
	}
	if len(r.PGWaits) > 0 {
		var parts []string
		for _, ws := range r.PGWaits[:min(6, len(r.PGWaits))] {
			parts = append(parts, fmt.Sprintf("%s %.0f%%", ws.State, 100*ws.Share))
		}
		fmt.Fprintf(w, "postgres backends during the careloop phase: %s\n", strings.Join(parts, ", "))
	}
	for _, s := range append(r.Careloop.ErrorSamples, r.BareHTTP.ErrorSamples...) {
		fmt.Fprintf(w, "error: %s\n", s)
	}
	for _, p := range []string{r.CPUProfile, r.BlockProfile, r.MutexProfile} {
		if p != "" {
			fmt.Fprintf(w, "profile: %s\n", p)
		}
	}
	fmt.Fprintf(w, "seeding took %.1f s; whole run %.1f s\n", r.SeedSeconds, r.ElapsedSeconds)
}
