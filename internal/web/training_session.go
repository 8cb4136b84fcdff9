package web

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"image/png"
	"net/http"
	"strconv"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/training"
)

// trainingSessionView is a session's page for its managers: the
// attendance list, assigning people, the check-in QR code and the import.
type trainingSessionView struct {
	S          *training.Session
	CheckinURL string       // set right after a code is made (shown once)
	QR         template.URL // the QR code of CheckinURL, as a data: URL
	Import     *training.ImportReport
	ImportRows string // the checked rows, carried to the real run
	File       string
}

func (s *Server) trainingSession(w http.ResponseWriter, r *http.Request) {
	s.showTrainingSession(w, r, http.StatusOK, page{}, trainingSessionView{})
}

func (s *Server) showTrainingSession(w http.ResponseWriter, r *http.Request, status int, pg page, v trainingSessionView) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	x, err := s.Training.FindSession(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.S = x
	pg.Title, pg.Active, pg.Data = "training.session", "training", v
	s.render(w, r, status, "training_session", pg)
}

func (s *Server) afterTrainingSessionWrite(w http.ResponseWriter, r *http.Request, err error, flash string) {
	s.afterWrite(w, r, err, page{Flash: flash}, func(status int, pg page) { s.showTrainingSession(w, r, status, pg, trainingSessionView{}) })
}

func (s *Server) trainingAssign(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.Training.Assign(r.Context(), principal(r), id, r.PostFormValue("username"))
	if apperr.CodeOf(err) == apperr.EConflict {
		s.showTrainingSession(w, r, http.StatusConflict, page{Error: apperr.MessageOf(err), Form: r.PostForm}, trainingSessionView{})
		return
	}
	s.afterTrainingSessionWrite(w, r, err, "training.assigned")
}

// trainingAttendance saves the list: every enrolled person's box is sent
// as "seen_<id>", ticked ones also as "present_<id>".
func (s *Server) trainingAttendance(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_ = r.ParseForm()
	present := map[int64]bool{}
	for k := range r.PostForm {
		if u, ok := strings.CutPrefix(k, "seen_"); ok {
			if n, err := strconv.ParseInt(u, 10, 64); err == nil {
				present[n] = r.PostForm.Get("present_"+u) != ""
			}
		}
	}
	s.afterTrainingSessionWrite(w, r, s.Training.SetAttendance(r.Context(), principal(r), id, present), "training.attendance_saved")
}

// trainingQR draws content as a QR code big enough to scan from a
// projector or a printed sheet at the door.
func trainingQR(content string) template.URL {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return ""
	}
	if code, err = barcode.Scale(code, 320, 320); err != nil {
		return ""
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, code); err != nil {
		return ""
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
}

func (s *Server) trainingCheckinCode(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	token, err := s.Training.CheckinCode(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u := s.baseURL(r) + "/training/checkin/" + token
	s.showTrainingSession(w, r, http.StatusOK, page{Flash: "training.code_made"}, trainingSessionView{CheckinURL: u, QR: trainingQR(u)})
}

// trainingImport checks an uploaded attendance file (a dry run) and shows
// the row-by-row report; nothing is written yet.
func (s *Server) trainingImport(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 32<<20)
	f, hdr, err := r.FormFile("file")
	if err != nil {
		s.showTrainingSession(w, r, http.StatusUnprocessableEntity, page{Error: "training.file_required"}, trainingSessionView{})
		return
	}
	defer f.Close()
	rows, err := training.ParseAttendance(f)
	if err != nil {
		s.showTrainingSession(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err)}, trainingSessionView{})
		return
	}
	s.trainingImportReport(w, r, rows, true, hdr.Filename)
}

// trainingImportRun imports the rows the dry run checked, all or nothing;
// the service checks every row again.
func (s *Server) trainingImportRun(w http.ResponseWriter, r *http.Request) {
	var rows []training.ImportRow
	if err := json.Unmarshal([]byte(r.PostFormValue("rows")), &rows); err != nil {
		s.showTrainingSession(w, r, http.StatusUnprocessableEntity, page{Error: "training.file_required"}, trainingSessionView{})
		return
	}
	s.trainingImportReport(w, r, rows, false, r.PostFormValue("file"))
}

func (s *Server) trainingImportReport(w http.ResponseWriter, r *http.Request, rows []training.ImportRow, dryRun bool, file string) {
	id, _ := pathID(r, "id")
	rep, err := s.Training.ImportAttendance(r.Context(), principal(r), id, rows, dryRun)
	if err != nil {
		if apperr.CodeOf(err) == apperr.EInvalid {
			s.showTrainingSession(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err)}, trainingSessionView{})
			return
		}
		s.fail(w, r, err)
		return
	}
	v := trainingSessionView{Import: rep, File: file}
	pg := page{}
	status := http.StatusOK
	switch {
	case rep.Imported:
		pg.Flash = "training.imported"
	case !rep.OK():
		status = http.StatusUnprocessableEntity
	default:
		b, _ := json.Marshal(rows)
		v.ImportRows = string(b)
	}
	s.showTrainingSession(w, r, status, pg, v)
}
