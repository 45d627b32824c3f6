package memlimit

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestGrow(t *testing.T) {
	defer debug.SetMemoryLimit(math.MaxInt64)
	if got := Grow(1 << 20); got != Floor || debug.SetMemoryLimit(-1) != Floor {
		t.Errorf("a small input: limit %d", got)
	}
	before := read.Load()
	got := Grow(100 << 20)
	if want := 3*(before+100<<20) + 64<<20; got != want || debug.SetMemoryLimit(-1) != want {
		t.Errorf("a large input: limit %d, want %d", got, want)
	}
	if again := Grow(0); again != got {
		t.Errorf("the limit shrank: %d after %d", again, got)
	}
}
