package phone

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Recordings are sealed files in Dir rather than BLOBs in the database: an
// hour of call audio is tens of megabytes, which would swell the database,
// its WAL and every backup, hold SQLite's single writer for the length of
// an upload, and leave freed pages behind when the retention period
// deletes it; a file is written outside any transaction and gone the
// moment it is removed. The database keeps the row that says what the
// file is, whose it is and when it goes.

// NewRecording is an upload of a call's recording by the PBX.
type NewRecording struct {
	CallRef     string
	Ref         string // the PBX's id of the recording; "": the call's one recording
	ContentType string // audio/...
	Audio       io.Reader
}

// UploadLimit is the most a surface needs to read of an upload: the limit
// on audio, plus what the service reads ahead to find it was passed.
func (s *Service) UploadLimit() int64 { return s.maxRecording() + 2*chunkSize }

// StoreRecording seals a call's recording into a file and records it,
// with its deletion scheduled at the end of the retention period, in one
// transaction. The caller is the PBX (hotline.telephony at the call's
// station). An upload of a recording already stored (the same call and
// Ref) reads no audio and returns the stored one with duplicate true.
func (s *Service) StoreRecording(ctx context.Context, p access.Principal, n NewRecording) (rec *Recording, duplicate bool, err error) {
	if n.Ref == "" {
		n.Ref = "main"
	}
	bad := map[string]string{}
	if !refPattern.MatchString(n.CallRef) {
		bad["call_ref"] = "phone.bad_call_ref"
	}
	if !refPattern.MatchString(n.Ref) {
		bad["ref"] = "phone.bad_call_ref"
	}
	media, _, perr := mime.ParseMediaType(n.ContentType)
	if perr != nil || !strings.HasPrefix(media, "audio/") {
		bad["content_type"] = "phone.bad_audio_type"
	}
	if len(bad) > 0 {
		return nil, false, apperr.Invalid("phone.bad_recording", bad)
	}
	if s.Dir == "" || s.Jobs == nil {
		return nil, false, apperr.Internal(fmt.Errorf("phone: no recordings folder or job queue"))
	}
	var c *call
	err = s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		if c, err = lookupCall(ctx, tx, n.CallRef); apperr.CodeOf(err) == apperr.ENotFound {
			return apperr.New(apperr.ENotFound, "phone.unknown_call")
		} else if err != nil {
			return err
		}
		if _, ok := p.At(access.HotlineTelephony, c.StationPath); !ok {
			return apperr.New(apperr.ENotFound, "phone.unknown_call")
		}
		rec, err = findRecording(ctx, tx, c.ID, n.Ref)
		return err
	})
	if err != nil || rec != nil {
		return rec, rec != nil, err
	}

	key, path, size, err := s.writeFile(c.ID, n.Audio)
	if err != nil {
		return nil, false, err
	}
	rec = &Recording{CallID: c.ID, ContentType: media, Bytes: size, StoredAt: s.now().UTC().Truncate(time.Microsecond)}
	err = s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := findCall(ctx, tx, n.CallRef)
		if err != nil {
			return err
		}
		m, ok := p.At(access.HotlineTelephony, c.StationPath)
		if !ok {
			return apperr.New(apperr.ENotFound, "phone.unknown_call")
		}
		if old, err := findRecording(ctx, tx, c.ID, n.Ref); err != nil || old != nil {
			rec, duplicate = old, true // stored meanwhile by a retried upload
			return err
		}
		if rec.ID, err = tx.InsertID(ctx, `INSERT INTO phone_recordings (call_id, ref, file_key, content_type, bytes, stored_at)
			VALUES (?, ?, ?, ?, ?, ?)`, c.ID, n.Ref, key, media, size, db.Micro(rec.StoredAt)); err != nil {
			return err
		}
		if err := s.Jobs.At(ctx, tx, ExpiryArgs{RecordingID: rec.ID}, rec.StoredAt.Add(s.retention())); err != nil {
			return err
		}
		day, at := nextSweep(rec.StoredAt)
		if err := s.Jobs.At(ctx, tx, ExpiryArgs{Day: day}, at); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, entry(p, m, "phone.recording_store", "phone_recording", rec.ID,
			"call="+itoa(c.ID)+" bytes="+itoa(size)))
	})
	if err != nil || duplicate {
		if rmErr := os.Remove(path); rmErr != nil {
			s.log().Error("phone: remove unrecorded recording file", "file", key, "err", rmErr)
		}
	}
	if err != nil {
		return nil, false, err
	}
	return rec, duplicate, nil
}

// writeFile seals audio into a new file of the recordings folder, synced
// to disk, and returns its key and path.
func (s *Service) writeFile(callID int64, audio io.Reader) (key, path string, size int64, err error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", 0, apperr.Internal(err)
	}
	key = hex.EncodeToString(b[:])
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return "", "", 0, apperr.Internal(fmt.Errorf("recordings folder: %w", err))
	}
	part := filepath.Join(s.Dir, key+".part")
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", "", 0, apperr.Internal(err)
	}
	size, err = writeSealed(f, audio, s.Seal, callID, key, s.maxRecording())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	path = filepath.Join(s.Dir, key+".rec")
	if err == nil {
		err = os.Rename(part, path)
	}
	if err != nil {
		_ = os.Remove(part)
		if apperr.CodeOf(err) == "" {
			err = apperr.Internal(err)
		}
		return "", "", 0, err
	}
	if d, derr := os.Open(s.Dir); derr == nil { // make the rename durable
		_ = d.Sync()
		d.Close()
	}
	return key, path, size, nil
}

// lookupCall reads a call by reference without locking it.
func lookupCall(ctx context.Context, tx *db.Tx, ref string) (*call, error) {
	c := &call{Ref: ref}
	err := tx.QueryRow(ctx, `SELECT c.id, c.station_id, o.path, c.state FROM phone_calls c JOIN org_units o ON o.id = c.station_id
		WHERE c.call_ref = ?`, ref).Scan(&c.ID, &c.StationID, &c.StationPath, &c.State)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// findRecording returns the recording of a call with the PBX's ref, or nil.
func findRecording(ctx context.Context, tx *db.Tx, callID int64, ref string) (*Recording, error) {
	r := &Recording{CallID: callID}
	var stored, deleted int64
	err := tx.QueryRow(ctx, `SELECT id, content_type, bytes, stored_at, deleted_at FROM phone_recordings WHERE call_id = ? AND ref = ?`,
		callID, ref).Scan(&r.ID, &r.ContentType, &r.Bytes, &stored, &deleted)
	if apperr.CodeOf(err) == apperr.ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r.StoredAt, r.DeletedAt = db.FromMicro(stored), db.FromMicro(deleted)
	return r, nil
}

// Playback is a recording opened for playing: Audio yields the audio as it
// is opened, and fails (never yielding altered audio) if the file was
// tampered with. The caller closes it.
type Playback struct {
	Recording
	Audio io.ReadCloser
}

// PlayRecording opens a recording for the call's counsellor (who answered
// it, or holds its contact now, and still answers contacts at the station)
// or a supervisor of the station; anyone else, and a deleted recording,
// get ENotFound. Every playback is audited.
func (s *Service) PlayRecording(ctx context.Context, p access.Principal, id int64) (*Playback, error) {
	var pb *Playback
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		r := Recording{ID: id}
		var key, path string
		var stored, deleted, counsellor, holder int64
		err := tx.QueryRow(ctx, `SELECT r.call_id, r.file_key, r.content_type, r.bytes, r.stored_at, r.deleted_at, c.counsellor_id, o.path,
			COALESCE(ct.counsellor_id, 0) FROM phone_recordings r JOIN phone_calls c ON c.id = r.call_id JOIN org_units o ON o.id = c.station_id
			LEFT JOIN contacts ct ON ct.id = c.contact_id WHERE r.id = ?`, id).Scan(&r.CallID, &key, &r.ContentType, &r.Bytes, &stored,
			&deleted, &counsellor, &path, &holder)
		if err != nil || deleted != 0 {
			return apperr.NotFound()
		}
		m, ok := p.At(access.HotlineSupervise, path)
		if !ok {
			m, ok = p.At(access.HotlineContact, path)
			ok = ok && (p.UserID == counsellor || p.UserID == holder)
		}
		if !ok {
			return apperr.NotFound()
		}
		f, err := os.Open(filepath.Join(s.Dir, key+".rec"))
		if err != nil {
			return apperr.Internal(fmt.Errorf("open recording %d: %w", id, err))
		}
		audio, err := openSealed(f, s.Seal, r.CallID, key)
		if err != nil {
			f.Close()
			return apperr.Internal(fmt.Errorf("recording %d: %w", id, err))
		}
		r.StoredAt = db.FromMicro(stored)
		if err := s.Audit.Record(ctx, tx, entry(p, m, "phone.recording_play", "phone_recording", id, "call="+itoa(r.CallID))); err != nil {
			audio.Close()
			return err
		}
		pb = &Playback{Recording: r, Audio: audio}
		return nil
	})
	if err != nil && pb != nil {
		pb.Audio.Close()
		pb = nil
	}
	return pb, err
}
