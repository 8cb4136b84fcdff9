package referral_test

import (
	"slices"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/referral"
	"github.com/careloop/careloop/internal/testutil"
)

// refObj is one kind of referral in the matrix: the unit it comes from, a
// shared one still sent, a shared one seen (feedback may be given again),
// and a way to make fresh ones.
type refObj struct {
	name         string
	from         *org.Unit
	sent, seen   int64
	send         func(p access.Principal) error
	fresh        func() int64
	sendExpected func(has func(access.Permission, *org.Unit) bool) bool
}

// TestAuthorizationMatrixReferral extends the foundation's authorization
// matrix to referrals: every role placed at every unit of the network
// sends, reads, lists and moves a school's case referral and a station's
// incident referral, on the sender's side and on the hospital's; the
// expectation comes from the role table and the parent links.
func TestAuthorizationMatrixReferral(t *testing.T) {
	e := newEnv(t)
	n := 0
	nextCase := func() int64 {
		n++
		id, _ := e.caseFor(e.counsellorA, e.a, "MX-"+itoa(int64(n)))
		return id
	}
	incidents := map[int64]int64{}
	incident := func(from *org.Unit) referral.NewReferral {
		if incidents[from.ID] == 0 {
			incidents[from.ID] = e.incidentAt(from)
		}
		return referral.NewReferral{Source: referral.SourceIncident, SourceID: incidents[from.ID], FromUnit: from.ID, ToUnit: e.h1.ID,
			Urgency: referral.Urgent, Reason: "来电者有明确自伤计划", Child: referral.Identity{Age: 15, Gender: "male"}}
	}
	var caseID int64 // a case not yet referred by a matrix principal
	school := &refObj{name: "case referral", from: e.a,
		fresh: func() int64 { return e.refer(e.counsellorA, nextCase(), nil) },
		send: func(p access.Principal) error {
			if caseID == 0 {
				caseID = nextCase()
			}
			_, err := e.svc.Send(e.ctx, p, referral.NewReferral{Source: referral.SourceCase, SourceID: caseID, ToUnit: e.h1.ID,
				Urgency: referral.Routine, Reason: "需专业评估", Consent: e.consent(false)})
			if err == nil {
				caseID = 0
			}
			return err
		},
		// A case referral needs the case (case.manage over the school) and
		// referral.manage over the student's school.
		sendExpected: func(has func(access.Permission, *org.Unit) bool) bool {
			return has(access.ReferralManage, e.a) && has(access.CaseManage, e.a)
		}}
	station := &refObj{name: "incident referral", from: e.st,
		fresh: func() int64 {
			id, err := e.svc.Send(e.ctx, e.supervisor, incident(e.st))
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			return id
		},
		send: func(p access.Principal) error {
			_, err := e.svc.Send(e.ctx, p, incident(e.st))
			return err
		},
		sendExpected: func(has func(access.Permission, *org.Unit) bool) bool { return has(access.ReferralManage, e.st) }}
	objs := []*refObj{school, station}
	for _, o := range objs {
		o.sent, o.seen = o.fresh(), o.fresh()
		e.seen(o.seen)
	}

	units := []*org.Unit{e.city, e.x, e.y, e.a, e.b, e.h1, e.h2, e.agency, e.st}
	tr := testutil.Tree{}
	for _, u := range units {
		tr[u.ID] = u.ParentID
	}
	sendRefused := func(err error) bool {
		return testutil.Refused(err) || apperr.FieldsOf(err)["from_unit"] == "referral.from_unit_bad"
	}
	m := &testutil.Matrix{T: t}
	fresh := map[string]int64{}
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
				hospital := has(access.ReferralHospital, e.h1)
				for _, o := range objs {
					sender := has(access.ReferralManage, o.from)
					act := func(a string) string { return a + " " + o.name }
					in := func(rs []referral.Referral, err error) error {
						return testutil.Found(slices.ContainsFunc(rs, func(r referral.Referral) bool { return r.ID == o.sent }), err)
					}

					m.Cell(who, act("create"), o.sendExpected(has), o.send(p), sendRefused)
					_, err := e.svc.Sent(e.ctx, p, o.sent)
					m.Cell(who, act("read (sender)"), sender, err, testutil.Refused)
					m.Cell(who, act("list (sender)"), sender, in(e.svc.FindSent(e.ctx, p, referral.Filter{})), testutil.Refused)
					err = e.svc.RecordConsent(e.ctx, p, o.sent, e.consent(true))
					m.Cell(who, act("record consent"), sender, err, testutil.Refused)
					key := o.name + "/close"
					if fresh[key] == 0 {
						fresh[key] = o.fresh()
					}
					err = e.svc.Close(e.ctx, p, fresh[key], "resolved", "")
					m.Cell(who, act("move: close (sender)"), sender, err, testutil.Refused)
					if err == nil {
						fresh[key] = 0
					}

					_, err = e.svc.Received(e.ctx, p, o.sent)
					m.Cell(who, act("hospital view"), hospital, err, testutil.Refused)
					m.Cell(who, act("hospital list"), hospital, in(e.svc.FindIncoming(e.ctx, p, referral.Filter{})), testutil.Refused)
					key = o.name + "/accept"
					if fresh[key] == 0 {
						fresh[key] = o.fresh()
					}
					err = e.svc.Accept(e.ctx, p, fresh[key])
					m.Cell(who, act("hospital move: accept"), hospital, err, testutil.Refused)
					if err == nil {
						fresh[key] = 0
					}
					err = e.svc.GiveFeedback(e.ctx, p, o.seen, referral.FeedbackInput{Recommendations: "建议：每周心理辅导"})
					m.Cell(who, act("hospital move: feedback"), hospital, err, testutil.Refused)
				}
			}
		}
	}
	m.Report("referral")
}
