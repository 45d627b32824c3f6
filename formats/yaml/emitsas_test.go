package yaml

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/formats"
)

// checkEmitsAs checks emitsAs against writing f and comparing: with the
// output itself, and with the output changed at its start, middle and end,
// shortened and lengthened.
func checkEmitsAs(t *testing.T, f *formats.File) {
	t.Helper()
	out, err := emitDirect(f, formats.EmitOptions{})
	if err != nil {
		if emitsAs(f, out) {
			t.Fatalf("emitsAs is true for a file the direct emitter cannot write")
		}
		return
	}
	if !emitsAs(f, out) {
		t.Fatalf("emitsAs(f, its own output) = false; output:\n%s", out)
	}
	variants := [][]byte{nil, append(bytes.Clone(out), '\n'), append(bytes.Clone(out), "x: 1\n"...)}
	if len(out) > 0 {
		variants = append(variants, out[:len(out)-1])
		for _, i := range []int{0, len(out) / 2, len(out) - 1, min(cmpChunk, len(out)-1), min(cmpChunk-1, len(out)-1)} {
			v := bytes.Clone(out)
			v[i] ^= 0x20
			variants = append(variants, v)
		}
	}
	for _, v := range variants {
		if got, want := emitsAs(f, v), bytes.Equal(out, v); got != want {
			t.Errorf("emitsAs = %v for data of %d bytes, want %v (output %d bytes)", got, len(v), want, len(out))
		}
	}
}

func TestEmitsAsSamples(t *testing.T) {
	for _, p := range directSamples(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := New().Parse(data, formats.ParseOptions{})
		if err != nil {
			continue
		}
		t.Run(p, func(t *testing.T) { checkEmitsAs(t, f) })
	}
}

// A file of several chunks: the comparison crosses chunk boundaries.
func TestEmitsAsLarge(t *testing.T) {
	var b strings.Builder
	for i := range 6000 {
		fmt.Fprintf(&b, "# block %d\nkey%d:\n    name: value-%d\n    list:\n        - a\n        - %d\n", i, i, i, i)
	}
	data := []byte(b.String())
	f, err := New().Parse(data, formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 4*cmpChunk {
		t.Fatalf("the input is %d bytes, want several chunks", len(data))
	}
	if !emitsAs(f, data) {
		t.Fatal("emitsAs(f, the file it was parsed from) = false")
	}
	checkEmitsAs(t, f)
}
