package web

import "github.com/careloop/careloop/internal/access"

// trainingRoutes registers the pages of internal/training: courses and
// sessions for those who manage training, the reports, and for every
// signed-in user their own training, self-enrolment and the check-in page
// a QR code at the door opens.
func (s *Server) trainingRoutes(g guards) {
	g.perm("GET /training", access.TrainingManage, s.trainingHome)
	g.perm("POST /training/courses", access.TrainingManage, s.trainingCreateCourse)
	g.perm("GET /training/courses/{id}", access.TrainingManage, s.trainingCourse)
	g.perm("POST /training/courses/{id}/sessions", access.TrainingManage, s.trainingSchedule)
	g.perm("GET /training/sessions/{id}", access.TrainingManage, s.trainingSession)
	g.perm("POST /training/sessions/{id}/assign", access.TrainingManage, s.trainingAssign)
	g.perm("POST /training/sessions/{id}/attendance", access.TrainingManage, s.trainingAttendance)
	g.perm("POST /training/sessions/{id}/checkin-code", access.TrainingManage, s.trainingCheckinCode)
	g.perm("POST /training/sessions/{id}/import", access.TrainingManage, s.trainingImport)
	g.perm("POST /training/sessions/{id}/import/run", access.TrainingManage, s.trainingImportRun)
	g.perm("GET /training/reports", access.TrainingManage, s.trainingReports)

	// Every staff member's own training; the service decides what each
	// may see and which sessions are offered to them.
	g.signedIn("GET /training/mine", s.trainingMine)
	g.signedIn("POST /training/sessions/{id}/enrol", s.trainingEnrol)
	g.signedIn("GET /training/checkin/{token}", s.trainingCheckinPage)
	g.signedIn("POST /training/checkin/{token}", s.trainingCheckIn)
}
