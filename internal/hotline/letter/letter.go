// Package letter is the station's letter box (信箱): anonymous web letters,
// whose writer keeps a reading code to read the reply later, and e-mail
// taken in from a mail gateway and answered by e-mail. Each letter has a
// reply deadline and an assignee, and shows on the station's list and on
// the work list of those who may answer it.
//
// Texts, subjects and sender addresses are sealed; a reading code and a
// sender address are found again only through keyed hashes. Every write,
// and every read of a letter by staff, is audited in its transaction.
package letter

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/seal"
)

// Service is the letter part of the hotline station.
type Service struct {
	DB     *db.DB
	Audit  *audit.Log
	Seal   seal.Sealer
	Pepper []byte // key of reading-code and sender hashes (seal.Keyring.Derive("letters"))
	// Hotline, when set, records each letter as a draft contact of channel
	// "letter" when a counsellor takes it (an e-mail letter joins its
	// sender's repeat-contacter profile).
	Hotline *hotline.Service
	Jobs    *jobs.Queue   // sends replies to e-mail letters
	Mailer  notify.Mailer // nil: e-mail letters cannot be answered by e-mail
	// Risk, when set, returns the risk expressions a letter matches
	// (chat.Lexicon.Match); such a letter is due within UrgentWithin.
	Risk         func(text string) []string
	ReplyWithin  time.Duration // default reply deadline; 0: 72 hours
	UrgentWithin time.Duration // deadline of a letter matching Risk; 0: 4 hours
	Now          func() time.Time
}

// Sources of a letter.
const (
	SourceWeb   = "web"
	SourceEmail = "email"
)

// States of a letter.
const (
	StateOpen     = "open"
	StateAnswered = "answered"
	StateClosed   = "closed"
)

// CloseReasons are why a letter is closed.
var CloseReasons = []string{"done", "no_reply_needed", "spam"}

// MaxText is the longest letter or reply, in characters. A longer e-mail
// is cut at this length.
const MaxText = 20000

// Letter is a letter as staff see it; Body, Subject and Replies are filled
// only by Find (and Body and Replies by ReadByCode).
type Letter struct {
	ID            int64
	StationID     int64
	StationPath   string
	StationName   string
	StationNameEn string
	Source        string
	State         string
	AgeBand       string
	Flags         []string
	AssigneeID    int64
	AssigneeName  string
	ContactID     int64
	ReceivedAt    time.Time
	DueAt         time.Time
	AnsweredAt    time.Time
	ClosedAt      time.Time
	CloseReason   string
	WriterReadAt  time.Time
	Overdue       bool // open, and past its deadline
	SenderLetters int  // e-mail: the sender's other letters
	Subject       string
	Body          string
	Replies       []Reply
}

// Station is a station's name for display.
func (l Letter) Station(lang string) string { return pick(lang, l.StationName, l.StationNameEn) }

// Reply is a counsellor's answer. Mail is "" for a web letter, else
// queued or sent.
type Reply struct {
	ID         int64
	AuthorID   int64
	AuthorName string // empty for the writer
	Body       string
	At         time.Time
	Mail       string
	MailedAt   time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) replyWithin() time.Duration {
	if s.ReplyWithin > 0 {
		return s.ReplyWithin
	}
	return 72 * time.Hour
}

func (s *Service) urgentWithin() time.Duration {
	if s.UrgentWithin > 0 {
		return s.UrgentWithin
	}
	return 4 * time.Hour
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func pick(lang, zh, en string) string {
	if en != "" && !strings.HasPrefix(strings.ToLower(lang), "zh") {
		return en
	}
	return zh
}

func bodyAAD(id int64) string    { return "letters:" + itoa(id) + ":body" }
func subjectAAD(id int64) string { return "letters:" + itoa(id) + ":subject" }
func senderAAD(id int64) string  { return "letters:" + itoa(id) + ":sender" }
func replyAAD(id int64) string   { return "letter_replies:" + itoa(id) + ":body" }

var errNoPepper = errors.New("letter: no hash key (Pepper)")

// keyHash is the stored form of a reading code, a sender address or a
// Message-ID: an HMAC with a key the database does not hold.
func (s *Service) keyHash(kind, value string) (string, error) {
	if len(s.Pepper) < 16 {
		return "", apperr.Internal(errNoPepper)
	}
	mac := hmac.New(sha256.New, s.Pepper)
	mac.Write([]byte(kind + ":" + value))
	return kind + ":" + hex.EncodeToString(mac.Sum(nil)), nil
}

// codeAlphabet has no 0/O, 1/I/L, so a code written down is typed right
// (the alphabet of screening codes).
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// CodeLength is the number of characters of a reading code: 31^12, about
// 59 bits, against guessing limited per address.
const CodeLength = 12

// newCode returns a random reading code, shown in groups of four.
func newCode() (string, error) {
	var b strings.Builder
	one := make([]byte, 1)
	for b.Len() < CodeLength {
		if _, err := rand.Read(one); err != nil {
			return "", err
		}
		if int(one[0]) >= 256-256%len(codeAlphabet) {
			continue // no modulo bias
		}
		b.WriteByte(codeAlphabet[int(one[0])%len(codeAlphabet)])
	}
	c := b.String()
	return c[:4] + "-" + c[4:8] + "-" + c[8:], nil
}

// normalizeCode makes a typed code comparable: upper case, without spaces
// and dashes.
func normalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, strings.TrimSpace(code))
}

// record writes an audit entry of a staff member about a letter.
func (s *Service) record(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: "letter", ObjectID: itoa(id), Outcome: audit.Success, Detail: detail})
}

// flags checks a text against the risk expressions.
func (s *Service) flags(text string) []string {
	if s.Risk == nil {
		return nil
	}
	return s.Risk(text)
}

// auditList is the audit entry of a read of a list of letters.
func auditList(p access.Principal, m access.Membership, action string, n int) audit.Entry {
	return audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action, ObjectType: "letter",
		Outcome: audit.Success, Detail: "count=" + strconv.Itoa(n)}
}
