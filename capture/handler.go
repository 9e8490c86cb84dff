package capture

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"time"
)

// Handler returns an http.Handler that takes a heap dump and sends it back, for
// an internal debug port in the manner of net/http/pprof:
//
//	mux := http.NewServeMux()
//	mux.Handle("/debug/heapdump", capture.Handler())
//	go http.ListenAndServe("127.0.0.1:6060", mux)
//
// and then: curl -o app.dump http://127.0.0.1:6060/debug/heapdump
//
// Each GET runs runtime.GC (see WithGC), writes the dump to a temporary file
// (see WithTempDir), checks it, streams it as an attachment named
// heap-<UTC time>.dump and removes the file (before streaming it, except on
// Windows, so a stalled client leaves nothing behind). Every goroutine of the program is
// paused while the dump is written (the X-Heap-Dump-Pause response header says
// for how long): about 3 s per GiB of small objects, more on a busy machine.
// While a capture is running, in this handler or elsewhere in the process,
// requests get 503 Service Unavailable with a Retry-After header. Methods
// other than GET get 405.
//
// Never expose this handler publicly or without authentication: a dump holds
// every byte of the heap, including passwords, keys, tokens and user data, and
// each request stops the program. Bind it to 127.0.0.1 or an internal network.
func Handler(opts ...Option) http.Handler {
	c := newConfig(opts)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		serveDump(w, req, c)
	})
}

func serveDump(w http.ResponseWriter, req *http.Request, c config) {
	if req.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "heap dump: use GET", http.StatusMethodNotAllowed)
		return
	}
	if !captureMu.TryLock() {
		w.Header().Set("Retry-After", "10")
		http.Error(w, "heap dump: another capture is running in this process; retry when it is done", http.StatusServiceUnavailable)
		return
	}
	// Held until the file is sent and removed, so concurrent requests cannot
	// fill the disk with dumps.
	defer captureMu.Unlock()

	start := time.Now()
	f, err := os.CreateTemp(c.tempDir, "heapdump-*.tmp")
	if err != nil {
		http.Error(w, "heap dump: "+err.Error(), http.StatusInternalServerError)
		return
	}
	tmp, removed := f.Name(), false
	defer func() {
		f.Close()
		if !removed {
			os.Remove(tmp)
		}
	}()
	r := Result{Path: tmp}
	if err := dump(f, c, &r); err != nil {
		http.Error(w, "heap dump: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		http.Error(w, "heap dump: "+err.Error(), http.StatusInternalServerError)
		return
	}
	// Unlinked before it is sent, where an open file can be (not on
	// Windows): a stalled client or a crash mid-stream leaves no file behind.
	if runtime.GOOS != "windows" {
		if err := os.Remove(tmp); err != nil {
			http.Error(w, "heap dump: "+err.Error(), http.StatusInternalServerError)
			return
		}
		removed = true
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", dumpName(r.Taken)))
	h.Set("Content-Length", strconv.FormatInt(r.Size, 10))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Heap-Dump-Pause", r.Pause.String())
	w.WriteHeader(http.StatusOK)
	// A client that goes away mid-stream gets a short body; the status is
	// already sent, so there is nobody left to tell.
	io.Copy(w, f)
	r.Total = time.Since(start)
	if c.onCapture != nil {
		c.onCapture(r)
	}
}
