// Package memlimit gives the garbage collector a soft memory limit in
// proportion to the inputs a process has read: a file's tree, its
// ciphertexts and the output are alive together, and without a limit the
// heap of a 10 MB YAML file peaks near 320 MiB; with it, near 250 MiB, for
// a few percent more CPU (make bench).
package memlimit

import (
	"runtime/debug"
	"sync/atomic"
)

// Floor is the smallest limit Grow sets.
const Floor = 200 << 20

// read counts the bytes of every input this process has read: the memory
// limit is a property of the process, so this is too.
var read atomic.Int64

// Grow counts n more bytes of input and sets the limit to three times
// everything read so far plus 64 MiB, at least Floor: several inputs may
// be alive at once (decrypt F1 F2 …, bulk workers), so it only grows. It
// returns the limit set.
func Grow(n int) int64 {
	limit := max(3*read.Add(int64(n))+64<<20, Floor)
	debug.SetMemoryLimit(limit)
	return limit
}
