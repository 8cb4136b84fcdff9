package notify

import (
	"context"
	"strconv"

	"github.com/careloop/careloop/internal/db"
)

// Item is a notification as its recipient sees it in the app.
type Item struct {
	ID      int64
	At      int64
	Kind    string
	RefType string
	RefID   int64
	Level   string
	Read    bool
}

// Link is where the notification leads.
func (it Item) Link() string { return Path(it.RefType, it.RefID) }

// Path is the page a notification about (refType, refID) leads to, the
// same in the inbox, in e-mail and in SMS.
func Path(refType string, refID int64) string {
	id := itoa(refID)
	switch refType {
	case "alert":
		return "/alerts/" + id
	case "follow_up":
		return "/follow-ups/" + id
	case "case":
		return "/cases/" + id
	case "task":
		return "/work"
	case "contact":
		return "/contacts/" + id
	case "emergency":
		return "/emergency/" + id + "/review"
	case "incident":
		return "/crisis/" + id
	case "incident_cosign":
		return "/crisis/" + id + "/cosign"
	case "incident_police":
		return "/police/" + id
	case "referral":
		return "/referrals/" + id
	case "referral_in":
		return "/hospital/" + id
	case "referral_overdue":
		return "/work"
	case "workforce_person":
		return "/workforce/people/" + id
	case "workforce_mine":
		return "/workforce/mine"
	case "booking":
		return "/calendar"
	}
	return "/"
}

// Unread counts a user's unread notifications.
func Unread(ctx context.Context, d *db.DB, userID int64) (int, error) {
	var n int
	err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at = 0`, userID).Scan(&n)
	})
	return n, err
}

// Inbox returns a user's latest notifications, unread first.
func Inbox(ctx context.Context, d *db.DB, userID int64, limit int) ([]Item, error) {
	var out []Item
	err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, at, kind, ref_type, ref_id, level, read_at FROM notifications WHERE user_id = ?
			ORDER BY read_at, id DESC LIMIT ?`, userID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var it Item
			var read int64
			if err := rows.Scan(&it.ID, &it.At, &it.Kind, &it.RefType, &it.RefID, &it.Level, &read); err != nil {
				return err
			}
			it.Read = read != 0
			out = append(out, it)
		}
		return rows.Err()
	})
	return out, err
}

// MarkRead marks every notification of a user read at now (micro).
func MarkRead(ctx context.Context, d *db.DB, userID, now int64) error {
	return d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at = 0`, now, userID)
		return err
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
