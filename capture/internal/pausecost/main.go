// Command pausecost measures what a heap dump costs: it builds a heap of many
// small pointerful objects, takes one dump with capture.WriteFile and prints
// how long the world was stopped (WriteHeapDump) and how big the file is.
//
// Usage: pausecost -heap-mb 100 -out /tmp/pausecost.dump [-rate 1] [-keep]
//
// The heap is a chain of 64-byte nodes (3 pointer words each: next, a peer
// earlier in the chain, and a string every 8th node owns), held by one global.
// With -cpu it then writes a second dump with a bare debug.WriteHeapDump and
// prints the CPU time of the thread that wrote it (Linux RUSAGE_THREAD):
// the pause on an idle machine whose disk keeps up, whatever else was running
// while it was measured.
//
// The README's table ("Taking a heap dump") comes from this program.
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"dumpscope/capture"
)

// node is 56 bytes, so one 64-byte slot.
type node struct {
	next *node
	peer *node
	name string
	vals [3]int64
}

var head *node

func build(target uint64) {
	rng := rand.New(rand.NewSource(1))
	var recent [4096]*node
	var ms runtime.MemStats
	for i := 0; ; i++ {
		n := &node{next: head, vals: [3]int64{int64(i), int64(i) * 3, -1}}
		n.peer = recent[rng.Intn(len(recent))]
		if i%8 == 0 {
			n.name = "node-" + strconv.Itoa(i)
		}
		recent[i%len(recent)] = n
		head = n
		if i%(1<<16) == 0 {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc >= target {
				return
			}
		}
	}
}

func main() {
	heapMB := flag.Int("heap-mb", 100, "live heap to build, in MiB")
	out := flag.String("out", "pausecost.dump", "where to write the dump")
	rate := flag.Int("rate", -1, "runtime.MemProfileRate (-1: leave the default)")
	keep := flag.Bool("keep", false, "keep the dump (default: remove it)")
	cpu := flag.Bool("cpu", false, "also measure the dumping thread's CPU time on a second, bare dump")
	flag.Parse()
	if *rate >= 0 {
		capture.EnableAllocationSites(*rate)
	}
	build(uint64(*heapMB) << 20)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r, err := capture.WriteFile(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if !*keep {
		if err := os.Remove(*out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Printf("%s GOMAXPROCS=%d MemProfileRate=%d heap_alloc=%.1fMiB heap_objects=%d dump=%.1fMB (%.2f×heap) gc=%v pause=%v total=%v\n",
		runtime.Version(), runtime.GOMAXPROCS(0), runtime.MemProfileRate,
		float64(ms.HeapAlloc)/(1<<20), ms.HeapObjects, float64(r.Size)/1e6, float64(r.Size)/float64(ms.HeapAlloc),
		r.GC.Round(1e6), r.Pause.Round(1e6), r.Total.Round(1e6))
	if *cpu {
		wall, cpu, err := bareDumpCPU(*out + ".bare")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("  bare WriteHeapDump: wall=%v thread_cpu=%v\n", wall.Round(1e6), cpu.Round(1e6))
	}
}

// bareDumpCPU writes a dump to path with debug.WriteHeapDump alone and returns
// its wall time and the CPU time (user + system) of the thread that wrote it.
func bareDumpCPU(path string) (wall, cpu time.Duration, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(path)
	defer f.Close()
	fd := f.Fd()
	// WriteHeapDump runs on the calling goroutine's thread (on its system
	// stack), so that thread's usage is the dump's.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const rusageThread = 1 // RUSAGE_THREAD
	var before, after syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &before); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	debug.WriteHeapDump(fd)
	wall = time.Since(start)
	if err := syscall.Getrusage(rusageThread, &after); err != nil {
		return 0, 0, err
	}
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	cpu = tv(after.Utime) - tv(before.Utime) + tv(after.Stime) - tv(before.Stime)
	return wall, cpu, nil
}
