package seal

import (
	"crypto/rand"
	"errors"
	"fmt"
)

// Sealed value format, version "cl1":
//
//	"cl1" | len(keyID) (1 byte) | keyID | algorithm (1 byte) | nonce (12 bytes) | ciphertext | tag (16 bytes)
//
// The header (everything before the nonce) is authenticated together with
// the caller's AAD: the GCM additional data is header || aad. The header is
// self-delimiting, so that concatenation is unambiguous, and changing the
// key id, algorithm byte or version is detected like any other tampering.
const (
	formatVersion = "cl1"
	nonceSize     = 12 // 96-bit random nonce, the GCM standard size
	tagSize       = 16
	// minHeaderLen is version + id length byte + 1-byte id + algorithm byte.
	minHeaderLen = len(formatVersion) + 1 + 1 + 1
)

var (
	// ErrTampered is returned by Open for any sealed value that does not
	// authenticate: flipped bits, truncation, wrong AAD, wrong key, a header
	// that does not parse, or an unknown format version. No plaintext is
	// ever returned together with it.
	ErrTampered = errors.New("seal: sealed value is corrupt or was tampered with")

	// ErrUnknownKey is returned by Open when a well-formed sealed value names
	// a key id the keyring does not hold, typically because an old key was
	// removed from the configuration before its values were resealed. The
	// key id is not included in the message; use [SealedKeyID] to get it.
	ErrUnknownKey = errors.New("seal: sealed value names a key that is not in the keyring")

	errNoActiveKey = errors.New("seal: keyring has no active key")
	errEmptyAAD    = errors.New("seal: aad must name the value's location, e.g. \"student_note:42:body\"")
)

// tampered wraps ErrTampered with a reason. Reasons are fixed strings and
// never contain input bytes.
func tampered(reason string) error { return fmt.Errorf("%w: %s", ErrTampered, reason) }

// header is the parsed, not yet authenticated, prefix of a sealed value.
type header struct {
	keyID string
	algo  Algorithm
	len   int // bytes of the sealed value taken by the header
}

// parseHeader splits off the header and checks that enough bytes remain for
// a nonce and a tag. It does not authenticate anything.
func parseHeader(sealed []byte) (header, error) {
	if len(sealed) < minHeaderLen+nonceSize+tagSize {
		return header{}, tampered("too short")
	}
	if string(sealed[:len(formatVersion)]) != formatVersion {
		return header{}, tampered("unknown format version")
	}
	idLen := int(sealed[len(formatVersion)])
	idStart := len(formatVersion) + 1
	hdrLen := idStart + idLen + 1
	if idLen == 0 || idLen > maxKeyIDLen || len(sealed) < hdrLen+nonceSize+tagSize {
		return header{}, tampered("bad key id length")
	}
	id := string(sealed[idStart : idStart+idLen])
	if !validKeyID(id) {
		return header{}, tampered("bad key id")
	}
	return header{keyID: id, algo: Algorithm(sealed[hdrLen-1]), len: hdrLen}, nil
}

// additionalData is the GCM additional data: the sealed header followed by
// the caller's AAD.
func additionalData(hdr []byte, aad string) []byte {
	ad := make([]byte, 0, len(hdr)+len(aad))
	ad = append(ad, hdr...)
	return append(ad, aad...)
}

// Seal encrypts plaintext under the active key and returns the sealed value.
// aad must name where the value will be stored (e.g. "student_note:42:body")
// and must be passed unchanged to Open; it is authenticated, not stored.
// Each call draws a fresh random 96-bit nonce, so sealing the same text twice
// gives different outputs. With random nonces one key should seal well under
// 2^32 values; rotate long before that.
func (r *Keyring) Seal(plaintext []byte, aad string) ([]byte, error) {
	if aad == "" {
		return nil, errEmptyAAD
	}
	id, k, err := r.activeKey()
	if err != nil {
		return nil, err
	}
	hdrLen := len(formatVersion) + 1 + len(id) + 1
	out := make([]byte, 0, hdrLen+nonceSize+len(plaintext)+tagSize)
	out = append(out, formatVersion...)
	out = append(out, byte(len(id)))
	out = append(out, id...)
	out = append(out, byte(k.algo))
	var nonce [nonceSize]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("seal: reading random nonce: %w", err)
	}
	ad := additionalData(out, aad)
	out = append(out, nonce[:]...)
	return k.aead.Seal(out, nonce[:], plaintext, ad), nil
}

// Open authenticates and decrypts a value produced by Seal, using the key
// named inside it, which need not be the active key. aad must equal the one
// given to Seal. Any failure returns a nil slice and an error wrapping
// [ErrTampered] or [ErrUnknownKey]; partial plaintext is never returned.
func (r *Keyring) Open(sealed []byte, aad string) ([]byte, error) {
	if aad == "" {
		return nil, errEmptyAAD
	}
	h, err := parseHeader(sealed)
	if err != nil {
		return nil, err
	}
	k, ok := r.lookup(h.keyID)
	if !ok {
		return nil, ErrUnknownKey
	}
	if k.algo != h.algo {
		return nil, tampered("algorithm does not match key")
	}
	body := sealed[h.len:]
	pt, err := k.aead.Open(nil, body[:nonceSize], body[nonceSize:], additionalData(sealed[:h.len], aad))
	if err != nil {
		return nil, tampered("authentication failed")
	}
	if pt == nil {
		pt = []byte{} // distinguish an empty note from a failed open
	}
	return pt, nil
}

// SealString is [Keyring.Seal] for string plaintext.
func (r *Keyring) SealString(plaintext, aad string) ([]byte, error) {
	return r.Seal([]byte(plaintext), aad)
}

// OpenString is [Keyring.Open] returning a string. On error it returns "".
func (r *Keyring) OpenString(sealed []byte, aad string) (string, error) {
	pt, err := r.Open(sealed, aad)
	if err != nil {
		return "", err
	}
	s := string(pt)
	clear(pt)
	return s, nil
}

// Reseal opens sealed (under whatever key it names) and seals the plaintext
// again under the active key with a fresh nonce, for moving stored values
// off an old key before that key is retired. It always reseals, even if the
// value already uses the active key; callers that want to skip those can
// compare [SealedKeyID] with [Keyring.ActiveKeyID] first.
func (r *Keyring) Reseal(sealed []byte, aad string) ([]byte, error) {
	pt, err := r.Open(sealed, aad)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	return r.Seal(pt, aad)
}

// SealedKeyID returns the key id recorded in a sealed value's header. The
// header is only parsed, not authenticated: use it to find values that need
// resealing or to report which key is missing after [ErrUnknownKey], never
// as proof of anything.
func SealedKeyID(sealed []byte) (string, error) {
	h, err := parseHeader(sealed)
	if err != nil {
		return "", err
	}
	return h.keyID, nil
}
