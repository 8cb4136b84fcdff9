package audit

import (
	"crypto/sha256"
	"fmt"
	"hash"

	"github.com/emmansun/gmsm/sm3"
)

// newHash returns the hash named by algo. Each entry records its algorithm,
// so a trail that switched from SHA-256 to SM3 still verifies end to end.
func newHash(algo string) (hash.Hash, error) {
	switch algo {
	case "sha256":
		return sha256.New(), nil
	case "sm3":
		return sm3.New(), nil
	}
	return nil, fmt.Errorf("audit: unknown hash algorithm %q", algo)
}
