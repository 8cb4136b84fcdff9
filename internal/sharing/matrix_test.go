package sharing_test

import (
	"slices"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/sharing"
	"github.com/careloop/careloop/internal/testutil"
)

// TestAuthorizationMatrixSharing extends the foundation's authorization
// matrix to disclosures, consents, emergency access, sharing agreements
// and joint meetings: every role placed at every unit of the network tries
// every act on school A1's teen (and B1's student), a disclosure log, a
// grant someone else holds, an agreement from A1 to the police and a
// meeting district A convened with the police and the hospital; the
// expectation comes from the role table and the parent links.
func TestAuthorizationMatrixSharing(t *testing.T) {
	e := newEnv(t)
	// What exists before the matrix's principals do: disclosures from A1
	// and from the hotline branch, the hotline counsellor's grant to the
	// teen's record, an agreement and a meeting.
	e.disclose(e.counsellorA1, e.teen, e.a1.ID, e.police.ID, "crisis")
	e.disclose(e.hotline, 0, e.branch.ID, e.police.ID, "crisis")
	others := e.breakGlass(e.hotline, "S-TEEN", false)
	agreement := e.agreement(e.coordA, e.a1.ID, e.police.ID, "crisis", "identity")
	meeting, err := e.svc.CreateMeeting(e.ctx, e.coordA, sharing.NewMeeting{ConveningUnit: e.distA.ID, Title: "联席会议", HeldAt: monday,
		Members: []int64{e.police.ID, e.hospital.ID}})
	if err != nil {
		t.Fatal(err)
	}
	newConsent := func() int64 {
		id, err := e.svc.RecordConsent(e.ctx, e.counsellorA1, e.teen, consent(sharing.ConsentGuardian, "mother", "王芳", monday, "referral"))
		if err != nil {
			t.Fatalf("RecordConsent: %v", err)
		}
		return id
	}

	units := []*org.Unit{e.city, e.distA, e.a1, e.a2, e.distB, e.b1, e.station, e.branch, e.police, e.hospital, e.civil}
	tr := testutil.Tree{}
	for _, u := range units {
		tr[u.ID] = u.ParentID
	}
	field := func(name, key string) func(error) bool {
		return func(err error) bool { return testutil.Refused(err) || apperr.FieldsOf(err)[name] == key }
	}
	inScope := func(err error) bool { return testutil.Refused(err) || apperr.MessageOf(err) == "emergency.in_scope" }
	m := &testutil.Matrix{T: t}
	var consentID, endable int64
	for _, role := range access.RoleNames() {
		for _, home := range units {
			user := e.user(role, home)
			for _, v := range testutil.Variants {
				if v.Limit != nil && home != units[0] { // tokens at the root only: the widest reach
					continue
				}
				p := user
				p.Limit = v.Limit
				who := role + "@" + home.Name + v.Name
				has := func(perm access.Permission, u *org.Unit) bool { return tr.Holds(v, role, home, perm, u) }

				// Disclosures: the record's owner (record.read over the
				// child's school) and the from-unit's sharing.manage.
				_, _, err := e.svc.StudentDisclosures(e.ctx, p, e.teen)
				m.Cell(who, "read a student's disclosures", has(access.RecordRead, e.a1), err, testutil.Refused)
				for _, from := range []*org.Unit{e.a1, e.branch} {
					l, err := e.svc.UnitDisclosures(e.ctx, p)
					m.Cell(who, "read the disclosure log of "+from.Name, has(access.SharingManage, from),
						testutil.Found(slices.ContainsFunc(l, func(d sharing.LoggedDisclosure) bool { return d.From.ID == from.ID }), err), testutil.Refused)
				}

				// Consents: record.write over the child's school.
				write := has(access.RecordWrite, e.a1)
				_, _, err = e.svc.Consents(e.ctx, p, e.teen)
				m.Cell(who, "read consents", write, err, testutil.Refused)
				_, err = e.svc.RecordConsent(e.ctx, p, e.teen, consent(sharing.ConsentSensitive, "mother", "王芳", monday, "referral"))
				m.Cell(who, "record consent", write, err, testutil.Refused)
				if consentID == 0 {
					consentID = newConsent()
				}
				err = e.svc.WithdrawConsent(e.ctx, p, e.teen, consentID, "mother")
				m.Cell(who, "withdraw consent", write, err, testutil.Refused)
				if err == nil {
					consentID = 0
				}

				// Emergency access: record.emergency anywhere, for a child
				// out of the caller's record.read scope; reads through one's
				// own grant only; a grant of someone else is no one's door.
				for _, c := range []struct {
					no     string
					school *org.Unit
				}{{"S-TEEN", e.a1}, {"S-OTHER", e.b1}} {
					want := v.Can(role, access.EmergencyAccess) && !has(access.RecordRead, c.school)
					id, err := e.svc.StartEmergency(e.ctx, p, sharing.EmergencyRequest{StudentNo: c.no, Reason: reason})
					m.Cell(who, "start emergency access to "+c.no, want, err, inScope)
					_, err = e.svc.EmergencyRecord(e.ctx, p, id)
					m.Cell(who, "read "+c.no+" through own grant", want, err, testutil.Refused)
				}
				_, err = e.svc.EmergencyRecord(e.ctx, p, others)
				m.Cell(who, "read through another's grant", false, err, testutil.Refused)
				_, err = e.svc.ReviewGrant(e.ctx, p, others)
				m.Cell(who, "review a grant one was not alerted of", false, err, testutil.Refused)

				// Agreements: sharing.manage over either end; writes over the
				// from-unit.
				l, err := e.svc.Agreements(e.ctx, p)
				m.Cell(who, "list agreements", has(access.SharingManage, e.a1) || has(access.SharingManage, e.police),
					testutil.Found(slices.ContainsFunc(l, func(a sharing.Agreement) bool { return a.ID == agreement }), err), testutil.Refused)
				_, err = e.svc.CreateAgreement(e.ctx, p, sharing.NewAgreement{FromUnit: e.a1.ID, ToUnit: e.police.ID, Data: []string{"identity"},
					Purpose: "crisis", LegalBasis: "legal_duty", LegalRef: "未成年人保护法", ValidFrom: monday, ValidTo: monday.AddDate(1, 0, 0)})
				m.Cell(who, "create an agreement", has(access.SharingManage, e.a1), err, field("from_unit", "sharing.bad_unit"))
				if endable == 0 {
					endable = e.agreement(e.coordA, e.a1.ID, e.hospital.ID, "referral", "identity")
				}
				err = e.svc.EndAgreement(e.ctx, p, endable)
				m.Cell(who, "end an agreement", has(access.SharingManage, e.a1), err, testutil.Refused)
				if err == nil {
					endable = 0
				}

				// Meetings: meeting.manage over the convening unit or a
				// member unit to see; over the convening unit to edit.
				see := has(access.MeetingManage, e.distA) || has(access.MeetingManage, e.police) || has(access.MeetingManage, e.hospital)
				ms, err := e.svc.Meetings(e.ctx, p)
				m.Cell(who, "list meetings", see, testutil.Found(slices.ContainsFunc(ms, func(j sharing.JointMeeting) bool { return j.ID == meeting }), err), testutil.Refused)
				_, err = e.svc.FindMeeting(e.ctx, p, meeting)
				m.Cell(who, "read a meeting", see, err, testutil.Refused)
				_, err = e.svc.CreateMeeting(e.ctx, p, sharing.NewMeeting{ConveningUnit: e.distA.ID, Title: "x", HeldAt: monday, Members: []int64{e.police.ID}})
				m.Cell(who, "convene a meeting", has(access.MeetingManage, e.distA), err, field("convening_unit", "sharing.bad_unit"))
				err = e.svc.SetDecisions(e.ctx, p, meeting, "决定："+who)
				m.Cell(who, "record a meeting's decisions", has(access.MeetingManage, e.distA), err, testutil.Refused)
			}
		}
	}
	// Reviewing a grant: the watchers alerted of it (the holder's station
	// supervisor and the school's leader) may, while they hold the
	// permission the review needs (alert.handle); not through a token
	// without it, nor after their role changed to one without it.
	for _, w := range []access.Principal{e.supervisor, e.leaderA1} {
		who := "watcher " + w.Memberships[0].Role
		_, err := e.svc.ReviewGrant(e.ctx, w, others)
		m.Cell(who, "review a grant one was alerted of", true, err, testutil.Refused)
		token := w
		token.Limit = testutil.Variants[1].Limit
		_, err = e.svc.ReviewGrant(e.ctx, token, others)
		m.Cell(who+testutil.Variants[1].Name, "review a grant one was alerted of", false, err, testutil.Refused)
		moved := w
		moved.Memberships = []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.Researcher}}
		_, err = e.svc.ReviewGrant(e.ctx, moved, others)
		m.Cell(who+" now researcher", "review a grant one was alerted of", false, err, testutil.Refused)
	}
	m.Report("sharing")
}
