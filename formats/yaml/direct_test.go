package yaml

import (
	"bytes"
	"os"
	"testing"

	"github.com/hullsecrets/hull/formats"
)

// checkDirect compares the direct emitter with the yaml.v3 path on one
// file; it reports whether the direct emitter handled it.
func checkDirect(t *testing.T, f *formats.File, opts formats.EmitOptions) bool {
	t.Helper()
	got, err := emitDirect(f, opts)
	if err != nil {
		return false
	}
	want, err := emitV3(f, opts)
	if err != nil {
		t.Fatalf("yaml.v3 path fails where the direct emitter does not: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("direct emitter differs\n--- yaml.v3\n%s\n--- direct\n%s", want, got)
	}
	return true
}

func TestDirectMatchesV3(t *testing.T) {
	handled := 0
	files := append(plaintexts(t), encrypted(t)...)
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := New().Parse(data, formats.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Docs {
			removeComments(d)
		}
		for _, opts := range []formats.EmitOptions{{}, {Indent: 2, IndentSet: true}, {Indent: 3, IndentSet: true}} {
			if checkDirect(t, f, opts) {
				handled++
			}
		}
	}
	if handled == 0 {
		t.Fatal("the direct emitter handled no file")
	}
	t.Logf("direct emitter handled %d of %d", handled, 3*len(files))
	big, err := New().Parse(bigYAML(), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	big.Docs[0].Children = big.Docs[0].Children[:50]
	if !checkDirect(t, big, formats.EmitOptions{}) {
		t.Fatal("the direct emitter does not handle the benchmark file")
	}
}

func removeComments(n *formats.Node) {
	kept := n.Children[:0]
	for _, c := range n.Children {
		if c.Kind != formats.Comment {
			removeComments(c)
			kept = append(kept, c)
		}
	}
	n.Children = kept
}

// FuzzDirect checks the direct emitter against the yaml.v3 path on any
// parsed input, comments removed so that it is exercised.
func FuzzDirect(f *testing.F) {
	n := 0
	for _, p := range append(plaintexts(f), encrypted(f)...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		n++
	}
	if n == 0 {
		f.Fatal("no seeds found")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := New().Parse(data, formats.ParseOptions{Limits: formats.Limits{MaxNodes: 100_000}})
		if err != nil {
			return
		}
		for _, d := range file.Docs {
			removeComments(d)
		}
		checkDirect(t, file, formats.EmitOptions{})
		checkDirect(t, file, formats.EmitOptions{Indent: 2, IndentSet: true})
	})
}
