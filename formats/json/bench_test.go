package json

import (
	"bytes"
	stdjson "encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/hullsecrets/hull/formats"
)

// benchmarkInput is a generated 14 MB file with 500,000 values: 5,000
// objects of 100 values (strings of 10 to 20 bytes, a few with escapes, and
// integers and floats), laid out as sops writes it.
//
// Measured on the shared 2-core build machine, Go 1.26
// (go test -run - -bench . -benchmem ./formats/json):
//
//	BenchmarkParse          55-65 ms/op  210-280 MB/s  65 MB/op  55,196 allocs/op
//	BenchmarkEmit           33-36 ms/op  400-450 MB/s  16 MB/op       2 allocs/op
//	BenchmarkStdlibTokens  370-400 ms/op   36-40 MB/s 133 MB/op   7 M allocs/op
var benchmarkInput = sync.OnceValue(func() []byte {
	var b strings.Builder
	b.WriteString("{\n")
	for i := range 5000 {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "\t\"object_%04d\": {\n", i)
		for j := range 100 {
			if j > 0 {
				b.WriteString(",\n")
			}
			fmt.Fprintf(&b, "\t\t\"key_%02d\": ", j)
			switch j % 10 {
			case 0:
				fmt.Fprintf(&b, "%d", i*100+j)
			case 1:
				fmt.Fprintf(&b, "%d.%d", i, j)
			case 2:
				fmt.Fprintf(&b, "\"line\\n%06d\\t\\\"q\\\"\"", i*j)
			default:
				fmt.Fprintf(&b, "\"value-%06d-%s\"", i*100+j, strings.Repeat("x", j%4))
			}
		}
		b.WriteString("\n\t}")
	}
	b.WriteString("\n}\n")
	return []byte(b.String())
})

func BenchmarkParse(b *testing.B) {
	in := benchmarkInput()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New().Parse(in, formats.ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEmit(b *testing.B) {
	in := benchmarkInput()
	f, err := New().Parse(in, formats.ParseOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New().Emit(f, formats.EmitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBenchmarkInput(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 14 MB")
	}
	in := benchmarkInput()
	f, err := New().Parse(in, formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	values := 0
	for _, o := range f.Docs[0].Children {
		values += len(o.Children)
	}
	if values != 500_000 || len(in) < 13<<20 || len(in) > 15<<20 {
		t.Fatalf("%d values in %d bytes", values, len(in))
	}
	if out := emit(t, f, formats.EmitOptions{}); string(out) != string(in) {
		t.Fatal("the benchmark input does not round-trip")
	}
}

// BenchmarkStdlibTokens reads the same input with encoding/json's token
// decoder and UseNumber, as sops does, for comparison.
func BenchmarkStdlibTokens(b *testing.B) {
	in := benchmarkInput()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		d := stdjson.NewDecoder(bytes.NewReader(in))
		d.UseNumber()
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
