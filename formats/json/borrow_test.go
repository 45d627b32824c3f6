package json

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
// keys and unescaped values point into the input with Borrow and never
// without it.
func TestBorrow(t *testing.T) {
	src := `{"a": "ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]", "b": {"c": "plain value", "d": ["item", 12, 1.5]}}`
	for _, borrow := range []bool{false, true} {
		data := []byte(src)
		f, err := format{}.Parse(data, formats.ParseOptions{Borrow: borrow})
		if err != nil {
			t.Fatal(err)
		}
		want, err := format{}.Parse([]byte(src), formats.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !formats.Equal(f.Docs[0], want.Docs[0]) {
			t.Fatalf("borrow %v: the tree differs", borrow)
		}
		n := 0
		var walk func(n *formats.Node)
		check := func(s string) {
			if s == "" {
				return
			}
			n++
			if in := within(s, data); in != borrow {
				t.Errorf("borrow %v: %q points into the input: %v", borrow, s, in)
			}
		}
		walk = func(nd *formats.Node) {
			check(nd.Key)
			check(nd.Value)
			for _, c := range nd.Children {
				walk(c)
			}
		}
		walk(f.Docs[0])
		if n < 9 {
			t.Fatalf("only %d strings in the tree", n)
		}
	}
}

// TestSafeRun checks the eight-byte string scan against the byte table at
// every offset: it must stop at or before the first byte strSafe refuses.
func TestSafeRun(t *testing.T) {
	base := []byte("abcdefghijklmnopqrstuvwxyz0123456789\xc3\xa9\xff\x80ABCDEFGH")
	for pos := range base {
		for c := 0; c < 256; c++ {
			s := append([]byte(nil), base...)
			s[pos] = byte(c)
			for start := 0; start < 9; start++ {
				first := len(s)
				for j := start; j < len(s); j++ {
					if !strSafe[s[j]] {
						first = j
						break
					}
				}
				got := safeRun(string(s), start)
				if got > first || got < start || (first == len(s) && got+8 <= len(s)) {
					t.Fatalf("safeRun(%q, %d) = %d, first unsafe byte at %d", s, start, got, first)
				}
			}
		}
	}
}
