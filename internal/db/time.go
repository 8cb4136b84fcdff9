package db

import "time"

// Times are stored on both engines as BIGINT microseconds since the Unix
// epoch in UTC: one representation, sortable, with no driver differences.

// Micro converts t for storage; the zero time is stored as 0.
func Micro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UTC().UnixMicro()
}

// FromMicro converts a stored value back; 0 gives the zero time.
func FromMicro(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// Bool converts b to the INTEGER 0/1 that both engines store for booleans.
func Bool(b bool) int {
	if b {
		return 1
	}
	return 0
}
