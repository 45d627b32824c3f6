package yaml

import (
	"testing"
	"unsafe"

	"github.com/hullsecrets/hull/formats"
)

// within reports whether s's bytes lie inside b.
func within(s string, b []byte) bool {
	if s == "" || len(b) == 0 {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= lo && p+uintptr(len(s)) <= lo+uintptr(len(b))
}

// TestBorrow checks formats.ParseOptions.Borrow: the same tree, whose
// keys and plain values point into the input with Borrow and never
// without it (a caller that reuses its buffer must get a tree of its own).
func TestBorrow(t *testing.T) {
	// Without comments: a tree with comments that would read back
	// elsewhere is written and read once more (settleComments), and then
	// points into that output instead.
	src := "a: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nb:\n    c: plain value\n    d:\n        - item\n        - 'quoted'\n"
	for _, borrow := range []bool{false, true} {
		data := []byte(src)
		f, err := yamlFormat{}.Parse(data, formats.ParseOptions{Borrow: borrow})
		if err != nil {
			t.Fatal(err)
		}
		want, err := yamlFormat{}.Parse([]byte(src), formats.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !formats.Equal(f.Docs[0], want.Docs[0]) {
			t.Fatalf("borrow %v: the tree differs", borrow)
		}
		var strs []string
		var walk func(n *formats.Node)
		walk = func(n *formats.Node) {
			for _, s := range []string{n.Key, n.Value} {
				if s != "" {
					strs = append(strs, s)
				}
			}
			for _, c := range n.Children {
				walk(c)
			}
		}
		walk(f.Docs[0])
		if len(strs) < 7 {
			t.Fatalf("only %d strings in the tree", len(strs))
		}
		for _, s := range strs {
			if in := within(s, data); in != borrow {
				t.Errorf("borrow %v: %q points into the input: %v", borrow, s, in)
			}
		}
	}
}
