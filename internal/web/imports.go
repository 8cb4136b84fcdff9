package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/httpx"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/student/roster"
)

// importJob holds an uploaded roster between its dry run and the real run,
// and the real run's progress. Jobs live in memory for 30 minutes and are
// visible only to the user who uploaded them.
type importJob struct {
	mu       sync.Mutex
	owner    int64
	file     string
	rows     []student.RosterRow
	report   *student.ImportReport
	started  bool
	finished bool
	done     int
	failed   string // i18n key when the real run failed
	created  time.Time
}

type importJobs struct {
	mu   sync.Mutex
	jobs map[string]*importJob
}

func newImportJobs() *importJobs { return &importJobs{jobs: map[string]*importJob{}} }

func (j *importJobs) add(job *importJob) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	j.mu.Lock()
	defer j.mu.Unlock()
	for t, old := range j.jobs {
		if time.Since(old.created) > 30*time.Minute {
			delete(j.jobs, t)
		}
	}
	j.jobs[token] = job
	return token
}

func (j *importJobs) get(token string, owner int64) *importJob {
	j.mu.Lock()
	defer j.mu.Unlock()
	job := j.jobs[token]
	if job == nil || job.owner != owner {
		return nil
	}
	return job
}

type importView struct {
	Token    string
	File     string
	Report   *student.ImportReport
	Problems []student.RowProblem
	More     int
	Started  bool
	Finished bool
	Done     int
	Total    int
	Percent  int
	Failed   string
}

func (s *Server) importForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "import", page{Title: "student.import", Active: "students", Data: importView{}})
}

// importTemplate sends the roster template in the requested language.
func (s *Server) importTemplate(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("lang")
	if l != "en" {
		l = "zh-CN"
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="careloop-roster-`+l+`.xlsx"`)
	if err := roster.Template(w, l); err != nil {
		s.Log.Error("roster template", "err", err, "request_id", httpx.RequestID(r.Context()))
	}
}

// importUpload reads the file, validates every row (a dry run) and shows
// the report; nothing is written yet.
func (s *Server) importUpload(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<20)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "import", page{Title: "student.import", Active: "students",
			Error: "student.file_required", Data: importView{}})
		return
	}
	defer f.Close()
	rows, err := roster.Parse(f, hdr.Filename)
	if err != nil {
		key := apperr.MessageOf(err)
		if apperr.CodeOf(err) == apperr.EInternal {
			key = "student.file_unreadable"
		}
		s.render(w, r, http.StatusUnprocessableEntity, "import", page{Title: "student.import", Active: "students",
			Error: key, Data: importView{}})
		return
	}
	p := principal(r)
	rep, err := s.Student.Import(r.Context(), p, rows, true, nil)
	if err != nil {
		s.afterWrite(w, r, err, page{}, func(status int, pg page) {
			pg.Title, pg.Active, pg.Data = "student.import", "students", importView{}
			s.render(w, r, status, "import", pg)
		})
		return
	}
	job := &importJob{owner: p.UserID, file: hdr.Filename, rows: rows, report: rep, created: time.Now()}
	token := s.imports.add(job)
	s.render(w, r, http.StatusOK, "import", page{Title: "student.import", Active: "students", Data: job.view(token)})
}

// importRun starts the real, all-or-nothing import in the background.
func (s *Server) importRun(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	token := r.PathValue("token")
	job := s.imports.get(token, p.UserID)
	if job == nil {
		s.notFound(w, r)
		return
	}
	job.mu.Lock()
	ok := !job.started && job.report.OK()
	job.started = true
	job.mu.Unlock()
	if ok {
		go s.runImport(job, p)
	}
	http.Redirect(w, r, "/roster/"+token, http.StatusSeeOther)
}

func (s *Server) runImport(job *importJob, p access.Principal) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	rep, err := s.Student.Import(ctx, p, job.rows, false, func(done, total int) {
		job.mu.Lock()
		job.done = done
		job.mu.Unlock()
	})
	job.mu.Lock()
	defer job.mu.Unlock()
	job.finished, job.rows = true, nil
	if err != nil {
		job.failed = apperr.MessageOf(err)
		s.Log.Error("roster import failed", "err", err)
		return
	}
	job.report = rep
}

func (s *Server) importStatus(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	job := s.imports.get(token, principal(r).UserID)
	if job == nil {
		s.notFound(w, r)
		return
	}
	s.render(w, r, http.StatusOK, "import", page{Title: "student.import", Active: "students", Data: job.view(token)})
}

func (job *importJob) view(token string) importView {
	job.mu.Lock()
	defer job.mu.Unlock()
	v := importView{Token: token, File: job.file, Report: job.report, Started: job.started, Finished: job.finished,
		Done: job.done, Total: job.report.Rows, Failed: job.failed}
	v.Problems = job.report.Problems
	if len(v.Problems) > 500 {
		v.More, v.Problems = len(v.Problems)-500, v.Problems[:500]
	}
	if v.Total > 0 {
		v.Percent = v.Done * 100 / v.Total
	}
	return v
}
