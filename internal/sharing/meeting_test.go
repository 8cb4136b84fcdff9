package sharing_test

import (
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/sharing"
)

// A joint meeting: members and attendance, decisions, agenda items that
// present a child's case (recording disclosures on a basis that holds),
// action items tracked to done and listed when overdue; another district
// sees none of it.
func TestJointMeeting(t *testing.T) {
	e := newEnv(t)
	id, err := e.svc.CreateMeeting(e.ctx, e.coordA, sharing.NewMeeting{ConveningUnit: e.distA.ID, Title: "东城区联席会议 2026 第一季度",
		HeldAt: monday, Members: []int64{e.police.ID, e.hospital.ID, e.civil.ID, e.police.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateMeeting(e.ctx, e.coordB, sharing.NewMeeting{ConveningUnit: e.distA.ID, Title: "x", HeldAt: monday,
		Members: []int64{e.police.ID}}); apperr.FieldsOf(err)["convening_unit"] == "" {
		t.Errorf("coordinator B convenes for district A: %v", err)
	}
	if err := e.svc.SetAttendance(e.ctx, e.coordA, id, map[int64]string{e.police.ID: "attended", e.hospital.ID: "absent"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetDecisions(e.ctx, e.coordA, id, "Police and schools share crisis contacts weekly."); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddItem(e.ctx, e.coordA, id, sharing.NewItem{Body: "Review of the quarter"}); err != nil {
		t.Fatal(err)
	}
	if n := e.num(`SELECT COUNT(*) FROM disclosures`); n != 0 {
		t.Error("an item naming no child recorded a disclosure")
	}
	// Presenting a child's case: the basis must hold.
	item := sharing.NewItem{Body: "Case presented for joint support", StudentNo: "S-TEEN", Basis: "consent"}
	if _, err := e.svc.AddItem(e.ctx, e.coordA, id, item); apperr.FieldsOf(err)["basis"] != "meeting.no_consent" {
		t.Errorf("presenting without consent: %v", err)
	}
	item.Basis = "agreement"
	if _, err := e.svc.AddItem(e.ctx, e.coordA, id, item); apperr.FieldsOf(err)["basis"] != "meeting.no_agreement" {
		t.Errorf("presenting without an agreement: %v", err)
	}
	for _, k := range []string{sharing.ConsentGuardian, sharing.ConsentSensitive} {
		if _, err := e.svc.RecordConsent(e.ctx, e.counsellorA1, e.teen, consent(k, "mother", "王芳", monday, "share_meeting")); err != nil {
			t.Fatal(err)
		}
	}
	item.Basis = "consent"
	if _, err := e.svc.AddItem(e.ctx, e.coordA, id, item); err != nil {
		t.Fatalf("presenting with consent: %v", err)
	}
	if n := e.num(`SELECT COUNT(*) FROM disclosures WHERE student_id = ? AND from_unit = ? AND purpose = 'meeting' AND ref_type = 'meeting'
		AND ref_id = ? AND basis = 'consent' AND to_unit IN (?, ?, ?)`, e.teen, e.a1.ID, id, e.police.ID, e.hospital.ID, e.civil.ID); n != 3 {
		t.Errorf("%d disclosures to the member units, want 3 (the convening district owns the record already)", n)
	}
	if _, err := e.svc.AddItem(e.ctx, e.coordA, id, sharing.NewItem{Body: "x", StudentNo: "S-OTHER", Basis: "law"}); apperr.FieldsOf(err)["student_no"] == "" {
		t.Errorf("presenting another district's child: %v", err)
	}
	_, owners, _ := e.svc.StudentDisclosures(e.ctx, e.counsellorA1, e.teen)
	if len(owners) != 3 {
		t.Errorf("the record's owner sees %d disclosures, want 3", len(owners))
	}

	// Action items.
	act := sharing.NewAction{Body: "Name a liaison officer for schools", OwnerID: e.policeLiaison.UserID, OwningUnit: e.police.ID, Due: monday.AddDate(0, 0, 7)}
	aid, err := e.svc.AddAction(e.ctx, e.coordA, id, act)
	if err != nil {
		t.Fatal(err)
	}
	bad := act
	bad.OwnerID = e.counsellorB1.UserID
	if _, err := e.svc.AddAction(e.ctx, e.coordA, id, bad); apperr.FieldsOf(err)["owner"] == "" {
		t.Errorf("an owner outside the owning unit: %v", err)
	}
	bad = act
	bad.OwningUnit = e.distB.ID
	if _, err := e.svc.AddAction(e.ctx, e.coordA, id, bad); apperr.FieldsOf(err)["owning_unit"] == "" {
		t.Errorf("an owning unit that is not a member: %v", err)
	}
	people, err := e.svc.Candidates(e.ctx, e.coordA, id)
	if err != nil || len(people) < 2 {
		t.Errorf("candidates: %+v %v", people, err)
	}

	mt, err := e.svc.FindMeeting(e.ctx, e.coordA, id)
	if err != nil {
		t.Fatal(err)
	}
	if !mt.Mine || len(mt.Members) != 3 || len(mt.Items) != 2 || mt.Items[1].StudentName == "" || len(mt.Actions) != 1 ||
		mt.Decisions == "" || mt.Actions[0].Body != act.Body {
		t.Errorf("meeting: %+v", mt)
	}
	attended := map[int64]string{}
	for _, m := range mt.Members {
		attended[m.Unit.ID] = m.Attendance
	}
	if attended[e.police.ID] != "attended" || attended[e.hospital.ID] != "absent" || attended[e.civil.ID] != "" {
		t.Errorf("attendance: %v", attended)
	}
	if e.audits("meeting.read", itoa(id)) != 1 {
		t.Error("meeting read not audited")
	}

	// Another district sees nothing, and cannot write.
	if list, _ := e.svc.Meetings(e.ctx, e.coordB); len(list) != 0 {
		t.Errorf("coordinator B lists %d meetings", len(list))
	}
	if _, err := e.svc.FindMeeting(e.ctx, e.coordB, id); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("coordinator B reads the meeting: %v", err)
	}
	if err := e.svc.SetDecisions(e.ctx, e.coordB, id, "x"); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("coordinator B writes decisions: %v", err)
	}

	// Overdue once the due date passes; done with a note by its owner.
	if o, _ := e.svc.OverdueActions(e.ctx, e.coordA); len(o) != 0 {
		t.Errorf("overdue before the due date: %+v", o)
	}
	e.clk.Advance(8 * 24 * time.Hour)
	o, err := e.svc.OverdueActions(e.ctx, e.coordA)
	if err != nil || len(o) != 1 || o[0].ID != aid || !o[0].Overdue {
		t.Errorf("overdue: %+v %v", o, err)
	}
	if o, _ := e.svc.OverdueActions(e.ctx, e.coordB); len(o) != 0 {
		t.Errorf("coordinator B sees another district's overdue items: %+v", o)
	}
	mine, err := e.svc.MyActions(e.ctx, e.policeLiaison)
	if err != nil || len(mine) != 1 || !mine[0].Overdue {
		t.Errorf("owner's items: %+v %v", mine, err)
	}
	if err := e.svc.CompleteAction(e.ctx, e.counsellorB1, aid, "done"); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("a stranger completes the item: %v", err)
	}
	if err := e.svc.CompleteAction(e.ctx, e.policeLiaison, aid, ""); apperr.FieldsOf(err)["note"] == "" {
		t.Errorf("done without a note: %v", err)
	}
	if err := e.svc.CompleteAction(e.ctx, e.policeLiaison, aid, "Officer named: duty desk 3"); err != nil {
		t.Fatal(err)
	}
	if o, _ := e.svc.OverdueActions(e.ctx, e.coordA); len(o) != 0 {
		t.Errorf("a done item is still overdue: %+v", o)
	}
	mt, _ = e.svc.FindMeeting(e.ctx, e.coordA, id)
	if mt.Actions[0].DoneAt.IsZero() || mt.Actions[0].DoneNote != "Officer named: duty desk 3" {
		t.Errorf("done item: %+v", mt.Actions[0])
	}

	// A member unit's coordinator sees the meeting but does not edit it.
	id2, err := e.svc.CreateMeeting(e.ctx, e.coordA, sharing.NewMeeting{ConveningUnit: e.distA.ID, Title: "两区联席会议", HeldAt: monday,
		Members: []int64{e.distB.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if list, _ := e.svc.Meetings(e.ctx, e.coordB); len(list) != 1 || list[0].ID != id2 || list[0].Mine {
		t.Errorf("member coordinator's meetings: %+v", list)
	}
	if _, err := e.svc.FindMeeting(e.ctx, e.coordB, id2); err != nil {
		t.Errorf("member coordinator reads: %v", err)
	}
	if err := e.svc.SetAttendance(e.ctx, e.coordB, id2, map[int64]string{e.distB.ID: "attended"}); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("member coordinator edits: %v", err)
	}
}
