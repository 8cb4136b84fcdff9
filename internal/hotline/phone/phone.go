// Package phone is the telephony event API: a PBX or cloud call centre
// reports calls offered, answered, transferred and ended, and recordings,
// which are stored sealed, played only by those who may, and deleted at the
// end of their retention period.
//
// The PBX signs in as a service account holding hotline.telephony at a
// station (role telephony_gateway) and sends events with its API token.
// A caller's number is hashed into a repeat-contacter profile as the call
// is offered and never stored; the answering counsellor gets a draft
// contact and the screen-pop; the call keeps its metrics (when offered,
// answered and ended, transfers, why it ended) for the station's figures.
package phone

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/seal"
)

// Defaults of the Service's settings.
const (
	DefaultRetention    = 180 * 24 * time.Hour
	DefaultMaxRecording = 64 << 20 // bytes of audio in one upload
)

// Service is the phone part of the hotline station.
type Service struct {
	DB      *db.DB
	Audit   *audit.Log
	Seal    seal.Sealer
	Hotline *hotline.Service
	Jobs    *jobs.Queue // schedules the deletion of each recording
	// Dir is the recordings folder (created at the first upload); it holds
	// sealed files only, and belongs in the backups with the database.
	Dir          string
	Retention    time.Duration // how long a recording is kept; 0: DefaultRetention
	MaxRecording int64         // the largest upload in bytes; 0: DefaultMaxRecording
	Now          func() time.Time
	Log          *slog.Logger // nil: slog.Default()
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) retention() time.Duration {
	if s.Retention > 0 {
		return s.Retention
	}
	return DefaultRetention
}

func (s *Service) maxRecording() int64 {
	if s.MaxRecording > 0 {
		return s.MaxRecording
	}
	return DefaultMaxRecording
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// call is a row of phone_calls with its station's path.
type call struct {
	ID, StationID                int64
	StationPath, Ref, State      string
	ProfileID, CounsellorID      int64
	ContactID, RingingID         int64
	OfferedAt, AnsweredAt, Ended int64
	TransferAt                   int64
	Transfers                    int
	EndReason                    string
}

// findCall reads a call by the PBX's reference, locked against concurrent
// events of the same call on PostgreSQL.
func findCall(ctx context.Context, tx *db.Tx, ref string) (*call, error) {
	if err := tx.Serialize(ctx, "phone_call:"+ref); err != nil {
		return nil, err
	}
	c := &call{Ref: ref}
	err := tx.QueryRow(ctx, `SELECT c.id, c.station_id, o.path, c.state, c.profile_id, c.counsellor_id, c.contact_id, c.ringing_id,
		c.offered_at, c.answered_at, c.ended_at, c.transfer_at, c.transfers, c.end_reason
		FROM phone_calls c JOIN org_units o ON o.id = c.station_id WHERE c.call_ref = ?`, ref).Scan(&c.ID, &c.StationID,
		&c.StationPath, &c.State, &c.ProfileID, &c.CounsellorID, &c.ContactID, &c.RingingID, &c.OfferedAt, &c.AnsweredAt,
		&c.Ended, &c.TransferAt, &c.Transfers, &c.EndReason)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// staff builds the principal of a staff member from their memberships in
// active units, for acts done on their behalf as the PBX reports them
// (answering starts their draft; a transfer moves it). An inactive account
// has none.
func staff(ctx context.Context, tx *db.Tx, userID int64) (access.Principal, error) {
	p := access.Principal{UserID: userID}
	rows, err := tx.Query(ctx, `SELECT m.org_unit_id, o.path, m.role, u.username FROM memberships m
		JOIN org_units o ON o.id = m.org_unit_id JOIN users u ON u.id = m.user_id
		WHERE m.user_id = ? AND u.active = 1 AND o.active = 1 ORDER BY o.path, m.role`, userID)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		var m access.Membership
		if err := rows.Scan(&m.OrgID, &m.OrgPath, &m.Role, &p.Username); err != nil {
			return p, apperr.Internal(err)
		}
		p.Memberships = append(p.Memberships, m)
	}
	return p, apperr.Internal(rows.Err())
}

func entry(p access.Principal, m access.Membership, action, objType string, id int64, detail string) audit.Entry {
	return audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action, ObjectType: objType,
		ObjectID: itoa(id), Outcome: audit.Success, Detail: detail}
}
