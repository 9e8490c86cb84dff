// Package capture takes Go heap dumps (runtime/debug.WriteHeapDump) that
// dumpscope can analyse, and checks that each one was written completely.
//
// Three ways to take one:
//
//   - WriteFile writes a dump to a path, atomically (temporary file, fsync, rename).
//   - Handler serves a fresh dump over HTTP, for an internal debug port.
//   - Every writes one dump per interval into a directory and keeps the newest few,
//     ready for `dumpscope diff`.
//
// Call EnableAllocationSites(1) first thing in main to record the allocation site
// of every object.
//
// Every capture stops the world while the runtime writes the dump: all goroutines
// are paused, for about 3 s per GiB of small objects on an idle machine
// (measured with internal/pausecost; see Result.Pause).
// Only one capture runs at a time per process; WriteFile and Every wait for a
// running capture to finish, Handler answers 503 instead.
//
// Dumps hold every byte of the heap, including passwords, keys, tokens and
// personal data. Files are created with mode 0600; never serve Handler publicly.
package capture

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
)

// Result describes one dump.
type Result struct {
	// Path is where the dump was written. For Handler it is the temporary
	// file, which is removed once the response is sent.
	Path string
	// Size is the file size in bytes.
	Size int64
	// Taken is when WriteHeapDump started.
	Taken time.Time
	// GC is the time spent in runtime.GC calls (and the waits between them)
	// before the dump. The program keeps running during most of it.
	GC time.Duration
	// Pause is how long WriteHeapDump took: the world is stopped for all of it.
	Pause time.Duration
	// Total is the whole capture: GC, the dump, fsync, verification and rename.
	Total time.Duration
}

// Option changes how a dump is taken.
type Option func(*config)

type config struct {
	gcRuns     int
	gcInterval time.Duration
	tempDir    string
	onCapture  func(Result)
}

func newConfig(opts []Option) config {
	c := config{gcRuns: 1}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithGC sets how many times runtime.GC runs before the dump (default 1) and
// how long to wait between runs. A GC first means the dump holds only live
// objects, so dumpscope reports no unreachable garbage; several runs apart give
// finalizers and background work time to settle, for a quiescent heap. With
// runs = 0 no GC runs, and everything allocated since the last GC is in the dump,
// live or not (dumpscope shows it as unreachable).
func WithGC(runs int, interval time.Duration) Option {
	return func(c *config) {
		if runs < 0 {
			runs = 0
		}
		c.gcRuns = runs
		c.gcInterval = interval
	}
}

// WithTempDir sets the directory for Handler's temporary dump files (default
// os.TempDir()). A dump is about 1.0–1.5 times the heap in size; pick a disk
// with room for it. WriteFile and Every always use the target's directory.
func WithTempDir(dir string) Option {
	return func(c *config) { c.tempDir = dir }
}

// WithOnCapture registers fn to be called after each successful capture, for
// example to log Result.Pause or to count Every's dumps.
func WithOnCapture(fn func(Result)) Option {
	return func(c *config) { c.onCapture = fn }
}

// EnableAllocationSites sets runtime.MemProfileRate: with rate 1 the runtime
// records the allocation stack of every object, and dumpscope names each object
// by the function that allocated it. Call it first thing in main: objects
// allocated before the call keep the old rate's sampling. Recording every
// allocation costs CPU and memory (a stack per allocation site, a record per
// sampled object, also in the dump); the Go default, 512 KiB, samples one
// allocation per 512 KiB allocated on average. A rate ≤ 0 turns sampling off.
func EnableAllocationSites(rate int) {
	if rate < 0 {
		rate = 0
	}
	runtime.MemProfileRate = rate
}

// captureMu allows one capture per process at a time: each one stops the world
// and may need as much disk as the heap.
var captureMu sync.Mutex

// memProfile keeps runtime.MemProfile reachable. A binary in which it is not
// reachable has memory profiling switched off by the linker (MemProfileRate
// set to 0 at start-up), so its dumps would hold no allocation sites at the
// default rate.
var memProfile func([]runtime.MemProfileRecord, bool) (int, bool)

// WriteFile runs runtime.GC (see WithGC), writes a heap dump to a temporary
// file in path's directory, fsyncs it, checks that it is complete and renames
// it to path, replacing any file there. The world is stopped for Result.Pause.
// The file has mode 0600. On error no file is left behind and an existing file
// at path is untouched.
func WriteFile(path string, opts ...Option) (Result, error) {
	c := newConfig(opts)
	captureMu.Lock()
	defer captureMu.Unlock()
	r, err := writeTo(path, filepath.Dir(path), c)
	if err != nil {
		return r, err
	}
	if c.onCapture != nil {
		c.onCapture(r)
	}
	return r, nil
}

// writeTo does WriteFile's work with captureMu held: the dump goes to a
// temporary file in tmpDir, which is renamed to path (tmpDir must be on the
// same file system as path).
func writeTo(path, tmpDir string, c config) (r Result, err error) {
	start := time.Now()
	r.Path = path
	f, err := os.CreateTemp(tmpDir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return r, fmt.Errorf("capture: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if f != nil {
			f.Close()
		}
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err := dump(f, c, &r); err != nil {
		return r, err
	}
	err = f.Close()
	f = nil
	if err != nil {
		return r, fmt.Errorf("capture: closing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return r, fmt.Errorf("capture: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return r, err
	}
	r.Total = time.Since(start)
	return r, nil
}

// dump runs the GCs, writes the dump into f (empty, open for reading and
// writing), fsyncs it and verifies it. It fills r's Size, Taken, GC and Pause.
func dump(f *os.File, c config, r *Result) error {
	memProfile = runtime.MemProfile
	gcStart := time.Now()
	for i := 0; i < c.gcRuns; i++ {
		if i > 0 && c.gcInterval > 0 {
			time.Sleep(c.gcInterval)
		}
		runtime.GC()
	}
	r.GC = time.Since(gcStart)
	// Fd puts the file in blocking mode, which WriteHeapDump's raw writes need.
	fd := f.Fd()
	r.Taken = time.Now()
	debug.WriteHeapDump(fd)
	r.Pause = time.Since(r.Taken)
	// WriteHeapDump ignores write errors (a full disk gives a silently cut
	// file), so a failed fsync or verification is the only sign of them.
	if err := f.Sync(); err != nil {
		return fmt.Errorf("capture: fsync %s: %w", f.Name(), err)
	}
	size, err := verify(f)
	r.Size = size
	if err != nil {
		return fmt.Errorf("capture: %s: heap dump is incomplete: %w", f.Name(), err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("capture: fsync directory %s: %w", dir, err)
	}
	return nil
}
