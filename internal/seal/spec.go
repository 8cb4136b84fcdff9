package seal

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ParseKeys builds a Keyring from a key spec, typically an environment
// variable or config value, never a database column.
//
// The spec is a comma-separated list of entries; blanks around entries and
// empty entries are ignored. Each entry is either
//
//	id:algorithm:base64key   e.g. k2026a:aes:BASE64 or k2025:sm4:BASE64
//	active=id                chooses the active key explicitly
//
// id is 1-64 characters of [A-Za-z0-9._-]; algorithm is "aes" (AES-256-GCM,
// 32-byte key) or "sm4" (SM4-GCM, 16-byte key); base64key is standard padded
// base64. The first key entry is the active key unless an active= entry
// names another one; at most one active= entry is allowed. So rotating means
// prepending the new key, or adding it anywhere plus active=.
//
// Errors name the entry number and key id, never key bytes or any other
// part of the spec text.
func ParseKeys(spec string) (*Keyring, error) {
	b := builder{r: NewKeyring()}
	for i, entry := range strings.Split(spec, ",") {
		if err := b.add(entry, fmt.Sprintf("entry %d", i+1)); err != nil {
			return nil, fmt.Errorf("seal: key spec: %w", err)
		}
	}
	r, err := b.finish()
	if err != nil {
		return nil, fmt.Errorf("seal: key spec: %w", err)
	}
	return r, nil
}

// builder accumulates spec entries or key-file lines into a Keyring and
// resolves which key is active once all entries are seen.
type builder struct {
	r      *Keyring // not shared until finish returns it, so no locking
	first  string   // first key id seen, the default active key
	active string   // id from an active= entry
}

// add parses one entry. where ("entry 2", "line 5") locates it in errors.
// Errors carry no "seal:" prefix; callers add the source.
func (b *builder) add(entry, where string) error {
	entry = strings.TrimSpace(entry)
	if entry == "" {
		return nil
	}
	if id, ok := strings.CutPrefix(entry, "active="); ok {
		id = strings.TrimSpace(id)
		if !validKeyID(id) {
			return fmt.Errorf("%s: active= needs a key id of 1-%d characters of [A-Za-z0-9._-]", where, maxKeyIDLen)
		}
		if b.active != "" {
			return fmt.Errorf("%s: more than one active= entry", where)
		}
		b.active = id
		return nil
	}
	fields := strings.Split(entry, ":")
	if len(fields) != 3 {
		return fmt.Errorf(`%s: want "id:algorithm:base64key" or "active=id"`, where)
	}
	id, algoName, enc := fields[0], fields[1], fields[2]
	if !validKeyID(id) {
		return fmt.Errorf("%s: invalid key id: want 1-%d characters of [A-Za-z0-9._-]", where, maxKeyIDLen)
	}
	algo, err := ParseAlgorithm(algoName)
	if err != nil {
		return fmt.Errorf("%s: key %q: %w", where, id, errUnknownAlgorithm)
	}
	key, err := base64.StdEncoding.Strict().DecodeString(enc)
	if err != nil {
		// The decoder's message holds only an offset, but stay explicit.
		return fmt.Errorf("%s: key %q: key is not valid standard base64", where, id)
	}
	defer clear(key)
	if err := b.r.addLocked(id, algo, key); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if b.first == "" {
		b.first = id
	}
	return nil
}

// finish checks that at least one key was given and sets the active key.
func (b *builder) finish() (*Keyring, error) {
	if b.first == "" {
		return nil, errors.New("no keys defined")
	}
	active := b.first
	if b.active != "" {
		active = b.active
	}
	if _, ok := b.r.keys[active]; !ok {
		return nil, fmt.Errorf("active key %q is not defined", active)
	}
	b.r.active = active
	return b.r, nil
}
