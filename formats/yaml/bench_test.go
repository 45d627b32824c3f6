package yaml

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/formats"
)

// bigYAML is about 10 MB: 5000 top-level keys with 100 short string
// values each (500k values), the size DESIGN.md sets the target for.
func bigYAML() []byte {
	var b strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&b, "section%04d:\n", i)
		for j := 0; j < 100; j++ {
			fmt.Fprintf(&b, "  key%03d: value-string-%04d-%03d-abcdefghij\n", j, i, j)
		}
	}
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	data := bigYAML()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New().Parse(data, formats.ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEmit(b *testing.B) {
	data := bigYAML()
	f, err := New().Parse(data, formats.ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New().Emit(f, formats.EmitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEmitV3 is the yaml.v3 reference path on the same file, for
// comparison with BenchmarkEmit (the direct emitter).
func BenchmarkEmitV3(b *testing.B) {
	f, err := New().Parse(bigYAML(), formats.ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := emitV3(f, formats.EmitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
