package seal

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
)

func b64Key(algo Algorithm, seed byte) string {
	return encodeKey(testKey(algo, seed))
}

func encodeKey(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

func TestRotationAndReseal(t *testing.T) {
	tests := []struct{ oldAlgo, newAlgo Algorithm }{
		{SM4GCM, AES256GCM},
		{AES256GCM, SM4GCM},
		{AES256GCM, AES256GCM},
	}
	for _, tt := range tests {
		t.Run(tt.oldAlgo.String()+"->"+tt.newAlgo.String(), func(t *testing.T) {
			const aad = "student_note:42:body"
			r := NewKeyring()
			if err := r.Rotate("k2025", tt.oldAlgo, testKey(tt.oldAlgo, 1)); err != nil {
				t.Fatal(err)
			}
			old, err := r.SealString(secretNote, aad)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Rotate("k2026a", tt.newAlgo, testKey(tt.newAlgo, 2)); err != nil {
				t.Fatal(err)
			}
			if got := r.ActiveKeyID(); got != "k2026a" {
				t.Fatalf("ActiveKeyID = %q", got)
			}
			if got, err := r.OpenString(old, aad); err != nil || got != secretNote {
				t.Fatalf("old value after rotation: %q, %v", got, err)
			}
			fresh, _ := r.SealString(secretNote, aad)
			if id, _ := SealedKeyID(fresh); id != "k2026a" {
				t.Fatalf("new seal uses key %q, want k2026a", id)
			}

			moved, err := r.Reseal(old, aad)
			if err != nil {
				t.Fatal(err)
			}
			if id, _ := SealedKeyID(moved); id != "k2026a" {
				t.Fatalf("resealed value uses key %q, want k2026a", id)
			}
			if got, err := r.OpenString(moved, aad); err != nil || got != secretNote {
				t.Fatalf("resealed value: %q, %v", got, err)
			}
			if _, err := r.Reseal(old, "student_note:43:body"); !errors.Is(err, ErrTampered) {
				t.Fatalf("Reseal with wrong aad: err = %v, want ErrTampered", err)
			}

			// Retire the old key: resealed values open, unresealed ones
			// report the missing key.
			retired := NewKeyring()
			if err := retired.Rotate("k2026a", tt.newAlgo, testKey(tt.newAlgo, 2)); err != nil {
				t.Fatal(err)
			}
			if got, err := retired.OpenString(moved, aad); err != nil || got != secretNote {
				t.Fatalf("resealed value after retiring old key: %q, %v", got, err)
			}
			if _, err := retired.Open(old, aad); !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("old value after retiring its key: err = %v, want ErrUnknownKey", err)
			}
		})
	}
}

func TestRotationViaSpec(t *testing.T) {
	oldSpec := "k2025:sm4:" + b64Key(SM4GCM, 1)
	r1, err := ParseKeys(oldSpec)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := r1.SealString(secretNote, "ctx")
	for _, spec := range []string{
		"k2026a:aes:" + b64Key(AES256GCM, 2) + "," + oldSpec,
		oldSpec + ",k2026a:aes:" + b64Key(AES256GCM, 2) + ",active=k2026a",
	} {
		r2, err := ParseKeys(spec)
		if err != nil {
			t.Fatal(err)
		}
		if r2.ActiveKeyID() != "k2026a" {
			t.Errorf("ActiveKeyID = %q, want k2026a", r2.ActiveKeyID())
		}
		if got, err := r2.OpenString(old, "ctx"); err != nil || got != secretNote {
			t.Errorf("old value with rotated spec: %q, %v", got, err)
		}
	}
}

func TestKeyringAddErrors(t *testing.T) {
	r := newTestKeyring(t, AES256GCM)
	tests := []struct {
		name string
		id   string
		algo Algorithm
		key  []byte
		want string
	}{
		{"duplicate id", "k1", AES256GCM, testKey(AES256GCM, 5), "duplicate key id"},
		{"empty id", "", AES256GCM, testKey(AES256GCM, 5), "invalid key id"},
		{"id with colon", "a:b", AES256GCM, testKey(AES256GCM, 5), "invalid key id"},
		{"id too long", strings.Repeat("k", 65), AES256GCM, testKey(AES256GCM, 5), "invalid key id"},
		{"short aes key", "k2", AES256GCM, make([]byte, 16), "aes key must be 32 bytes, got 16"},
		{"long sm4 key", "k2", SM4GCM, testKey(AES256GCM, 5), "sm4 key must be 16 bytes, got 32"},
		{"zero key", "k2", AES256GCM, make([]byte, 32), "all zero"},
		{"unknown algorithm", "k2", Algorithm(9), make([]byte, 32), "unknown algorithm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Add(tt.id, tt.algo, tt.key)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "seal: ") {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	if err := r.SetActive("nope"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("SetActive unknown: err = %v", err)
	}
	if got := r.KeyIDs(); !slices.Equal(got, []string{"k1"}) {
		t.Errorf("failed Adds changed the keyring: %v", got)
	}
}

func TestParseKeys(t *testing.T) {
	aes1, aes2, sm4a := b64Key(AES256GCM, 1), b64Key(AES256GCM, 2), b64Key(SM4GCM, 3)
	valid := []struct {
		name, spec, active string
		ids                []string
	}{
		{"single aes", "k1:aes:" + aes1, "k1", []string{"k1"}},
		{"first is active", "k2026a:aes:" + aes1 + ",k2025:sm4:" + sm4a, "k2026a", []string{"k2025", "k2026a"}},
		{"explicit active", "k2026a:aes:" + aes1 + ",k2025:sm4:" + sm4a + ",active=k2025", "k2025", []string{"k2025", "k2026a"}},
		{"active first", "active=b,a:aes:" + aes1 + ",b:aes:" + aes2, "b", []string{"a", "b"}},
		{"blanks and empty entries", " k1:aes:" + aes1 + " , ,k.2_x-y:sm4:" + sm4a + ",", "k1", []string{"k.2_x-y", "k1"}},
	}
	for _, tt := range valid {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseKeys(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if r.ActiveKeyID() != tt.active || !slices.Equal(r.KeyIDs(), tt.ids) {
				t.Fatalf("got active %q ids %v, want %q %v", r.ActiveKeyID(), r.KeyIDs(), tt.active, tt.ids)
			}
			if a, ok := r.Algorithm("k1"); ok && a != AES256GCM {
				t.Fatalf("k1 algorithm = %v", a)
			}
		})
	}

	invalid := []struct{ name, spec, want string }{
		{"empty", "", "no keys defined"},
		{"only active", "active=k1", "no keys defined"},
		{"aes key 16 bytes", "k1:aes:" + sm4a, `entry 1: key "k1": aes key must be 32 bytes, got 16`},
		{"sm4 key 32 bytes", "k1:aes:" + aes1 + ",k2:sm4:" + aes2, `entry 2: key "k2": sm4 key must be 16 bytes, got 32`},
		{"unknown algorithm", "k1:des:" + aes1, `entry 1: key "k1": unknown algorithm; want "aes" or "sm4"`},
		{"algorithm case", "k1:AES:" + aes1, "unknown algorithm"},
		{"fields swapped", aes1 + ":aes:k1", "invalid key id"},
		{"bad base64", "k1:aes:not*base64", `key "k1": key is not valid standard base64`},
		{"unpadded base64", "k1:sm4:" + strings.TrimRight(sm4a, "="), "not valid standard base64"},
		{"too few fields", "k1:" + aes1, `want "id:algorithm:base64key" or "active=id"`},
		{"too many fields", "k1:aes:" + aes1 + ":x", `want "id:algorithm:base64key"`},
		{"duplicate id", "k1:aes:" + aes1 + ",k1:aes:" + aes2, `entry 2: duplicate key id "k1"`},
		{"active undefined", "k1:aes:" + aes1 + ",active=k9", `active key "k9" is not defined`},
		{"two active", "k1:aes:" + aes1 + ",active=k1,active=k1", "more than one active="},
		{"bad active id", "k1:aes:" + aes1 + ",active=", "active= needs a key id"},
		{"zero key", "k1:aes:" + encodeKey(make([]byte, 32)), "all zero"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseKeys(tt.spec)
			if err == nil {
				t.Fatalf("ParseKeys succeeded: %v", r)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "seal: key spec: ") || !strings.Contains(msg, tt.want) {
				t.Fatalf("err = %q, want it to contain %q", msg, tt.want)
			}
			for _, k := range []string{aes1, aes2, sm4a, "not*base64"} {
				if strings.Contains(msg, k) || strings.Contains(msg, strings.TrimRight(k, "=")) {
					t.Fatalf("error leaks key material: %q", msg)
				}
			}
		})
	}
}

func TestAlgorithmNames(t *testing.T) {
	for _, a := range algorithms {
		got, err := ParseAlgorithm(a.String())
		if err != nil || got != a {
			t.Errorf("ParseAlgorithm(%q) = %v, %v", a.String(), got, err)
		}
	}
	if Algorithm(0).KeySize() != 0 || Algorithm(0).String() != "Algorithm(0)" {
		t.Error("zero Algorithm should be unknown")
	}
}
