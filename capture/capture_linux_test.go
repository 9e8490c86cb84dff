package capture

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The runtime ignores write errors: when the disk fills up, WriteHeapDump
// returns as if all went well and leaves a cut file. A file size limit
// (RLIMIT_FSIZE; Go ignores the SIGXFSZ it raises) makes the writes past
// the limit fail the same way. WriteFile must report it, leave no file
// behind and keep the old dump.
func TestWriteFileReportsFailedWrites(t *testing.T) {
	plantWidgets()
	dir := t.TempDir()
	path := filepath.Join(dir, "app.dump")
	old := []byte("the previous dump")
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	small := lim
	small.Cur = 100_000
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &small); err != nil {
		t.Fatal(err)
	}
	_, err := WriteFile(path)
	if rerr := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil {
		t.Fatal("no error for a dump cut at 100000 bytes")
	}
	t.Logf("error as reported: %v", err)
	if !strings.Contains(err.Error(), "incomplete") {
		t.Errorf("error does not say the dump is incomplete: %v", err)
	}
	b, rerr := os.ReadFile(path)
	if rerr != nil || !bytes.Equal(b, old) {
		t.Errorf("previous dump not kept: %q, %v", b, rerr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("want only app.dump in %s, got %v", dir, entries)
	}
}
