package capture

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestHandler(t *testing.T) {
	plantWidgets()
	tmp := t.TempDir()
	results := make(chan Result, 1)
	srv := httptest.NewServer(Handler(WithTempDir(tmp), WithOnCapture(func(r Result) { results <- r })))
	defer srv.Close()

	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %s: %s", resp.Status, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	cd := resp.Header.Get("Content-Disposition")
	if !regexp.MustCompile(`^attachment; filename="heap-[0-9]{8}T[0-9]{6}\.[0-9]{3}Z\.dump"$`).MatchString(cd) {
		t.Errorf("Content-Disposition %q", cd)
	}
	pause, err := time.ParseDuration(resp.Header.Get("X-Heap-Dump-Pause"))
	if err != nil || pause <= 0 {
		t.Errorf("X-Heap-Dump-Pause %q: %v", resp.Header.Get("X-Heap-Dump-Pause"), err)
	}
	path := filepath.Join(t.TempDir(), "served.dump")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(out, resp.Body)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if resp.ContentLength != n {
		t.Errorf("Content-Length %d, body %d bytes", resp.ContentLength, n)
	}
	// OnCapture runs once the body is sent, and the temporary file is gone
	// by then.
	select {
	case r := <-results:
		if r.Size != n || r.Pause != pause {
			t.Errorf("OnCapture saw %+v, body has %d bytes, pause header %v", r, n, pause)
		}
	case <-time.After(time.Minute):
		t.Fatal("OnCapture not called")
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary files left in %s: %v", tmp, left)
	}
	checkDump(t, path)
	checkPlanted(t, path)
}

func TestHandlerBusyAndMethods(t *testing.T) {
	srv := httptest.NewServer(Handler(WithTempDir(t.TempDir())))
	defer srv.Close()

	captureMu.Lock() // a capture is running
	resp, err := http.Get(srv.URL)
	captureMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(b), "another capture is running") {
		t.Errorf("while busy: %s, Retry-After %q, %q", resp.Status, resp.Header.Get("Retry-After"), b)
	}

	resp, err = http.Post(srv.URL, "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET" {
		t.Errorf("POST: %s, Allow %q", resp.Status, resp.Header.Get("Allow"))
	}
}

// Two requests at once: one gets the dump, the other 503 (or, if the first
// finished already, a dump of its own). Never two captures at the same time.
func TestHandlerConcurrent(t *testing.T) {
	srv := httptest.NewServer(Handler(WithTempDir(t.TempDir())))
	defer srv.Close()
	codes := make(chan int, 2)
	for i := 0; i < 2; i++ {
		go func() {
			resp, err := http.Get(srv.URL)
			if err != nil {
				codes <- 0
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	a, b := <-codes, <-codes
	if a != http.StatusOK && b != http.StatusOK {
		t.Fatalf("statuses %d and %d, want a 200", a, b)
	}
	for _, c := range []int{a, b} {
		if c != http.StatusOK && c != http.StatusServiceUnavailable {
			t.Fatalf("statuses %d and %d", a, b)
		}
	}
	t.Logf("statuses %d and %d", a, b)
}
