// Package memlimit paces the garbage collector by the inputs a process has
// read. A file's tree, its ciphertexts and the output are alive together:
//
//   - a soft memory limit in proportion to the input keeps the heap of a
//     10 MB YAML file near 250 MiB instead of 320 MiB, for a few percent
//     more CPU (make bench);
//   - below SmallInput, collecting at all costs more than it saves: a run
//     allocates a few times its input and exits, and the collections of a
//     10,000-value file (and the page faults of their mark phase) were a
//     seventh of the time hull took to decrypt it. There the collector is
//     off, and the memory limit alone bounds the heap.
//
// It also grows the main goroutine's stack once at start ([GrowStack]).
package memlimit

import (
	"runtime/debug"
	"sync"
)

const (
	// Floor is the smallest limit Grow sets.
	Floor = 200 << 20
	// Percent is the collector's pace (GOGC) for large inputs and for runs
	// that read none: a collection at 50% growth instead of 100% keeps the
	// peak memory of a 10 MB file under 300 MiB.
	Percent = 50
	// SmallInput is the total input below which Grow turns the collector
	// off. A run allocates at most about fifteen times its input (encrypt:
	// ciphertexts are larger than the values), well below Floor.
	SmallInput = 4 << 20
)

// mu orders the settings of concurrent calls: read only grows, and the
// settings must follow it. The limit and the pace are properties of the
// process, so these are too.
var (
	mu   sync.Mutex
	read int64 // the bytes of every input this process has read
)

// Grow counts n more bytes of input and sets the limit to three times
// everything read so far plus 64 MiB, at least Floor: several inputs may
// be alive at once (decrypt F1 F2 …, bulk workers), so it only grows.
// With pace set it also sets the collector's pace: off while everything
// read is below SmallInput, Percent from then on. It returns the limit set.
func Grow(n int, pace bool) int64 {
	mu.Lock()
	defer mu.Unlock()
	read += int64(n)
	limit := max(3*read+64<<20, Floor)
	debug.SetMemoryLimit(limit)
	if pace {
		if read < SmallInput {
			debug.SetGCPercent(-1)
		} else {
			debug.SetGCPercent(Percent)
		}
	}
	return limit
}

// StackSize is the stack [GrowStack] makes room for.
const StackSize = 64 << 10

// GrowStack grows the calling goroutine's stack, while it is still shallow,
// to more than StackSize in one step. A goroutine starts with 2 KiB and
// doubles its stack each time a call needs more, copying every frame and
// looking up each function's tables to do it: in a decrypt of a 10-value
// file those copies were about 4% of the run (perf record), and growing the
// stack first took it from 2.44 to 2.40 ms (perf stat, medians of 50
// alternating batches of 20 runs). hull's main calls it first.
//
//go:noinline
func GrowStack() byte {
	var b [StackSize]byte
	b[len(b)-1] = 1
	return keep(b[:])
}

// keep uses b, so that the compiler keeps GrowStack's frame.
//
//go:noinline
func keep(b []byte) byte { return b[len(b)-1] }
