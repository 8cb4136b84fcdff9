package seal

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzOpen checks that Open never panics on arbitrary input, only ever
// fails with the documented sentinels, and never accepts anything but the
// values sealed in the setup. The setup runs again in every fuzz worker
// with fresh nonces, so success is judged by AAD and plaintext rather than
// by comparing bytes with this process's seeds.
func FuzzOpen(f *testing.F) {
	r := newTestKeyring(f, AES256GCM)
	if err := r.Add("s", SM4GCM, testKey(SM4GCM, 4)); err != nil {
		f.Fatal(err)
	}
	const aad = "student_note:1:body"
	for _, id := range []string{"k1", "s"} {
		if err := r.SetActive(id); err != nil {
			f.Fatal(err)
		}
		for _, pt := range []string{"", secretNote} {
			s, err := r.SealString(pt, aad)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(s, aad)
		}
	}
	f.Add([]byte{}, aad)
	f.Add([]byte("cl1"), aad)
	f.Add([]byte("cl1\x40"), aad)
	f.Add([]byte("cl1\x02k1\x01"), "x")
	f.Add(bytes.Repeat([]byte{0xff}, 64), aad)

	f.Fuzz(func(t *testing.T, sealed []byte, ad string) {
		pt, err := r.Open(sealed, ad)
		if err != nil {
			if pt != nil {
				t.Fatal("output returned alongside error")
			}
			if !errors.Is(err, ErrTampered) && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, errEmptyAAD) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if ad == aad && (len(pt) == 0 || string(pt) == secretNote) {
			return
		}
		t.Fatalf("Open accepted an input that was never sealed: %x %q", sealed, ad)
	})
}
