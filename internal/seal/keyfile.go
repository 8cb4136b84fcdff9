package seal

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// ErrInsecureKeyFile is returned by LoadKeyFile when the key file is not a
// regular file or grants any permission to group or others.
var ErrInsecureKeyFile = errors.New("seal: insecure key file")

// maxKeyFileSize bounds how much LoadKeyFile reads; a real key file is a few
// hundred bytes, so anything larger is the wrong file.
const maxKeyFileSize = 64 << 10

// LoadKeyFile reads a Keyring from a key file. The format is that of
// [ParseKeys] with one entry per line instead of commas: blank lines and
// lines whose first non-blank character is '#' are ignored, the first key
// line is the active key unless an "active=id" line says otherwise.
//
// The file must be a regular file with no group or other permission bits
// (mode 0600 or 0400); otherwise LoadKeyFile refuses it with an error
// wrapping [ErrInsecureKeyFile] and does not read it. A missing file gives
// an error for which errors.Is(err, fs.ErrNotExist) holds, so a first start
// can fall back to [GenerateKeyFile].
func LoadKeyFile(path string) (*Keyring, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("seal: open key file: %w", err)
	}
	defer f.Close()
	// Stat the open file, not the path, so the checked file is the read one.
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("seal: stat key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrInsecureKeyFile, path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %#o, which lets group or others access it; run chmod 600 %s",
			ErrInsecureKeyFile, path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	defer clear(data)
	if err != nil {
		return nil, fmt.Errorf("seal: read key file: %w", err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("seal: key file %s is larger than %d bytes", path, maxKeyFileSize)
	}
	b := builder{r: NewKeyring()}
	for i, line := range bytes.Split(data, []byte("\n")) {
		s := strings.TrimSpace(string(line))
		if strings.HasPrefix(s, "#") {
			continue
		}
		if strings.Contains(s, ",") {
			return nil, fmt.Errorf("seal: key file %s: line %d: one entry per line, no commas", path, i+1)
		}
		if err := b.add(s, fmt.Sprintf("line %d", i+1)); err != nil {
			return nil, fmt.Errorf("seal: key file %s: %w", path, err)
		}
	}
	r, err := b.finish()
	if err != nil {
		return nil, fmt.Errorf("seal: key file %s: %w", path, err)
	}
	return r, nil
}

// GenerateKeyFile creates a new key file at path holding one fresh random
// key for algo, and returns the Keyring with that key active. It is meant
// for the first start of a fresh install.
//
// The file is created with O_EXCL and mode 0600, so an existing file, even
// an empty one, is never overwritten: the error then satisfies
// errors.Is(err, fs.ErrExist). Overwriting would destroy the only key able
// to open everything already sealed. If writing fails after creation, the
// partial file is removed. The key id is "k" + UTC date + "-" + 6 random hex
// digits, e.g. "k20260314-9f3a1c".
func GenerateKeyFile(path string, algo Algorithm) (*Keyring, error) {
	size := algo.KeySize()
	if size == 0 {
		return nil, fmt.Errorf("seal: %w", errUnknownAlgorithm)
	}
	key := make([]byte, size)
	defer clear(key)
	var suffix [3]byte
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("seal: generating key: %w", err)
	}
	if _, err := rand.Read(suffix[:]); err != nil {
		return nil, fmt.Errorf("seal: generating key id: %w", err)
	}
	id := "k" + time.Now().UTC().Format("20060102") + "-" + hex.EncodeToString(suffix[:])
	r := NewKeyring()
	if err := r.Rotate(id, algo, key); err != nil {
		return nil, err
	}

	content := []byte("# careloop seal keys: id:algorithm:base64key, first line is active.\n" +
		"# Keep this file mode 0600. Never copy it into the database or version control.\n" +
		"# To rotate, add a new key line above the others (or add active=id).\n")
	content = append(content, id+":"+algo.String()+":"...)
	content = base64.StdEncoding.AppendEncode(content, key)
	content = append(content, '\n')
	defer clear(content)

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("seal: create key file: %w", err)
	}
	// Chmod pins the mode even under an unusual umask; Sync makes sure the
	// key is on disk before anything is sealed with it.
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(content)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("seal: write key file: %w", err)
	}
	return r, nil
}
