package seal_test

import (
	"bytes"
	"testing"

	"github.com/careloop/careloop/internal/seal"
)

func TestDeriveIsStableKeyedAndSurvivesRotation(t *testing.T) {
	k1 := bytes.Repeat([]byte{3}, 32)
	k2 := bytes.Repeat([]byte{7}, 32)
	a := seal.NewKeyring()
	if err := a.Rotate("k1", seal.AES256GCM, k1); err != nil {
		t.Fatal(err)
	}
	x, err := a.Derive("contact identifiers")
	if err != nil || len(x) != 32 {
		t.Fatalf("derive: %x, %v", x, err)
	}
	y, _ := a.Derive("contact identifiers")
	if !bytes.Equal(x, y) {
		t.Error("two derivations of one label differ")
	}
	if z, _ := a.Derive("other"); bytes.Equal(x, z) {
		t.Error("two labels give the same bytes")
	}
	if err := a.Rotate("k2", seal.AES256GCM, k2); err != nil {
		t.Fatal(err)
	}
	if r, _ := a.Derive("contact identifiers"); !bytes.Equal(x, r) {
		t.Error("rotating to a new key changed the derived bytes")
	}
	b := seal.NewKeyring()
	if err := b.Rotate("k1", seal.AES256GCM, k2); err != nil {
		t.Fatal(err)
	}
	if w, _ := b.Derive("contact identifiers"); bytes.Equal(x, w) {
		t.Error("another key gives the same bytes")
	}
	if _, err := seal.NewKeyring().Derive("x"); err == nil {
		t.Error("an empty keyring derived bytes")
	}
}
