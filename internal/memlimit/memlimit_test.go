package memlimit

import (
	"math"
	"runtime/debug"
	"testing"
	"unsafe"
)

// fresh starts a test from no input read, with the collector at 100%, and
// puts the count, the pace and the memory limit back after it: the count
// and the settings belong to the process, and -count=N runs a test again.
func fresh(t *testing.T) {
	pace := debug.SetGCPercent(100)
	mu.Lock()
	saved := read
	read = 0
	mu.Unlock()
	t.Cleanup(func() {
		mu.Lock()
		read = saved
		mu.Unlock()
		debug.SetGCPercent(pace)
		debug.SetMemoryLimit(math.MaxInt64)
	})
}

func TestGrow(t *testing.T) {
	fresh(t)
	if got := Grow(1<<20, false); got != Floor || debug.SetMemoryLimit(-1) != Floor {
		t.Errorf("a small input: limit %d", got)
	}
	mu.Lock()
	before := read
	mu.Unlock()
	got := Grow(100<<20, false)
	if want := 3*(before+100<<20) + 64<<20; got != want || debug.SetMemoryLimit(-1) != want {
		t.Errorf("a large input: limit %d, want %d", got, want)
	}
	if again := Grow(0, false); again != got {
		t.Errorf("the limit shrank: %d after %d", again, got)
	}
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("Grow without pace set the collector's pace to %d", p)
	}
}

func TestGrowPace(t *testing.T) {
	fresh(t)

	Grow(SmallInput/2, true)
	if p := debug.SetGCPercent(-1); p != -1 {
		t.Errorf("below SmallInput the pace is %d, want off (-1)", p)
	}
	if debug.SetMemoryLimit(-1) != Floor {
		t.Errorf("the collector is off without the limit that bounds the heap")
	}
	Grow(SmallInput/2, true) // SmallInput in all: the collector runs again
	if p := debug.SetGCPercent(-1); p != Percent {
		t.Errorf("at SmallInput in all the pace is %d, want %d", p, Percent)
	}
	Grow(1, true)
	if p := debug.SetGCPercent(100); p != Percent {
		t.Errorf("after a large input, a small one set the pace to %d, want %d", p, Percent)
	}
}

// deep uses about n bytes of stack.
//
//go:noinline
func deep(n int) byte {
	var b [1 << 10]byte
	b[n%len(b)] = byte(n)
	if n <= len(b) {
		return b[0]
	}
	return deep(n-len(b)) + b[n%len(b)]
}

// stackMoved reports whether a call that needs 24 KiB of stack moved the
// stack of a new goroutine, after GrowStack when grow is set. A local's
// address changes when the runtime copies the stack.
func stackMoved(grow bool) bool {
	moved := make(chan bool)
	go func() {
		if grow {
			GrowStack()
		}
		var x byte
		before := uintptr(unsafe.Pointer(&x))
		deep(24 << 10)
		moved <- uintptr(unsafe.Pointer(&x)) != before
	}()
	return <-moved
}

func TestGrowStack(t *testing.T) {
	if !stackMoved(false) {
		t.Fatal("a new goroutine's stack did not move for 24 KiB: the test cannot see a move")
	}
	if stackMoved(true) {
		t.Error("the stack moved after GrowStack")
	}
}
