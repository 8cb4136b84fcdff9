package family

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
)

// Kinds of guidance content, and its states.
var (
	ItemKinds  = []string{"article", "event"}
	ItemStates = []string{"draft", "published", "withdrawn"}
)

// Item is a guidance article or event announcement.
type Item struct {
	ID          int64
	UnitID      int64 // the publishing unit
	UnitName    string
	UnitNameEn  string
	Kind        string
	TitleZH     string
	TitleEN     string
	BodyZH      string
	BodyEN      string
	EventAt     int64
	Place       string
	State       string
	UpdatedAt   int64
	PublishedAt int64
	Targets     []Target
}

// Title is the item's title in locale l (Chinese when no English is given).
func (it Item) Title(l string) string {
	if l == "en" && it.TitleEN != "" {
		return it.TitleEN
	}
	return it.TitleZH
}

// Paragraphs are the item's body in locale l split at blank lines (the
// page renders each escaped).
func (it Item) Paragraphs(l string) []string {
	body := it.BodyZH
	if l == "en" && it.BodyEN != "" {
		body = it.BodyEN
	}
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Target is a unit an item reaches (with its subtree).
type Target struct {
	UnitID int64
	Name   string
	NameEn string
}

// NewItem is what a publisher writes.
type NewItem struct {
	UnitID  int64 // the publishing unit: one where the caller holds content.publish
	Kind    string
	TitleZH string
	TitleEN string
	BodyZH  string
	BodyEN  string
	EventAt time.Time // events only
	Place   string
	Targets []int64 // units the item reaches (with their subtrees), inside the publisher's area; none: the whole area
}

func (n *NewItem) check() map[string]string {
	for _, p := range []*string{&n.TitleZH, &n.TitleEN, &n.BodyZH, &n.BodyEN, &n.Place} {
		*p = strings.TrimSpace(*p)
	}
	f := map[string]string{}
	if !slices.Contains(ItemKinds, n.Kind) {
		f["kind"] = "content.kind_required"
	}
	if n.TitleZH == "" {
		f["title_zh"] = "content.title_required"
	}
	if n.BodyZH == "" {
		f["body_zh"] = "content.body_required"
	}
	for name, v := range map[string]string{"title_zh": n.TitleZH, "title_en": n.TitleEN, "place": n.Place} {
		if len([]rune(v)) > 200 {
			f[name] = "family.too_long"
		}
	}
	for name, v := range map[string]string{"body_zh": n.BodyZH, "body_en": n.BodyEN} {
		if len([]rune(v)) > 20000 {
			f[name] = "family.too_long"
		}
	}
	if n.Kind == "event" && n.EventAt.IsZero() {
		f["event_at"] = "content.event_at_required"
	}
	if n.UnitID == 0 {
		f["unit"] = "content.unit_required"
	}
	return f
}

// SaveItem creates (id 0) or edits an item as a draft or keeps its state;
// the caller needs content.publish over the publishing unit, and every
// target must lie in the publisher's area: its subtree, or for a guidance
// centre the subtree of the city or district it serves. It returns the
// item's id.
func (s *Service) SaveItem(ctx context.Context, p access.Principal, id int64, n NewItem) (int64, error) {
	if f := n.check(); len(f) > 0 {
		return 0, apperr.Invalid("form.invalid", f)
	}
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path, kind, reach string
		var parent int64
		if err := tx.QueryRow(ctx, `SELECT o.path, o.kind, COALESCE(o.parent_id, 0), COALESCE(po.path, '') FROM org_units o
			LEFT JOIN org_units po ON po.id = o.parent_id WHERE o.id = ?`, n.UnitID).Scan(&path, &kind, &parent, &reach); err != nil {
			return err
		}
		m, ok := p.At(access.ContentPublish, path)
		if !ok {
			return apperr.NotFound()
		}
		// A guidance centre speaks for the area it serves: its parent's
		// subtree (the city centre for the city, a district's for the
		// district). Any other unit reaches its own subtree.
		home := n.UnitID
		if kind != string(org.GuidanceCentre) || parent == 0 {
			reach = path
		} else {
			home = parent
		}
		targets := n.Targets
		if len(targets) == 0 {
			targets = []int64{home}
		}
		for _, t := range targets {
			var tp string
			if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, t).Scan(&tp); err != nil || !strings.HasPrefix(tp, reach) {
				return apperr.Invalid("form.invalid", map[string]string{"targets": "content.target_outside"})
			}
		}
		now := db.Micro(s.now())
		var event int64
		if n.Kind == "event" {
			event = db.Micro(n.EventAt)
		}
		if id == 0 {
			var err error
			if id, err = tx.InsertID(ctx, `INSERT INTO guidance_items (unit_id, kind, title_zh, title_en, body_zh, body_en, event_at, place, state,
				created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?)`, n.UnitID, n.Kind, n.TitleZH, n.TitleEN,
				n.BodyZH, n.BodyEN, event, n.Place, p.UserID, now, now); err != nil {
				return err
			}
		} else {
			if _, _, err := s.itemFor(ctx, tx, p, id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE guidance_items SET unit_id = ?, kind = ?, title_zh = ?, title_en = ?, body_zh = ?, body_en = ?,
				event_at = ?, place = ?, updated_at = ? WHERE id = ?`, n.UnitID, n.Kind, n.TitleZH, n.TitleEN, n.BodyZH, n.BodyEN, event,
				n.Place, now, id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `DELETE FROM guidance_targets WHERE item_id = ?`, id); err != nil {
				return err
			}
		}
		seen := map[int64]bool{}
		for _, t := range targets {
			if seen[t] {
				continue
			}
			seen[t] = true
			if _, err := tx.Exec(ctx, `INSERT INTO guidance_targets (item_id, unit_id) VALUES (?, ?)`, id, t); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, m, "content.save", "guidance_item", id, "targets="+itoa(int64(len(seen))))
	})
	return id, err
}

// itemFor checks the caller's content.publish over an item's unit; outside
// it the item is not found.
func (s *Service) itemFor(ctx context.Context, tx *db.Tx, p access.Principal, id int64) (access.Membership, string, error) {
	var path, state string
	if err := tx.QueryRow(ctx, `SELECT o.path, i.state FROM guidance_items i JOIN org_units o ON o.id = i.unit_id WHERE i.id = ?`, id).Scan(&path, &state); err != nil {
		return access.Membership{}, "", err
	}
	m, ok := p.At(access.ContentPublish, path)
	if !ok {
		return access.Membership{}, "", apperr.NotFound()
	}
	return m, state, nil
}

// SetItemState publishes, withdraws or returns an item to draft.
func (s *Service) SetItemState(ctx context.Context, p access.Principal, id int64, state string) error {
	if !slices.Contains(ItemStates, state) {
		return apperr.Invalid("form.invalid", map[string]string{"state": "content.state_unknown"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		m, _, err := s.itemFor(ctx, tx, p, id)
		if err != nil {
			return err
		}
		now := db.Micro(s.now())
		if state == "published" {
			_, err = tx.Exec(ctx, `UPDATE guidance_items SET state = ?, published_at = ?, updated_at = ? WHERE id = ?`, state, now, now, id)
		} else {
			_, err = tx.Exec(ctx, `UPDATE guidance_items SET state = ?, updated_at = ? WHERE id = ?`, state, now, id)
		}
		if err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "content."+state, "guidance_item", id, "")
	})
}

const itemColumns = `i.id, i.unit_id, o.name, o.name_en, i.kind, i.title_zh, i.title_en, i.body_zh, i.body_en, i.event_at, i.place, i.state,
	i.updated_at, i.published_at`

func scanItem(sc interface{ Scan(...any) error }) (Item, error) {
	var it Item
	err := sc.Scan(&it.ID, &it.UnitID, &it.UnitName, &it.UnitNameEn, &it.Kind, &it.TitleZH, &it.TitleEN, &it.BodyZH, &it.BodyEN,
		&it.EventAt, &it.Place, &it.State, &it.UpdatedAt, &it.PublishedAt)
	return it, err
}

func queryItems(ctx context.Context, tx *db.Tx, q string, args ...any) ([]Item, error) {
	rows, err := tx.Query(ctx, `SELECT `+itemColumns+` FROM guidance_items i JOIN org_units o ON o.id = i.unit_id WHERE `+q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, it)
	}
	return out, apperr.Internal(rows.Err())
}

func (s *Service) targets(ctx context.Context, tx *db.Tx, it *Item) error {
	rows, err := tx.Query(ctx, `SELECT o.id, o.name, o.name_en FROM guidance_targets t JOIN org_units o ON o.id = t.unit_id
		WHERE t.item_id = ? ORDER BY o.path`, it.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var t Target
		if err := rows.Scan(&t.UnitID, &t.Name, &t.NameEn); err != nil {
			return apperr.Internal(err)
		}
		it.Targets = append(it.Targets, t)
	}
	return apperr.Internal(rows.Err())
}

// Items lists the items of the units in the caller's content.publish
// reach, newest first (at most 200).
func (s *Service) Items(ctx context.Context, p access.Principal) ([]Item, error) {
	var out []Item
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		scope, args := p.Scope(access.ContentPublish, "o.path")
		var err error
		out, err = queryItems(ctx, tx, scope+` ORDER BY i.updated_at DESC, i.id DESC LIMIT 200`, args...)
		return err
	})
	return out, err
}

// FindItem returns one item in the caller's content.publish reach.
func (s *Service) FindItem(ctx context.Context, p access.Principal, id int64) (*Item, error) {
	var out *Item
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		scope, args := p.Scope(access.ContentPublish, "o.path")
		items, err := queryItems(ctx, tx, `i.id = ? AND `+scope, append([]any{id}, args...)...)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return apperr.NotFound()
		}
		out = &items[0]
		return s.targets(ctx, tx, out)
	})
	return out, err
}

// TargetUnits lists the districts, schools and guidance centres an item
// of the caller may target (at most 500, in tree order).
func (s *Service) TargetUnits(ctx context.Context, p access.Principal) ([]SlotUnit, error) {
	var out []SlotUnit
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		// The caller's reach: their units' subtrees, and for a guidance
		// centre the subtree of the area it serves.
		var roots []string
		for _, m := range p.Memberships {
			if _, ok := p.At(access.ContentPublish, m.OrgPath); !ok || m.OrgPath == "" {
				continue
			}
			root := m.OrgPath
			var kind, parent string
			if err := tx.QueryRow(ctx, `SELECT o.kind, COALESCE(po.path, '') FROM org_units o LEFT JOIN org_units po ON po.id = o.parent_id
				WHERE o.id = ?`, m.OrgID).Scan(&kind, &parent); err != nil {
				return err
			}
			if kind == string(org.GuidanceCentre) && parent != "" {
				root = parent
			}
			roots = append(roots, root)
		}
		if len(roots) == 0 {
			return nil
		}
		var cond []string
		var args []any
		for _, r := range roots {
			cond = append(cond, `(o.path >= ? AND o.path < ?)`)
			args = append(args, r, access.SubtreeEnd(r))
		}
		rows, err := tx.Query(ctx, `SELECT o.id, o.name, o.name_en, o.kind FROM org_units o WHERE o.active = 1
			AND o.kind IN ('city', 'district', 'school', 'guidance_centre') AND (`+strings.Join(cond, " OR ")+`) ORDER BY o.path LIMIT 500`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u SlotUnit
			if err := rows.Scan(&u.ID, &u.Name, &u.NameEn, &u.Kind); err != nil {
				return apperr.Internal(err)
			}
			out = append(out, u)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}

// reaches is the condition that a published item targets a unit whose
// subtree holds one of the session's children's schools.
const reaches = `i.state = 'published' AND EXISTS (SELECT 1 FROM guidance_targets t JOIN org_units tu ON tu.id = t.unit_id
	JOIN guardians g ON g.phone = ? JOIN students st ON st.id = g.student_id AND st.status = 'active'
	JOIN org_units so ON so.id = st.school_id
	WHERE t.item_id = i.id AND substr(so.path, 1, length(tu.path)) = tu.path)`

// Articles lists the published items that reach the guardian's children's
// schools, newest first (at most 100).
func (s *Service) Articles(ctx context.Context, se *Session) ([]Item, error) {
	if se == nil {
		return nil, apperr.NotFound()
	}
	var out []Item
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		out, err = queryItems(ctx, tx, reaches+` ORDER BY i.published_at DESC, i.id DESC LIMIT 100`, se.Phone)
		return err
	})
	return out, err
}

// Article returns one published item that reaches the guardian's
// children; any other is not found.
func (s *Service) Article(ctx context.Context, se *Session, id int64) (*Item, error) {
	if se == nil {
		return nil, apperr.NotFound()
	}
	var out *Item
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		items, err := queryItems(ctx, tx, `i.id = ? AND `+reaches, id, se.Phone)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return apperr.NotFound()
		}
		out = &items[0]
		return nil
	})
	return out, err
}
