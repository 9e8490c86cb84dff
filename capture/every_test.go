package capture

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"
)

// grown gains widgets between Every's captures, so the dumps differ.
var grown []*widget

// growWidgets appends n new widgets to grown, which has room for them (so
// that only widgets are allocated here).
//
//go:noinline
func growWidgets(n int) {
	for i := 0; i < n; i++ {
		w := &widget{magic: widgetMagic, id: int64(i)}
		grown = append(grown, w)
	}
}

func TestEvery(t *testing.T) {
	plantWidgets()
	grown = make([]*widget, 0, 1000)
	dir := filepath.Join(t.TempDir(), "dumps") // Every creates it
	const captures, keep, step = 5, 3, 200
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var paths []string
	onCapture := func(r Result) {
		paths = append(paths, r.Path)
		if len(paths) == captures {
			cancel()
			return
		}
		growWidgets(step)
	}
	done := make(chan error, 1)
	go func() { done <- Every(ctx, 20*time.Millisecond, dir, keep, WithOnCapture(onCapture)) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("Every did not stop within 2 minutes of its context being cancelled")
	}
	if len(paths) != captures {
		t.Fatalf("%d captures, want %d", len(paths), captures)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, e := range entries {
		kept = append(kept, filepath.Join(dir, e.Name()))
	}
	// ReadDir sorts by name; the names must sort in capture order.
	if !reflect.DeepEqual(kept, paths[captures-keep:]) {
		t.Fatalf("kept %v, want the newest %d of %v", kept, keep, paths)
	}
	if !sort.StringsAreSorted(paths) {
		t.Fatalf("names do not sort in capture order: %v", paths)
	}
	for i, p := range kept {
		checkDump(t, p)
		checkPlanted(t, p)
		want := int64((captures - keep + i) * step)
		if n := classCount(t, p, "growWidgets"); n != want {
			t.Errorf("%s: %d grown widgets, want %d", p, n, want)
		}
	}

	// The kept dumps feed `dumpscope diff`, oldest first.
	var d struct {
		Dumps   int `json:"dumps"`
		Classes []struct {
			Class  string  `json:"class"`
			Counts []int64 `json:"counts"`
		} `json:"classes"`
	}
	runCLI(t, &d, append(append([]string{"diff"}, kept...), "--json")...)
	found := false
	for _, c := range d.Classes {
		if hasFunc(c.Class, "growWidgets") {
			found = true
			want := []int64{400, 600, 800}
			if !reflect.DeepEqual(c.Counts, want) {
				t.Errorf("diff: %s counts %v, want %v", c.Class, c.Counts, want)
			}
		}
	}
	if d.Dumps != keep || !found {
		t.Fatalf("diff over %d dumps, growWidgets class found: %v", d.Dumps, found)
	}
}

func TestEveryRejectsBadArguments(t *testing.T) {
	ctx := context.Background()
	if err := Every(ctx, 0, t.TempDir(), 3); err == nil {
		t.Error("no error for interval 0")
	}
	if err := Every(ctx, time.Second, t.TempDir(), 0); err == nil {
		t.Error("no error for keep 0")
	}
}

func TestRotateLeavesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	names := []string{
		"heap-20260101T000000.000Z.dump",
		"heap-20260101T000001.000Z.dump",
		"heap-20260101T000002.000Z.dump",
		"heap-old.dump",
		"notes.txt",
		".heap-20260101T000003.000Z.dump.123.tmp",
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := rotate(dir, 1); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{".heap-20260101T000003.000Z.dump.123.tmp", "heap-20260101T000002.000Z.dump", "heap-old.dump", "notes.txt"}
	if !reflect.DeepEqual(left, want) {
		t.Fatalf("left %v, want %v", left, want)
	}
}
