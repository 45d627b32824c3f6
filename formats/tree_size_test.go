package formats

import (
	"testing"
	"unsafe"
)

// TestNodeSize keeps the field order of Node compact: the tree of a large
// file is mostly nodes, and 8 bytes more per node is 5 MB on the 10 MB
// YAML of make bench.
func TestNodeSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes are for 64-bit platforms")
	}
	if got := unsafe.Sizeof(Node{}); got > 72 {
		t.Fatalf("formats.Node is %d bytes, want at most 72: keep the small fields together at the end", got)
	}
}
