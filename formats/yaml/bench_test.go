package yaml

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/formats"
)

// bigYAML is about 10 MB: 5000 top-level keys with 100 short string
// values each (500k values), the size make bench has a target for.
func bigYAML() []byte { return bigYAMLSections(5000) }

// bigYAMLSections is the first n sections of bigYAML.
func bigYAMLSections(n int) []byte {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "section%04d:\n", i)
		for j := 0; j < 100; j++ {
			fmt.Fprintf(&b, "  key%03d: value-string-%04d-%03d-abcdefghij\n", j, i, j)
		}
	}
	return []byte(b.String())
}

// bigYAMLCommented is bigYAML as a real secrets file looks: a comment
// every 50 keys, an inline comment every 70 values, non-ASCII in every
// 10th value, a multi-line value every 1000 and an encrypted-looking value
// every 5th.
func bigYAMLCommented() []byte { return bigYAMLCommentedSections(5000) }

// bigYAMLCommentedSections is the first sections of bigYAMLCommented.
func bigYAMLCommentedSections(sections int) []byte {
	var b strings.Builder
	n := 0
	for i := 0; i < sections; i++ {
		fmt.Fprintf(&b, "section%04d:\n", i)
		for j := 0; j < 100; j++ {
			n++
			if n%50 == 0 {
				fmt.Fprintf(&b, "  # comment %d — über\n", n)
			}
			switch {
			case n%1000 == 0:
				fmt.Fprintf(&b, "  key%03d: |\n    line one %d\n    line two\n", j, n)
			case n%10 == 0:
				fmt.Fprintf(&b, "  key%03d: värde-%04d-%03d-åäö-東京\n", j, i, j)
			case n%5 == 0:
				fmt.Fprintf(&b, "  key%03d: ENC[AES256_GCM,data:dmFsdWUtc3RyaW5n%04d,iv:aXZpdml2aXZpdml2,tag:dGFndGFndGFn,type:str]\n", j, i)
			default:
				fmt.Fprintf(&b, "  key%03d: value-string-%04d-%03d-abcdefghij", j, i, j)
				if n%70 == 0 {
					b.WriteString(" # inline")
				}
				b.WriteByte('\n')
			}
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

// BenchmarkParseCommented: a commented plaintext file is also written and
// read once more (settleComments).
func BenchmarkParseCommented(b *testing.B) {
	data := bigYAMLCommented()
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

// BenchmarkEmitCommented is BenchmarkEmit on bigYAMLCommented.
func BenchmarkEmitCommented(b *testing.B) {
	data := bigYAMLCommented()
	f, err := New().Parse(data, formats.ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := emitDirect(f, formats.EmitOptions{}); err != nil {
		b.Fatal("the direct emitter falls back")
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

// BenchmarkParseV3 is the yaml.v3 path on the same file, for comparison
// with BenchmarkParse (the direct parser).
func BenchmarkParseV3(b *testing.B) {
	data := bigYAML()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseV3(data, formats.Limits{}.WithDefaults()); err != nil {
			b.Fatal(err)
		}
	}
}
