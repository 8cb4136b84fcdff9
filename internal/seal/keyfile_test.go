package seal

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeKeyFile writes content to a fresh file in a temp dir with mode perm,
// set explicitly so the umask does not matter.
func writeKeyFile(t *testing.T, content string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "seal.keys")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadKeyFile(t *testing.T) {
	aes1, sm4a := b64Key(AES256GCM, 1), b64Key(SM4GCM, 3)
	content := "# careloop keys\n\n  # indented comment\nk2026a:aes:" + aes1 + "\r\nk2025:sm4:" + sm4a + "\n"
	tests := []struct {
		name    string
		content string
		perm    os.FileMode
		active  string
		wantErr string
	}{
		{"0600", content, 0o600, "k2026a", ""},
		{"0400", content, 0o400, "k2026a", ""},
		{"active line", content + "active=k2025\n", 0o600, "k2025", ""},
		{"group readable", content, 0o640, "", "mode 0640"},
		{"world readable", content, 0o644, "", "lets group or others access it; run chmod 600"},
		{"other readable only", content, 0o604, "", "mode 0604"},
		{"group writable", content, 0o620, "", "mode 0620"},
		{"comma in line", "k1:aes:" + aes1 + ",k2:sm4:" + sm4a + "\n", 0o600, "", "line 1: one entry per line"},
		{"bad line", "# ok\nk1:aes:" + aes1 + "\nk2:sm4:" + aes1 + "\n", 0o600, "", `line 3: key "k2": sm4 key must be 16 bytes, got 32`},
		{"only comments", "# nothing here\n", 0o600, "", "no keys defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeKeyFile(t, tt.content, tt.perm)
			r, err := LoadKeyFile(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), aes1) || strings.Contains(err.Error(), sm4a) {
					t.Fatalf("error leaks key material: %v", err)
				}
				if tt.perm&0o077 != 0 && !errors.Is(err, ErrInsecureKeyFile) {
					t.Fatalf("err = %v, want ErrInsecureKeyFile", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.ActiveKeyID() != tt.active || len(r.KeyIDs()) != 2 {
				t.Fatalf("active %q ids %v", r.ActiveKeyID(), r.KeyIDs())
			}
		})
	}
}

func TestLoadKeyFileNotRegularOrMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyFile(dir); !errors.Is(err, ErrInsecureKeyFile) {
		t.Errorf("directory: err = %v, want ErrInsecureKeyFile", err)
	}
	if _, err := LoadKeyFile(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist", err)
	}
	big := writeKeyFile(t, strings.Repeat("#", maxKeyFileSize+1), 0o600)
	if _, err := LoadKeyFile(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized file: err = %v", err)
	}
}

func TestGenerateKeyFile(t *testing.T) {
	for _, algo := range algorithms {
		t.Run(algo.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "seal.keys")
			r, err := GenerateKeyFile(path, algo)
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Fatalf("mode = %#o, want 0600", fi.Mode().Perm())
			}
			id := r.ActiveKeyID()
			if a, ok := r.Algorithm(id); !ok || a != algo || !strings.HasPrefix(id, "k") {
				t.Fatalf("generated key %q algorithm %v", id, a)
			}
			sealed, err := r.SealString(secretNote, "ctx")
			if err != nil {
				t.Fatal(err)
			}

			// The file reloads to the same key.
			loaded, err := LoadKeyFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := loaded.OpenString(sealed, "ctx"); err != nil || got != secretNote {
				t.Fatalf("reloaded keyring: %q, %v", got, err)
			}

			// A second call must not overwrite the file.
			before, _ := os.ReadFile(path)
			if _, err := GenerateKeyFile(path, algo); !errors.Is(err, fs.ErrExist) {
				t.Fatalf("second GenerateKeyFile: err = %v, want fs.ErrExist", err)
			}
			after, _ := os.ReadFile(path)
			if string(before) != string(after) {
				t.Fatal("existing key file was modified")
			}
		})
	}
}

func TestGenerateKeyFileRefusesExistingEmptyFile(t *testing.T) {
	path := writeKeyFile(t, "", 0o600)
	if _, err := GenerateKeyFile(path, AES256GCM); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("err = %v, want fs.ErrExist", err)
	}
	if _, err := GenerateKeyFile(filepath.Join(t.TempDir(), "x"), Algorithm(0)); err == nil {
		t.Fatal("unknown algorithm accepted")
	}
}

func TestGeneratedKeysDiffer(t *testing.T) {
	dir := t.TempDir()
	r1, err := GenerateKeyFile(filepath.Join(dir, "a"), AES256GCM)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := GenerateKeyFile(filepath.Join(dir, "b"), AES256GCM)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "a"))
	b, _ := os.ReadFile(filepath.Join(dir, "b"))
	if string(a) == string(b) || r1.ActiveKeyID() == r2.ActiveKeyID() {
		t.Fatal("two generated key files are identical")
	}
}
