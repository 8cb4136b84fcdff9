package wechat

import (
	"context"
	"net/http"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/hotline/chat"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/testutil"
)

// The chat queue is the router the application wires.
var _ Router = (*chat.Service)(nil)

// A push goes into the real chat queue, and the queue stores a message
// once however often it is handed over (the adapter relies on it when two
// deliveries race).
func TestPushReachesTheChatQueue(t *testing.T) {
	ctx := context.Background()
	ts := newService(t, true)
	log, err := audit.New("sha256", ts.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	pepper, err := keys.Derive("contact identifiers")
	if err != nil {
		t.Fatal(err)
	}
	orgs := &org.Service{DB: ts.DB, Audit: log, Now: ts.clock.Now}
	city, err := orgs.CreateRoot(ctx, "江海市", "Jianghai")
	if err != nil {
		t.Fatal(err)
	}
	admin := access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: city.ID, OrgPath: city.Path, Role: access.SysAdmin}}}
	station, err := orgs.CreateUnit(ctx, admin, org.NewUnit{Kind: org.HotlineStation, Name: "陶老师工作站", ParentID: city.ID})
	if err != nil {
		t.Fatal(err)
	}
	queue := &chat.Service{DB: ts.DB, Audit: log, Seal: keys, Pepper: pepper,
		Hotline: &hotline.Service{DB: ts.DB, Audit: log, Seal: keys, Pepper: pepper, Now: ts.clock.Now}, Now: ts.clock.Now}
	ts.Router, ts.Config.StationID = queue, station.ID

	if rec := ts.serve(loadFixture(t, "aes_text")); rec.Code != http.StatusOK || rec.Body.String() != "success" {
		t.Fatalf("%d %q", rec.Code, rec.Body.String())
	}
	if err := queue.Receive(ctx, chat.Inbound{Channel: "wechat", StationID: station.ID, From: fxOpenID,
		MessageID: "24000000000000011", Text: fxText, At: fxTime}); err != nil {
		t.Fatal(err)
	}
	var convs, msgs int
	err = ts.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM conversations WHERE channel = 'wechat' AND station_id = ? AND state = 'waiting'`,
			station.ID).Scan(&convs); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM chat_messages WHERE sender = 'child'`).Scan(&msgs)
	})
	if err != nil {
		t.Fatal(err)
	}
	if convs != 1 || msgs != 1 {
		t.Fatalf("%d waiting WeChat conversations, %d child messages; want 1 and 1", convs, msgs)
	}
}
