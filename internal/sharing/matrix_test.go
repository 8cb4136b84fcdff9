package sharing_test

import (
	"slices"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/sharing"
)

// matrix counts the cells of an authorization matrix over a service: each
// cell is one principal trying one action on one object, expected allowed
// or denied from the role table and the org tree alone.
type matrix struct {
	t                                          *testing.T
	cells, allows, wantAllows, unexpAllow, bad int
}

// cell records one outcome. denied says whether err is the refusal the
// action gives (ENotFound or EForbidden unless the action says otherwise);
// any other error is a failure of the test's setup, reported as such.
func (m *matrix) cell(who, action string, want bool, err error, denied func(error) bool) {
	m.t.Helper()
	m.cells++
	if want {
		m.wantAllows++
	}
	got := err == nil
	if err != nil && !denied(err) {
		m.bad++
		m.t.Errorf("%s %s: unexpected error %v (want allowed=%v)", who, action, err, want)
		return
	}
	if got {
		m.allows++
	}
	switch {
	case got && !want:
		m.unexpAllow++
		m.t.Errorf("UNEXPECTED ALLOW: %s %s", who, action)
	case !got && want:
		m.bad++
		m.t.Errorf("unexpected deny: %s %s: %v", who, action, err)
	}
}

func (m *matrix) report(name string) {
	m.t.Logf("%s matrix: %d cells, %d allowed (expected %d), %d unexpected allows, %d unexpected denies or errors",
		name, m.cells, m.allows, m.wantAllows, m.unexpAllow, m.bad)
}

func refused(err error) bool {
	c := apperr.CodeOf(err)
	return c == apperr.ENotFound || c == apperr.EForbidden
}

// found turns a list's membership test into a cell outcome.
func found(ok bool, err error) error {
	if err == nil && !ok {
		return apperr.NotFound()
	}
	return err
}

// tree answers "is unit u at or below home" from parent links, not paths.
type tree map[int64]int64

func (tr tree) within(u, home *org.Unit) bool {
	for id := u.ID; id != 0; id = tr[id] {
		if id == home.ID {
			return true
		}
	}
	return false
}

// holds: role holds perm at home, through v, and home covers u.
func (tr tree) holds(v variant, role string, home *org.Unit, perm access.Permission, u *org.Unit) bool {
	return u != nil && v.can(role, perm) && tr.within(u, home)
}

// variant is how a user holding a role calls: interactively, or through an
// API token whose scopes leave out every permission these services check.
type variant struct {
	name  string
	limit []access.Permission
}

var variants = []variant{{"", nil}, {" via token(org.read)", []access.Permission{access.OrgRead, access.TokenOwn}}}

// can: the role holds perm and the token, if any, lets it through.
func (v variant) can(role string, perm access.Permission) bool {
	return access.Has(role, perm) && (v.limit == nil || slices.Contains(v.limit, perm))
}

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
	tr := tree{}
	for _, u := range units {
		tr[u.ID] = u.ParentID
	}
	field := func(name, key string) func(error) bool {
		return func(err error) bool { return refused(err) || apperr.FieldsOf(err)[name] == key }
	}
	inScope := func(err error) bool { return refused(err) || apperr.MessageOf(err) == "emergency.in_scope" }
	m := &matrix{t: t}
	var consentID, endable int64
	for _, role := range access.RoleNames() {
		for _, home := range units {
			user := e.user(role, home)
			for _, v := range variants {
				if v.limit != nil && home != units[0] { // tokens at the root only: the widest reach
					continue
				}
				p := user
				p.Limit = v.limit
				who := role + "@" + home.Name + v.name
				has := func(perm access.Permission, u *org.Unit) bool { return tr.holds(v, role, home, perm, u) }

				// Disclosures: the record's owner (record.read over the
				// child's school) and the from-unit's sharing.manage.
				_, _, err := e.svc.StudentDisclosures(e.ctx, p, e.teen)
				m.cell(who, "read a student's disclosures", has(access.RecordRead, e.a1), err, refused)
				for _, from := range []*org.Unit{e.a1, e.branch} {
					l, err := e.svc.UnitDisclosures(e.ctx, p)
					m.cell(who, "read the disclosure log of "+from.Name, has(access.SharingManage, from),
						found(slices.ContainsFunc(l, func(d sharing.LoggedDisclosure) bool { return d.From.ID == from.ID }), err), refused)
				}

				// Consents: record.write over the child's school.
				write := has(access.RecordWrite, e.a1)
				_, _, err = e.svc.Consents(e.ctx, p, e.teen)
				m.cell(who, "read consents", write, err, refused)
				_, err = e.svc.RecordConsent(e.ctx, p, e.teen, consent(sharing.ConsentSensitive, "mother", "王芳", monday, "referral"))
				m.cell(who, "record consent", write, err, refused)
				if consentID == 0 {
					consentID = newConsent()
				}
				err = e.svc.WithdrawConsent(e.ctx, p, e.teen, consentID, "mother")
				m.cell(who, "withdraw consent", write, err, refused)
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
					want := v.can(role, access.EmergencyAccess) && !has(access.RecordRead, c.school)
					id, err := e.svc.StartEmergency(e.ctx, p, sharing.EmergencyRequest{StudentNo: c.no, Reason: reason})
					m.cell(who, "start emergency access to "+c.no, want, err, inScope)
					_, err = e.svc.EmergencyRecord(e.ctx, p, id)
					m.cell(who, "read "+c.no+" through own grant", want, err, refused)
				}
				_, err = e.svc.EmergencyRecord(e.ctx, p, others)
				m.cell(who, "read through another's grant", false, err, refused)
				_, err = e.svc.ReviewGrant(e.ctx, p, others)
				m.cell(who, "review a grant one was not alerted of", false, err, refused)

				// Agreements: sharing.manage over either end; writes over the
				// from-unit.
				l, err := e.svc.Agreements(e.ctx, p)
				m.cell(who, "list agreements", has(access.SharingManage, e.a1) || has(access.SharingManage, e.police),
					found(slices.ContainsFunc(l, func(a sharing.Agreement) bool { return a.ID == agreement }), err), refused)
				_, err = e.svc.CreateAgreement(e.ctx, p, sharing.NewAgreement{FromUnit: e.a1.ID, ToUnit: e.police.ID, Data: []string{"identity"},
					Purpose: "crisis", LegalBasis: "legal_duty", LegalRef: "未成年人保护法", ValidFrom: monday, ValidTo: monday.AddDate(1, 0, 0)})
				m.cell(who, "create an agreement", has(access.SharingManage, e.a1), err, field("from_unit", "sharing.bad_unit"))
				if endable == 0 {
					endable = e.agreement(e.coordA, e.a1.ID, e.hospital.ID, "referral", "identity")
				}
				err = e.svc.EndAgreement(e.ctx, p, endable)
				m.cell(who, "end an agreement", has(access.SharingManage, e.a1), err, refused)
				if err == nil {
					endable = 0
				}

				// Meetings: meeting.manage over the convening unit or a
				// member unit to see; over the convening unit to edit.
				see := has(access.MeetingManage, e.distA) || has(access.MeetingManage, e.police) || has(access.MeetingManage, e.hospital)
				ms, err := e.svc.Meetings(e.ctx, p)
				m.cell(who, "list meetings", see, found(slices.ContainsFunc(ms, func(j sharing.JointMeeting) bool { return j.ID == meeting }), err), refused)
				_, err = e.svc.FindMeeting(e.ctx, p, meeting)
				m.cell(who, "read a meeting", see, err, refused)
				_, err = e.svc.CreateMeeting(e.ctx, p, sharing.NewMeeting{ConveningUnit: e.distA.ID, Title: "x", HeldAt: monday, Members: []int64{e.police.ID}})
				m.cell(who, "convene a meeting", has(access.MeetingManage, e.distA), err, field("convening_unit", "sharing.bad_unit"))
				err = e.svc.SetDecisions(e.ctx, p, meeting, "决定："+who)
				m.cell(who, "record a meeting's decisions", has(access.MeetingManage, e.distA), err, refused)
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
		m.cell(who, "review a grant one was alerted of", true, err, refused)
		token := w
		token.Limit = variants[1].limit
		_, err = e.svc.ReviewGrant(e.ctx, token, others)
		m.cell(who+variants[1].name, "review a grant one was alerted of", false, err, refused)
		moved := w
		moved.Memberships = []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.Researcher}}
		_, err = e.svc.ReviewGrant(e.ctx, moved, others)
		m.cell(who+" now researcher", "review a grant one was alerted of", false, err, refused)
	}
	m.report("sharing")
	if m.wantAllows == 0 || m.wantAllows == m.cells {
		t.Errorf("degenerate matrix: %d of %d cells allowed", m.wantAllows, m.cells)
	}
}
