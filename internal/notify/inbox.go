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
func (it Item) Link() string {
	switch it.RefType {
	case "alert":
		return "/alerts/" + itoa(it.RefID)
	case "follow_up", "case":
		return "/cases/" + itoa(it.RefID)
	case "task":
		return "/work"
	case "contact":
		return "/contacts/" + itoa(it.RefID)
	case "emergency":
		return "/emergency/" + itoa(it.RefID) + "/review"
	case "incident":
		return "/crisis/" + itoa(it.RefID)
	case "incident_cosign":
		return "/crisis/" + itoa(it.RefID) + "/cosign"
	case "incident_police":
		return "/police/" + itoa(it.RefID)
	case "referral":
		return "/referrals/" + itoa(it.RefID)
	case "referral_in":
		return "/hospital/" + itoa(it.RefID)
	case "referral_overdue":
		return "/work"
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
