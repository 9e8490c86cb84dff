package capture

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"
)

// nameLayout is the UTC timestamp in dump names. Fixed width, so names sort
// in time order.
const nameLayout = "20060102T150405.000Z"

// dumpName is the file name for a dump taken at t: heap-20260102T150405.123Z.dump.
func dumpName(t time.Time) string {
	return "heap-" + t.UTC().Format(nameLayout) + ".dump"
}

var dumpNameRE = regexp.MustCompile(`^heap-[0-9]{8}T[0-9]{6}\.[0-9]{3}Z\.dump$`)

// Every writes a heap dump into dir (created with mode 0700 if missing) right
// away and then once per interval, until ctx is done, keeping the newest keep
// dumps and removing older ones. Files are named heap-<UTC time>.dump
// (heap-20260102T150405.123Z.dump), so they sort by time:
// `dumpscope diff $(ls dir/heap-*.dump | tail -n 3)` compares the newest two
// or three, oldest first. Only files with exactly that pattern are ever
// removed; give each process its own dir.
//
// Each dump is a WriteFile (same options) and pauses the program for
// Result.Pause. A capture that takes longer than interval delays the next
// one rather than stacking them up. Every blocks: run it in its own
// goroutine. It returns nil when ctx is done, or the first error (a failed
// capture or removal), which ends it.
func Every(ctx context.Context, interval time.Duration, dir string, keep int, opts ...Option) error {
	if interval <= 0 {
		return fmt.Errorf("capture: Every needs a positive interval, not %v", interval)
	}
	if keep < 1 {
		return fmt.Errorf("capture: Every needs keep ≥ 1, not %d", keep)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	c := newConfig(opts)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if err := ctx.Err(); err != nil {
			return nil
		}
		if err := captureInto(dir, keep, c); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func captureInto(dir string, keep int, c config) error {
	captureMu.Lock()
	path := filepath.Join(dir, dumpName(time.Now()))
	r, err := writeTo(path, dir, c)
	captureMu.Unlock()
	if err != nil {
		return err
	}
	if err := rotate(dir, keep); err != nil {
		return err
	}
	if c.onCapture != nil {
		c.onCapture(r)
	}
	return nil
}

// rotate removes all but the newest keep dumps named by dumpName in dir.
func rotate(dir string, keep int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && dumpNameRE.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for len(names) > keep {
		if err := os.Remove(filepath.Join(dir, names[0])); err != nil {
			return fmt.Errorf("capture: rotating dumps: %w", err)
		}
		names = names[1:]
	}
	return nil
}
