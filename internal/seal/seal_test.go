package seal

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// testKey returns a deterministic, non-zero key of the right size for algo.
func testKey(algo Algorithm, seed byte) []byte {
	k := make([]byte, algo.KeySize())
	for i := range k {
		k[i] = seed + byte(i)*7 + 1
	}
	return k
}

// newTestKeyring returns a keyring with one active key "k1" for algo.
func newTestKeyring(t testing.TB, algo Algorithm) *Keyring {
	t.Helper()
	r := NewKeyring()
	if err := r.Rotate("k1", algo, testKey(algo, 1)); err != nil {
		t.Fatal(err)
	}
	return r
}

var algorithms = []Algorithm{AES256GCM, SM4GCM}

const secretNote = "child said: please do not tell my parents"

func TestRoundTrip(t *testing.T) {
	plaintexts := []struct {
		name string
		text []byte
	}{
		{"empty", []byte{}},
		{"short", []byte(secretNote)},
		{"unicode", []byte("孩子说：我很难过 😔")},
		{"binary", []byte{0, 1, 2, 0xff, 0xfe}},
		{"large", bytes.Repeat([]byte("note "), 20000)},
	}
	for _, algo := range algorithms {
		r := newTestKeyring(t, algo)
		for _, p := range plaintexts {
			t.Run(algo.String()+"/"+p.name, func(t *testing.T) {
				sealed, err := r.Seal(p.text, "student_note:42:body")
				if err != nil {
					t.Fatal(err)
				}
				if len(p.text) > 4 && bytes.Contains(sealed, p.text) {
					t.Fatal("sealed value contains the plaintext")
				}
				if want := len("cl1") + 1 + len("k1") + 1 + nonceSize + len(p.text) + tagSize; len(sealed) != want {
					t.Fatalf("sealed length = %d, want %d", len(sealed), want)
				}
				if id, err := SealedKeyID(sealed); err != nil || id != "k1" {
					t.Fatalf("SealedKeyID = %q, %v; want k1", id, err)
				}
				if got := Algorithm(sealed[len("cl1")+1+len("k1")]); got != algo {
					t.Fatalf("algorithm byte = %v, want %v", got, algo)
				}
				got, err := r.Open(sealed, "student_note:42:body")
				if err != nil {
					t.Fatal(err)
				}
				if got == nil || !bytes.Equal(got, p.text) {
					t.Fatalf("Open = %q, want %q", got, p.text)
				}
			})
		}
	}
}

func TestSealUsesFreshNonce(t *testing.T) {
	for _, algo := range algorithms {
		r := newTestKeyring(t, algo)
		a, _ := r.SealString(secretNote, "ctx")
		b, _ := r.SealString(secretNote, "ctx")
		if bytes.Equal(a, b) {
			t.Errorf("%v: two seals of the same text are identical", algo)
		}
	}
}

func TestSealOpenString(t *testing.T) {
	r := newTestKeyring(t, AES256GCM)
	sealed, err := r.SealString(secretNote, "student_note:7:body")
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.OpenString(sealed, "student_note:7:body")
	if err != nil || got != secretNote {
		t.Fatalf("OpenString = %q, %v", got, err)
	}
	got, err = r.OpenString(sealed, "student_note:8:body")
	if !errors.Is(err, ErrTampered) || got != "" {
		t.Fatalf("OpenString with wrong aad = %q, %v; want \"\", ErrTampered", got, err)
	}
}

// checkRefused fails unless Open refused with one of the two sentinels,
// returned no plaintext, and the error text leaks nothing.
func checkRefused(t *testing.T, what string, got []byte, err error) {
	t.Helper()
	if !errors.Is(err, ErrTampered) && !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("%s: err = %v, want ErrTampered or ErrUnknownKey", what, err)
	}
	if got != nil {
		t.Fatalf("%s: returned %d bytes of output alongside an error", what, len(got))
	}
	if strings.Contains(err.Error(), "parents") {
		t.Fatalf("%s: error contains plaintext: %v", what, err)
	}
}

func TestTamperEveryByte(t *testing.T) {
	for _, algo := range algorithms {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			r := newTestKeyring(t, algo)
			// A second key whose id is "k1" with bit 0x01 flipped, so a
			// flipped id byte lands on a key that exists.
			if err := r.Add("k0", algo, testKey(algo, 3)); err != nil {
				t.Fatal(err)
			}
			sealed, err := r.SealString(secretNote, "student_note:42:body")
			if err != nil {
				t.Fatal(err)
			}
			for i := range sealed {
				bad := bytes.Clone(sealed)
				bad[i] ^= mask
				got, err := r.Open(bad, "student_note:42:body")
				checkRefused(t, fmt.Sprintf("%v: byte %d ^ %#x", algo, i, mask), got, err)
			}
		}
	}
}

func TestTruncatedAndExtended(t *testing.T) {
	for _, algo := range algorithms {
		r := newTestKeyring(t, algo)
		sealed, _ := r.SealString(secretNote, "ctx")
		for n := range len(sealed) {
			got, err := r.Open(sealed[:n], "ctx")
			checkRefused(t, "truncated", got, err)
		}
		got, err := r.Open(append(bytes.Clone(sealed), 0), "ctx")
		checkRefused(t, "extended", got, err)
		got, err = r.Open(sealed[1:], "ctx")
		checkRefused(t, "prefix cut", got, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	r := newTestKeyring(t, AES256GCM)
	if err := r.Add("k2", AES256GCM, testKey(AES256GCM, 2)); err != nil {
		t.Fatal(err)
	}
	sealed, _ := r.SealString(secretNote, "student_note:42:body")

	// Same ciphertext with the key id rewritten to another existing key.
	otherKey := bytes.Clone(sealed)
	otherKey[len("cl1")+1+1] = '2'
	// Unknown version string.
	badVersion := bytes.Clone(sealed)
	copy(badVersion, "cl2")
	// Algorithm byte that names SM4 for an AES key, and one no one knows.
	wrongAlgo := bytes.Clone(sealed)
	wrongAlgo[len("cl1")+1+2] = byte(SM4GCM)
	unknownAlgo := bytes.Clone(sealed)
	unknownAlgo[len("cl1")+1+2] = 0x7f
	// Well-formed header naming a key that is not in the keyring.
	missingKey := bytes.Clone(sealed)
	missingKey[len("cl1")+1+1] = '9'

	tests := []struct {
		name   string
		sealed []byte
		aad    string
		want   error
	}{
		{"wrong row", sealed, "student_note:43:body", ErrTampered},
		{"wrong column", sealed, "student_note:42:title", ErrTampered},
		{"aad prefix", sealed, "student_note:42:bod", ErrTampered},
		{"other key id", otherKey, "student_note:42:body", ErrTampered},
		{"unknown version", badVersion, "student_note:42:body", ErrTampered},
		{"algorithm mismatch", wrongAlgo, "student_note:42:body", ErrTampered},
		{"unknown algorithm", unknownAlgo, "student_note:42:body", ErrTampered},
		{"missing key", missingKey, "student_note:42:body", ErrUnknownKey},
		{"nil", nil, "ctx", ErrTampered},
		{"plaintext passed as sealed", []byte(secretNote), "ctx", ErrTampered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := r.Open(tt.sealed, tt.aad)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			checkRefused(t, tt.name, got, err)
		})
	}
}

func TestEmptyAADAndNoActiveKey(t *testing.T) {
	r := newTestKeyring(t, AES256GCM)
	if _, err := r.Seal([]byte(secretNote), ""); !errors.Is(err, errEmptyAAD) {
		t.Errorf("Seal with empty aad: err = %v", err)
	}
	sealed, _ := r.SealString(secretNote, "ctx")
	if _, err := r.Open(sealed, ""); !errors.Is(err, errEmptyAAD) {
		t.Errorf("Open with empty aad: err = %v", err)
	}
	for name, kr := range map[string]*Keyring{"nil": nil, "zero": {}, "new": NewKeyring()} {
		if _, err := kr.Seal([]byte(secretNote), "ctx"); !errors.Is(err, errNoActiveKey) {
			t.Errorf("%s keyring Seal: err = %v, want errNoActiveKey", name, err)
		}
		if _, err := kr.Open(sealed, "ctx"); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("%s keyring Open: err = %v, want ErrUnknownKey", name, err)
		}
	}
}

func TestKeyringNeverPrintsKeys(t *testing.T) {
	key := testKey(AES256GCM, 9)
	r := NewKeyring()
	if err := r.Rotate("k9", AES256GCM, key); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{r.String(), r.GoString()} {
		if !strings.Contains(s, "k9") || strings.Contains(s, base64.StdEncoding.EncodeToString(key)) {
			t.Errorf("unexpected keyring description %q", s)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	r := newTestKeyring(t, SM4GCM)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for range 200 {
				s, err := r.SealString(secretNote, "ctx")
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := r.OpenString(s, "ctx"); err != nil || got != secretNote {
					t.Errorf("goroutine %d: %q, %v", g, got, err)
					return
				}
			}
		})
	}
	// Rotate while others seal and open.
	if err := r.Rotate("k2", AES256GCM, testKey(AES256GCM, 2)); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
}
