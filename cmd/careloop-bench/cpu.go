package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuUse says how busy the machine was during a phase: whether a figure is
// bound by the two cores or by waiting (fsync, locks).
type cpuUse struct {
	ProcessCores float64 `json:"process_cores"` // CPU time of this process (server + load) per second of wall time
	MachineBusy  float64 `json:"machine_busy"`  // share of all cores busy (includes PostgreSQL's backends), 0–1
	IOWait       float64 `json:"iowait"`        // share of all cores idle waiting for the disk, 0–1
	// DiskWriteBytes is what this process wrote to storage (/proc/self/io
	// write_bytes): SQLite's WAL and checkpoints; 0 when unknown.
	DiskWriteBytes int64 `json:"disk_write_bytes"`
}

type cpuMark struct {
	at             time.Time
	proc           time.Duration
	written        int64
	busy, io, all  uint64
	machineUnknown bool
}

func startCPU() cpuMark {
	m := cpuMark{at: time.Now(), proc: processCPU(), written: diskWritten()}
	m.busy, m.io, m.all, m.machineUnknown = machineCPU()
	return m
}

func (m cpuMark) stop() cpuUse {
	wall := time.Since(m.at)
	u := cpuUse{ProcessCores: float64(processCPU()-m.proc) / float64(wall), DiskWriteBytes: diskWritten() - m.written}
	busy, io, all, unknown := machineCPU()
	if !unknown && !m.machineUnknown && all > m.all {
		u.MachineBusy = float64(busy-m.busy) / float64(all-m.all)
		u.IOWait = float64(io-m.io) / float64(all-m.all)
	}
	return u
}

// diskWritten reads write_bytes of /proc/self/io (0 where there is none).
func diskWritten() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU reads the first line of /proc/stat: busy, iowait and all ticks.
func machineCPU() (busy, iowait, all uint64, unknown bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0, true
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0, 0, true
	}
	var v []uint64
	for _, s := range f[1:] {
		n, _ := strconv.ParseUint(s, 10, 64)
		v = append(v, n)
	}
	for i, n := range v {
		if i >= 8 { // guest time is already counted in user
			break
		}
		all += n
	}
	idle := v[3] + v[4]
	return all - idle, v[4], all, false
}
