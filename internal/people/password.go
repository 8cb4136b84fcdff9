package people

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: the OWASP recommendation (19 MiB, 2 passes, 1 lane).
// The parameters are stored in each hash, so raising them later keeps old
// hashes verifiable.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches the PHC hash, in constant time.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	// A damaged row must fail the check, not crash it or exhaust memory.
	if t < 1 || t > 16 || p < 1 || m < 8*uint32(p) || m > 1<<21 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked when a username does not exist, so that an unknown
// name takes as long as a wrong password.
var dummyHash, _ = HashPassword("careloop-timing-equaliser")

// common holds words that, with digits and symbols around them, are still
// guessed first.
var common = []string{"password", "passw0rd", "qwerty", "qwertyuiop", "admin", "administrator", "careloop",
	"welcome", "iloveyou", "abc", "abcdef", "letmein", "woaini", "nanjing", "taizhou", "changeme"}

// isCommon reports whether pw, stripped of digits and symbols, is a common
// word or a common word with at most two letters added.
func isCommon(pw string) bool {
	var letters strings.Builder
	for _, r := range strings.ToLower(pw) {
		if unicode.IsLetter(r) {
			letters.WriteRune(r)
		}
	}
	l := letters.String()
	if l == "" {
		return true
	}
	for _, c := range common {
		if strings.Contains(l, c) && len(l) <= len(c)+2 {
			return true
		}
	}
	return false
}

// CheckPasswordPolicy returns the i18n key of the first rule pw breaks, or
// "" when it is acceptable: at least 12 characters, three of the four
// character classes, not containing the username, not a common password.
func CheckPasswordPolicy(pw, username string) string {
	if len([]rune(pw)) < 12 {
		return "password.too_short"
	}
	if len([]rune(pw)) > 128 {
		return "password.too_long"
	}
	var lower, upper, digit, other int
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			other = 1
		}
	}
	if lower+upper+digit+other < 3 {
		return "password.classes"
	}
	lp := strings.ToLower(pw)
	if username != "" && strings.Contains(lp, strings.ToLower(username)) {
		return "password.contains_username"
	}
	if isCommon(pw) {
		return "password.common"
	}
	return ""
}

// GeneratePassword returns a random one-time password of 20 characters
// (about 116 bits) that meets the policy for username.
func GeneratePassword(username string) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	for {
		out := make([]byte, 0, 23)
		var b [1]byte
		for len(out) < 20 {
			if _, err := rand.Read(b[:]); err != nil {
				panic(err) // crypto/rand never fails on supported platforms
			}
			if int(b[0]) >= 256-256%len(alphabet) {
				continue // rejection sampling keeps every character equally likely
			}
			out = append(out, alphabet[int(b[0])%len(alphabet)])
			if len(out) == 5 || len(out) == 11 || len(out) == 17 {
				out = append(out, '-')
			}
		}
		if pw := string(out); CheckPasswordPolicy(pw, username) == "" {
			return pw
		}
	}
}
