// Command example is a tiny web service with a heap-dump endpoint on an
// internal debug port, to try capture.Handler and dumpscope end to end.
//
//	go run ./example &                                   # in capture/
//	for i in $(seq 500); do curl -s "http://127.0.0.1:8080/visit?user=u$i" >/dev/null; done
//	curl -o app.dump http://127.0.0.1:6060/debug/heapdump
//	dumpscope leaks app.dump
//
// /visit remembers every visitor in a map that nobody ever trims: the leak
// dumpscope should find. The debug listener is bound to 127.0.0.1 only: a
// dump holds every byte of the heap.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"sync"
	"time"

	"dumpscope/capture"
)

// visit is what the service remembers about each visitor.
type visit struct {
	user    string
	first   time.Time
	count   int
	profile []byte // 1 KiB of made-up per-user state
}

var (
	mu     sync.Mutex
	visits = map[string]*visit{} // grows forever
)

//go:noinline
func newVisit(user string) *visit {
	return &visit{user: user, first: time.Now(), profile: make([]byte, 1024)}
}

func handleVisit(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	if user == "" {
		http.Error(w, "want ?user=NAME", http.StatusBadRequest)
		return
	}
	mu.Lock()
	v := visits[user]
	if v == nil {
		v = newVisit(user)
		visits[user] = v
	}
	v.count++
	n, total := v.count, len(visits)
	mu.Unlock()
	fmt.Fprintf(w, "hello %s, visit %d (%d visitors)\n", user, n, total)
}

func main() {
	// First thing: record where every object was allocated.
	capture.EnableAllocationSites(1)

	addr := flag.String("addr", "127.0.0.1:8080", "the service")
	debugAddr := flag.String("debug", "127.0.0.1:6060", "the debug port (keep it internal)")
	flag.Parse()

	app := http.NewServeMux()
	app.HandleFunc("/visit", handleVisit)
	go func() { log.Fatal(http.ListenAndServe(*addr, app)) }()

	debugMux := http.NewServeMux()
	debugMux.Handle("/debug/heapdump", capture.Handler(capture.WithOnCapture(func(r capture.Result) {
		log.Printf("heap dump: %d bytes, world stopped for %v, %v in all", r.Size, r.Pause, r.Total)
	})))
	log.Printf("serving on http://%s, heap dumps on http://%s/debug/heapdump", *addr, *debugAddr)
	log.Fatal(http.ListenAndServe(*debugAddr, debugMux))
}
