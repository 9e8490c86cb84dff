package capture

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The tests check every dump with the real dumpscope CLI, found through the
// DUMPSCOPE environment variable (`make test-capture` sets it).
func dumpscopeCLI(t *testing.T) string {
	t.Helper()
	p := os.Getenv("DUMPSCOPE")
	if p == "" {
		t.Fatal("DUMPSCOPE is not set: these tests check dumps with the dumpscope CLI. " +
			"Run `make test-capture` from the repository root, or build it with " +
			"`cargo build --release --bin dumpscope` and set DUMPSCOPE=/path/to/target/release/dumpscope")
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("DUMPSCOPE=%s: %v", p, err)
	}
	return p
}

// runCLI runs dumpscope with args and decodes its JSON output into v.
func runCLI(t *testing.T, v interface{}, args ...string) {
	t.Helper()
	cmd := exec.Command(dumpscopeCLI(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dumpscope %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("dumpscope %s: output is not the expected JSON: %v\n%.500s", strings.Join(args, " "), err, out)
	}
}

type summary struct {
	GoVersion          string `json:"go_version"`
	Objects            int64  `json:"objects"`
	ObjectBytes        int64  `json:"object_bytes"`
	UnreachableObjects int64  `json:"unreachable_objects"`
	AllocSamples       int64  `json:"alloc_samples"`
	Memstats           struct {
		HeapObjects uint64
	} `json:"memstats"`
	DecodeError *string `json:"decode_error"`
}

// checkDump asserts that dumpscope decodes the dump to its end and that the
// object count matches the runtime's own MemStats.HeapObjects in the dump.
func checkDump(t *testing.T, path string) summary {
	t.Helper()
	var s summary
	runCLI(t, &s, "summary", path, "--json")
	if s.DecodeError != nil {
		t.Fatalf("%s: dumpscope could not decode it to the end: %s", path, *s.DecodeError)
	}
	if s.Objects == 0 || uint64(s.Objects) != s.Memstats.HeapObjects {
		t.Fatalf("%s: dumpscope found %d objects, MemStats.HeapObjects is %d", path, s.Objects, s.Memstats.HeapObjects)
	}
	t.Logf("%s: %s, %d objects, %d bytes, %d unreachable, %d alloc samples",
		path, s.GoVersion, s.Objects, s.ObjectBytes, s.UnreachableObjects, s.AllocSamples)
	return s
}

type class struct {
	Class  string `json:"class"`
	Source string `json:"source"`
	Count  int64  `json:"count"`
}

// classCount returns the count of the class named after function fn (an
// allocation site, thanks to EnableAllocationSites(1) in TestMain).
func classCount(t *testing.T, path, fn string) int64 {
	t.Helper()
	var cs []class
	runCLI(t, &cs, "classes", path, "--json", "--limit", "100000")
	var found []class
	for _, c := range cs {
		if hasFunc(c.Class, fn) {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: want one class allocated by %s, got %v", path, fn, found)
	}
	return found[0].Count
}

// checkPlanted asserts that the dump holds exactly the planted widgets.
func checkPlanted(t *testing.T, path string) {
	t.Helper()
	if n := classCount(t, path, "allocWidgets"); n != numWidgets {
		t.Fatalf("%s: class allocWidgets has %d objects, want %d", path, n, numWidgets)
	}
}

// hasFunc tells whether a class is the allocation site fn of this package,
// such as "dumpscope/capture.allocWidgets (capture_test.go:42)".
func hasFunc(class, fn string) bool {
	return strings.HasPrefix(class, "dumpscope/capture."+fn+" (")
}
