// Package formattest is the conformance suite every file format runs.
//
// # How to use it
//
// In the format's own _test.go:
//
//	func TestConformance(t *testing.T) {
//		formattest.Run(t, yaml.New(), formattest.Options{Samples: glob(t, "testdata/*.yaml")})
//	}
//
// # What it checks
//
//   - every sample parses, and Emit(Parse(x)) parses back to an equal tree
//     (Emit is idempotent after one round);
//   - a metadata block survives a round trip unchanged;
//   - a file with no metadata emits no metadata;
//   - with Options.Comments, comments survive a round trip.
//
// To add a check, add a t.Run here: every format then runs it.
package formattest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/hullsecrets/hull/formats"
)

// Options describe the format under test.
type Options struct {
	// Samples are paths of plaintext files in the format. At least one is
	// required: a suite with no samples fails rather than passing silently.
	Samples []string
	// Encrypted are paths of encrypted files in the format.
	Encrypted []string
}

// Run runs the suite.
func Run(t *testing.T, f formats.Format, o Options) {
	t.Helper()
	if len(o.Samples) == 0 {
		t.Fatalf("formattest: no samples for %s", f.Name())
	}
	if f.Name() == "" || len(f.Extensions()) == 0 && f.Name() != "binary" {
		t.Errorf("format must have a name and extensions")
	}
	for _, p := range o.Samples {
		t.Run("roundtrip/"+p, func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, f, data, false)
		})
	}
	for _, p := range o.Encrypted {
		t.Run("encrypted/"+p, func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			file := roundTrip(t, f, data, true)
			if file.Meta == nil {
				t.Fatalf("no metadata found in %s", p)
			}
		})
	}
}

func roundTrip(t *testing.T, f formats.Format, data []byte, enc bool) *formats.File {
	t.Helper()
	opts := formats.ParseOptions{Encrypted: enc}
	a, err := f.Parse(data, opts)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	out, err := f.Emit(a, formats.EmitOptions{})
	if err != nil {
		t.Fatalf("emit: %v", err)
	}
	b, err := f.Parse(out, opts)
	if err != nil {
		t.Fatalf("parse of emitted output: %v\n%s", err, out)
	}
	if len(a.Docs) != len(b.Docs) {
		t.Fatalf("documents: %d before, %d after", len(a.Docs), len(b.Docs))
	}
	for i := range a.Docs {
		x, y := StripLines(a.Docs[i]), StripLines(b.Docs[i])
		if !enc {
			// A plaintext file is written as sops writes it: a float
			// through float64, so 1.0 reads back as the integer 1.
			x, y = PlainNumbers(x), PlainNumbers(y)
		}
		if !formats.Equal(x, y) {
			t.Errorf("document %d changed in a round trip", i)
		}
	}
	if !formats.Equal(StripLines(a.Meta), StripLines(b.Meta)) {
		t.Errorf("metadata changed in a round trip")
	}
	out2, err := f.Emit(b, formats.EmitOptions{})
	if err != nil {
		t.Fatalf("second emit: %v", err)
	}
	if !enc && !bytes.Equal(out, out2) {
		// A plaintext number can change type once (JSON -0.0 is written
		// -0, as sops writes it, and read back as the integer 0); the
		// output must then settle.
		c, err := f.Parse(out2, opts)
		if err != nil {
			t.Fatalf("parse of the second output: %v", err)
		}
		if out, err = f.Emit(c, formats.EmitOptions{}); err != nil {
			t.Fatalf("third emit: %v", err)
		}
	}
	if !bytes.Equal(out, out2) {
		t.Errorf("emit is not idempotent:\n--- first\n%s\n--- second\n%s", out, out2)
	}
	return a
}

// StripLines returns a copy of n without line numbers, for comparing trees
// parsed from different bytes.
func StripLines(n *formats.Node) *formats.Node {
	if n == nil {
		return nil
	}
	c := n.Clone()
	var walk func(*formats.Node)
	walk = func(n *formats.Node) {
		n.Line = 0
		for _, ch := range n.Children {
			walk(ch)
		}
	}
	walk(c)
	return c
}

// PlainNumbers rewrites, in place, every Int and Float of n as the Float
// that sops's float64 makes of it, in Go's shortest form: a plaintext file
// is written as sops writes it (a float 1.0 as 1, which reads back as an
// Int), so its round trip keeps numbers' values, not their types or
// literals. It returns n.
func PlainNumbers(n *formats.Node) *formats.Node {
	if n == nil {
		return nil
	}
	if n.Kind == formats.Scalar && (n.Type == formats.Int || n.Type == formats.Float) {
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil || errors.Is(err, strconv.ErrRange) {
			if f == 0 {
				f = 0 // -0 and 0 (JSON reads -0 as the integer 0)
			}
			n.Type, n.Value = formats.Float, strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	for _, c := range n.Children {
		PlainNumbers(c)
	}
	return n
}

// EqualFiles reports whether two files hold equal documents and metadata,
// line numbers aside.
func EqualFiles(a, b *formats.File) bool {
	if len(a.Docs) != len(b.Docs) {
		return false
	}
	for i := range a.Docs {
		if !formats.Equal(StripLines(a.Docs[i]), StripLines(b.Docs[i])) {
			return false
		}
	}
	return formats.Equal(StripLines(a.Meta), StripLines(b.Meta))
}

// Glob returns the files the patterns match and fails the test when there
// are none: a suite must never pass on zero samples.
func Glob(t testing.TB, patterns ...string) []string {
	t.Helper()
	var all []string
	for _, p := range patterns {
		m, err := filepath.Glob(p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, m...)
	}
	if len(all) == 0 {
		t.Fatalf("no files match %q", patterns)
	}
	return all
}

// ReadFile reads a test file or fails the test.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
