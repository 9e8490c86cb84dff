package capture

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	EnableAllocationSites(1)
	os.Exit(m.Run())
}

const numWidgets = 1000

// widget is 112 bytes (a size class) with pointers at 16 and 96: a shape
// no runtime or testing object has, so dumpscope does not lend the widgets'
// allocation site to unsampled objects allocated before TestMain.
type widget struct {
	magic   [8]byte
	id      int64
	next    *widget
	payload [9]int64
	label   string
}

var widgetMagic = [8]byte{'W', 'I', 'D', 'G', 'E', 'T', '!', '!'}

// planted holds the widgets that every dump must contain.
var planted []*widget

// plantWidgets replaces planted with numWidgets new widgets.
func plantWidgets() {
	ws := make([]*widget, numWidgets)
	allocWidgets(ws)
	planted = ws
}

// allocWidgets fills ws with new widgets, each linked to the previous one.
// All are allocated on one line, so they share one allocation site.
//
//go:noinline
func allocWidgets(ws []*widget) {
	var prev *widget
	for i := range ws {
		w := &widget{magic: widgetMagic, id: int64(i), next: prev, label: "planted by capture_test"}
		ws[i], prev = w, w
	}
}

// makeGarbage allocates n widgets that nothing keeps.
//
//go:noinline
func makeGarbage(n int) {
	var prev *widget
	for i := 0; i < n; i++ {
		prev = &widget{magic: widgetMagic, id: int64(i), next: prev}
	}
	runtime.KeepAlive(prev)
}

func TestWriteFile(t *testing.T) {
	plantWidgets()
	path := filepath.Join(t.TempDir(), "app.dump")
	r, err := WriteFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if r.Path != path || r.Size != st.Size() {
		t.Fatalf("Result %+v, file has %d bytes", r, st.Size())
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("dump has mode %v, want 0600", st.Mode().Perm())
	}
	if r.Pause <= 0 || r.Total < r.Pause+r.GC {
		t.Fatalf("implausible times: %+v", r)
	}
	t.Logf("%d bytes, GC %v, pause %v, total %v", r.Size, r.GC, r.Pause, r.Total)
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*.tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	s := checkDump(t, path)
	// After a GC the only objects dumpscope cannot reach are the few the
	// runtime keeps from outside the heap, which the dump does not describe:
	// the tiny-allocator block in use on each P, some runtime-internal ones.
	if s.UnreachableObjects > maxUnreachableAfterGC {
		t.Errorf("a dump after runtime.GC has %d unreachable objects, want at most %d", s.UnreachableObjects, maxUnreachableAfterGC)
	}
	checkPlanted(t, path)
}

const maxUnreachableAfterGC = 64

// Without a GC first, garbage allocated since the last GC is in the dump.
func TestWriteFileWithoutGC(t *testing.T) {
	plantWidgets()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	runtime.GC()
	const junk = 3000
	makeGarbage(junk)
	path := filepath.Join(t.TempDir(), "garbage.dump")
	if _, err := WriteFile(path, WithGC(0, 0)); err != nil {
		t.Fatal(err)
	}
	s := checkDump(t, path)
	if s.UnreachableObjects < junk {
		t.Fatalf("%d unreachable objects, want at least the %d garbage widgets", s.UnreachableObjects, junk)
	}
	checkPlanted(t, path)
}

func TestWriteFileSeveralGCs(t *testing.T) {
	plantWidgets()
	path := filepath.Join(t.TempDir(), "app.dump")
	r, err := WriteFile(path, WithGC(3, 5e6))
	if err != nil {
		t.Fatal(err)
	}
	if r.GC < 10e6 {
		t.Fatalf("3 GCs 5ms apart took %v", r.GC)
	}
	checkDump(t, path)
	checkPlanted(t, path)
}

func TestWriteFileReplacesAndCleansUp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.dump")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteFile(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte(header)) {
		t.Fatalf("old file not replaced: %.20q", b)
	}
	if _, err := WriteFile(filepath.Join(dir, "missing", "app.dump")); err == nil {
		t.Fatal("no error for a directory that does not exist")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("want only app.dump in %s, got %v", dir, entries)
	}
}

// /dev/full takes no bytes at all; fsync on it fails.
func TestDumpToDevFull(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no /dev/full on %s: %v", runtime.GOOS, err)
	}
	defer f.Close()
	captureMu.Lock()
	defer captureMu.Unlock()
	var r Result
	err = dump(f, newConfig(nil), &r)
	if err == nil {
		t.Fatal("no error for a dump written to /dev/full")
	}
	t.Logf("error as reported: %v", err)
}

func TestVerifyRejectsIncompleteDumps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "good.dump")
	if _, err := WriteFile(path); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if good[len(good)-1] != 0 {
		t.Fatalf("a complete dump ends in %#x, not the EOF tag 0", good[len(good)-1])
	}
	// Cuts that end in a 0 byte, like a complete dump: the last one before
	// the end, and one at a 4 KiB boundary (the runtime writes through a
	// 4 KiB buffer, so that is where a full disk tends to cut).
	lastZero, chunkZero := 0, 0
	for n := len(good) - 1; n > len(header); n-- {
		if good[n-1] != 0 {
			continue
		}
		if lastZero == 0 {
			lastZero = n
		}
		if n%4096 == 0 {
			chunkZero = n
			break
		}
	}
	if lastZero == 0 || chunkZero == 0 {
		t.Fatalf("no cut ending in 0 found (last %d, at a 4 KiB boundary %d)", lastZero, chunkZero)
	}
	cases := map[string][]byte{
		"empty":            nil,
		"header only":      []byte(header),
		"header and EOF":   append([]byte(header), 0),
		"not a dump":       []byte("PK\x03\x04 this is a zip file, not a dump"),
		"cut in half":      good[:len(good)/2],
		"last byte cut":    good[:len(good)-1],
		"cut after a 0":    good[:lastZero],
		"cut at 4 KiB":     good[:chunkZero],
		"trailing garbage": append(append([]byte{}, good...), 0),
	}
	for name, b := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		_, err = verify(f)
		f.Close()
		if err == nil {
			t.Errorf("%s (%d bytes): accepted", name, len(b))
		} else {
			t.Logf("%s (%d bytes): %v", name, len(b), err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := verify(f); err != nil {
		t.Fatalf("complete dump rejected: %v", err)
	}
}

func TestEnableAllocationSites(t *testing.T) {
	defer func(old int) { runtime.MemProfileRate = old }(runtime.MemProfileRate)
	EnableAllocationSites(4096)
	if runtime.MemProfileRate != 4096 {
		t.Fatalf("MemProfileRate = %d", runtime.MemProfileRate)
	}
	EnableAllocationSites(-1)
	if runtime.MemProfileRate != 0 {
		t.Fatalf("MemProfileRate = %d after a negative rate", runtime.MemProfileRate)
	}
}
