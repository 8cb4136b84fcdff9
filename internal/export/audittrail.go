package export

import (
	"context"
	"net/url"
	"strconv"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/i18n"
)

// AuditTrail is the auditor's page of the trail: the 100 newest entries
// that match the page's search (audit.ParseFilter: object, actor, action,
// days, and before for the page), read through audit's FindEntries, which
// records the read as the caller's, as the page does.
type AuditTrail struct {
	DB  *db.DB
	Log *audit.Log
}

// Permission is audit.read, as the audit page.
func (AuditTrail) Permission() access.Permission { return access.AuditRead }

// Header names the columns.
func (AuditTrail) Header(l string) []string {
	var out []string
	for _, k := range []string{"audit.seq", "common.when", "audit.actor", "user.role", "audit.action", "audit.object", "audit.outcome", "audit.detail"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write lists the entries. FindEntries leaves the permission to its
// caller: it is checked here, against the roles held now.
func (src AuditTrail) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	m, ok := p.Grant(access.AuditRead)
	if !ok {
		return apperr.Forbidden()
	}
	filter, err := audit.ParseFilter(f, zone)
	if err != nil {
		return err
	}
	filter.Limit = 100
	list, err := audit.FindEntries(ctx, src.DB, src.Log, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID}, filter)
	if err != nil {
		return err
	}
	out.Total(len(list))
	for _, e := range list {
		actor, role := i18n.T(l, "audit.system"), ""
		if e.ActorUserID != 0 {
			actor = "#" + strconv.FormatInt(e.ActorUserID, 10)
		}
		if e.ActorRole != "" {
			role = i18n.T(l, "role."+e.ActorRole)
		}
		if err := out.Row(e.Seq, at(e.At), actor, role, e.Action, e.ObjectType+" "+e.ObjectID, e.Outcome, e.Detail); err != nil {
			return err
		}
	}
	return nil
}
