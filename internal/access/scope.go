package access

import "strings"

// Scope returns a SQL condition, with ? placeholders and its arguments,
// that holds exactly for rows whose org path column lies inside a subtree
// where the caller holds perm. With no such subtree it returns "1=0": deny by
// default. pathColumn must be a trusted column expression, never user input.
//
// A subtree "/1/5/" is the range ["/1/5/", "/1/50"): '0' is the byte after
// '/', so the condition is an index range scan on both engines (PostgreSQL
// stores paths with COLLATE "C").
func (p Principal) Scope(perm Permission, pathColumn string) (string, []any) {
	if p.UserID == 0 || p.limited(perm) {
		return "1=0", nil
	}
	var roots []string
	for _, m := range p.Memberships {
		if Has(m.Role, perm) && m.OrgPath != "" {
			roots = append(roots, m.OrgPath)
		}
	}
	roots = outermost(roots)
	if len(roots) == 0 {
		return "1=0", nil
	}
	var b strings.Builder
	args := make([]any, 0, 2*len(roots))
	b.WriteByte('(')
	for i, r := range roots {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(" + pathColumn + " >= ? AND " + pathColumn + " < ?)")
		args = append(args, r, SubtreeEnd(r))
	}
	b.WriteByte(')')
	return b.String(), args
}

// SubtreeEnd is the exclusive upper bound of the subtree at path.
func SubtreeEnd(path string) string {
	return strings.TrimSuffix(path, "/") + "0"
}

// outermost drops paths that lie inside another path of the list.
func outermost(paths []string) []string {
	var out []string
	for i, p := range paths {
		inside := false
		for j, q := range paths {
			if i != j && strings.HasPrefix(p, q) && (p != q || j < i) {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, p)
		}
	}
	return out
}
