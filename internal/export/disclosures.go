package export

import (
	"context"
	"net/url"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/sharing"
)

// Disclosures is the disclosure log of the caller's units, newest first,
// read through sharing's scoped, audited UnitDisclosures.
type Disclosures struct{ S *sharing.Service }

// Permission is sharing.manage, as the disclosure log.
func (Disclosures) Permission() access.Permission { return access.SharingManage }

// Header names the columns.
func (Disclosures) Header(l string) []string {
	var out []string
	for _, k := range []string{"common.when", "sharing.student", "student.no", "sharing.from_unit", "sharing.to_unit", "sharing.data",
		"sharing.purpose", "sharing.basis", "sharing.sent_by"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write lists the disclosures.
func (src Disclosures) Write(ctx context.Context, p access.Principal, l string, _ url.Values, out Rows) error {
	list, err := src.S.UnitDisclosures(ctx, p)
	if err != nil {
		return err
	}
	out.Total(len(list))
	for _, d := range list {
		name := d.StudentName
		if d.StudentID == 0 {
			name = i18n.T(l, "sharing.anonymous")
		}
		if err := out.Row(at(d.At), name, d.StudentNo, d.From.Display(l), d.To.Display(l), joinT(l, "sharing.data.", d.What),
			i18n.T(l, "sharing.purpose."+d.Purpose), i18n.T(l, "sharing.disclosure_basis."+d.Basis), d.ActorName); err != nil {
			return err
		}
	}
	return nil
}
