package testutil

import (
	"testing"

	"github.com/careloop/careloop/internal/seal"
)

// Keyring returns a keyring with one fixed AES-256-GCM key "k1", for tests
// that seal fields. Never use it outside tests.
func Keyring(tb testing.TB) *seal.Keyring {
	tb.Helper()
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i*11 + 5)
	}
	k := seal.NewKeyring()
	if err := k.Rotate("k1", seal.AES256GCM, key); err != nil {
		tb.Fatal(err)
	}
	return k
}
