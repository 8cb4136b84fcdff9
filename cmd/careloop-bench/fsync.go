package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// fsyncProbe measures how many 4 KiB write + fdatasync rounds the disk of
// dir takes per second: the ceiling of a server that commits (and so
// syncs) once per write transaction. It is context for the figures, since
// the disk of a shared machine varies from run to run.
func fsyncProbe(dir string, d time.Duration) float64 {
	f, err := os.CreateTemp(dir, "fsync-probe-")
	if err != nil {
		return 0
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 4096)
	n, start := 0, time.Now()
	for time.Since(start) < d {
		if _, err := f.WriteAt(buf, int64(n%64)*4096); err != nil {
			return 0
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return 0
		}
		n++
	}
	return round(float64(n)/time.Since(start).Seconds(), 0)
}

// loadAverage is the one-minute load average of the machine (other work on
// a shared machine shows here), or -1 if unknown.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}
