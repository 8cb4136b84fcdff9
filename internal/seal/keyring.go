// Package seal encrypts free-text fields about children before they are
// stored, and opens them again after they are read.
//
// A sealed value is self-describing: it names the key that sealed it, so keys
// can be rotated without a migration window. Keys come from configuration
// ([ParseKeys]) or from a key file ([LoadKeyFile], [GenerateKeyFile]); they
// must never be stored in the database next to the values they protect.
//
// Every Seal and Open takes an additional-authenticated-data string that
// names where the value lives, for example "student_note:42:body". A sealed
// value copied into another row or column then fails to open instead of
// silently showing one child's note on another child's record.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/emmansun/gmsm/sm4"
)

// Algorithm identifies the AEAD a key is used with. Its numeric value is the
// algorithm byte written into every sealed value, so existing constants must
// never be renumbered or reused.
type Algorithm uint8

const (
	// AES256GCM is AES-256 in GCM mode with a 32-byte key. It is the default.
	AES256GCM Algorithm = 1
	// SM4GCM is SM4 (GB/T 32907-2016) in GCM mode with a 16-byte key, for
	// deployments that must use Chinese commercial cryptography.
	SM4GCM Algorithm = 2
)

// ParseAlgorithm maps the names used in key specs and key files ("aes",
// "sm4") to an Algorithm. The name is not echoed in the error because a
// misordered config entry could put key material in its place.
func ParseAlgorithm(name string) (Algorithm, error) {
	switch name {
	case "aes":
		return AES256GCM, nil
	case "sm4":
		return SM4GCM, nil
	}
	return 0, fmt.Errorf("seal: %w", errUnknownAlgorithm)
}

var errUnknownAlgorithm = errors.New(`unknown algorithm; want "aes" or "sm4"`)

// String returns the config name of a, the inverse of [ParseAlgorithm].
func (a Algorithm) String() string {
	switch a {
	case AES256GCM:
		return "aes"
	case SM4GCM:
		return "sm4"
	}
	return fmt.Sprintf("Algorithm(%d)", uint8(a))
}

// KeySize is the key length in bytes that a requires, or 0 for an unknown
// algorithm.
func (a Algorithm) KeySize() int {
	switch a {
	case AES256GCM:
		return 32
	case SM4GCM:
		return 16
	}
	return 0
}

// maxKeyIDLen bounds key ids so that the length fits the single length byte
// of the sealed format and headers stay small.
const maxKeyIDLen = 64

// validKeyID reports whether id is 1..64 characters of [A-Za-z0-9._-]. The
// restricted alphabet keeps ids unambiguous in specs (no ':', ',', '=', '#'
// or spaces) and lets Open reject a corrupted id as tampering.
func validKeyID(id string) bool {
	if len(id) == 0 || len(id) > maxKeyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// newAEAD builds the GCM instance for algo. Errors name lengths only, never
// key bytes, and carry no "seal:" prefix because callers add the key id. Keys of all zero bytes are refused: they are always a
// placeholder or an uninitialised buffer, never a real key.
func newAEAD(algo Algorithm, key []byte) (cipher.AEAD, error) {
	want := algo.KeySize()
	if want == 0 {
		return nil, errUnknownAlgorithm
	}
	if len(key) != want {
		return nil, fmt.Errorf("%s key must be %d bytes, got %d", algo, want, len(key))
	}
	if !slices.ContainsFunc(key, func(b byte) bool { return b != 0 }) {
		return nil, fmt.Errorf("%s key is all zero bytes", algo)
	}
	var (
		block cipher.Block
		err   error
	)
	switch algo {
	case AES256GCM:
		block, err = aes.NewCipher(key)
	case SM4GCM:
		block, err = sm4.NewCipher(key)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", algo, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%s-gcm: %w", algo, err)
	}
	return aead, nil
}

// keyEntry is one key of a Keyring. Only the expanded cipher is kept, not
// the raw key bytes, so nothing in a Keyring can be printed as key material.
type keyEntry struct {
	algo Algorithm
	aead cipher.AEAD
}

// Keyring holds every key that may still be needed to open stored values,
// plus the id of the one active key used for new seals. It is safe for
// concurrent use; Add and Rotate may run while other goroutines seal and
// open. The zero value is an empty keyring with no active key.
type Keyring struct {
	mu     sync.RWMutex
	keys   map[string]keyEntry
	active string
}

// NewKeyring returns an empty Keyring. Seal fails until a key is made active
// with [Keyring.Rotate] or [Keyring.SetActive].
func NewKeyring() *Keyring { return &Keyring{} }

// Add registers key under id without changing the active key. The key bytes
// are not retained, so the caller may clear its buffer afterwards. Adding an
// id that already exists is an error: silently replacing a key would make
// every value sealed under the old one unreadable.
func (r *Keyring) Add(id string, algo Algorithm, key []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.addLocked(id, algo, key); err != nil {
		return fmt.Errorf("seal: %w", err)
	}
	return nil
}

// addLocked does the work of Add with r.mu held (or r not yet shared). Its
// errors have no "seal:" prefix so that callers can add their own context.
func (r *Keyring) addLocked(id string, algo Algorithm, key []byte) error {
	if !validKeyID(id) {
		return fmt.Errorf("invalid key id: want 1-%d characters of [A-Za-z0-9._-]", maxKeyIDLen)
	}
	if _, dup := r.keys[id]; dup {
		return fmt.Errorf("duplicate key id %q", id)
	}
	aead, err := newAEAD(algo, key)
	if err != nil {
		return fmt.Errorf("key %q: %w", id, err)
	}
	if r.keys == nil {
		r.keys = make(map[string]keyEntry)
	}
	r.keys[id] = keyEntry{algo: algo, aead: aead}
	return nil
}

// SetActive makes the already-added key id the one used by future seals.
// Values sealed under the previous active key still open.
func (r *Keyring) SetActive(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.keys[id]; !ok {
		return fmt.Errorf("seal: cannot activate key %q: %w", id, ErrUnknownKey)
	}
	r.active = id
	return nil
}

// Rotate adds a new key and makes it active in one step, so no seal can
// observe the key added but not yet active. Old keys stay in the keyring and
// keep opening old values; use [Keyring.Reseal] to move values forward.
func (r *Keyring) Rotate(id string, algo Algorithm, key []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.addLocked(id, algo, key); err != nil {
		return fmt.Errorf("seal: %w", err)
	}
	r.active = id
	return nil
}

// ActiveKeyID returns the id used for new seals, or "" if none is set.
// Compare it with [SealedKeyID] to find values that still need a Reseal.
func (r *Keyring) ActiveKeyID() string {
	if r == nil {
		return ""
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.active
}

// KeyIDs returns the ids of all keys in the keyring, sorted.
func (r *Keyring) KeyIDs() []string {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	ids := make([]string, 0, len(r.keys))
	for id := range r.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Algorithm returns the algorithm of key id, and false if the key is absent.
func (r *Keyring) Algorithm(id string) (Algorithm, bool) {
	k, ok := r.lookup(id)
	return k.algo, ok
}

// String describes the keyring by key ids only; it never prints key
// material, so a keyring that ends up in a log line or %v is harmless.
func (r *Keyring) String() string {
	return fmt.Sprintf("seal.Keyring{active=%q keys=[%s]}", r.ActiveKeyID(), strings.Join(r.KeyIDs(), " "))
}

// GoString is [Keyring.String], so %#v cannot dump internals either.
func (r *Keyring) GoString() string { return r.String() }

func (r *Keyring) lookup(id string) (keyEntry, bool) {
	if r == nil {
		return keyEntry{}, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.keys[id]
	return k, ok
}

func (r *Keyring) activeKey() (string, keyEntry, error) {
	if r == nil {
		return "", keyEntry{}, errNoActiveKey
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.keys[r.active]
	if r.active == "" || !ok {
		return "", keyEntry{}, errNoActiveKey
	}
	return r.active, k, nil
}

// Sealer is what services need of a Keyring: sealing and opening values.
// Services depend on this interface, so a test may pass any implementation.
type Sealer interface {
	Seal(plaintext []byte, aad string) ([]byte, error)
	Open(sealed []byte, aad string) ([]byte, error)
}

var _ Sealer = (*Keyring)(nil)

// Derive returns 32 bytes that only the holder of the keyring can compute,
// stable for a label: a keyed pseudo-random function for keyed hashes of
// low-entropy identifiers (a phone number must not be found again by
// hashing every number). It uses the key with the smallest id, which must
// stay in the keyring as long as values derived from it are stored: the
// AEAD of that key seals the label under a nonce reserved for derivation
// (all zero; random nonces of ordinary seals meet it with probability
// 2^-96), and the result is hashed.
func (r *Keyring) Derive(label string) ([]byte, error) {
	ids := r.KeyIDs()
	if len(ids) == 0 {
		return nil, errors.New("seal: no key to derive from")
	}
	k, _ := r.lookup(ids[0])
	nonce := make([]byte, k.aead.NonceSize())
	out := k.aead.Seal(nil, nonce, []byte("careloop derive v1: "+label), nil)
	sum := sha256.Sum256(out)
	return sum[:], nil
}
