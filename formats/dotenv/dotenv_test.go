package dotenv

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/formattest"
	"github.com/hullsecrets/hull/metadata"
)

func TestConformance(t *testing.T) {
	formattest.Run(t, New(), formattest.Options{
		Samples:   append(formattest.Glob(t, "testdata/*.env"), formattest.Glob(t, "testdata/interop/[di]*.env")...),
		Encrypted: formattest.Glob(t, "testdata/interop/*enc*.env"),
	})
}

// TestInteropBytes checks that files written by sops 3.13.3 come back byte
// for byte, the encrypted one after its metadata went through
// metadata.Load and Node.
func TestInteropBytes(t *testing.T) {
	for _, p := range []string{"testdata/interop/decrypted.env", "testdata/interop/input.env", "testdata/interop/encrypted.env"} {
		data := formattest.ReadFile(t, p)
		f, err := New().Parse(data, formats.ParseOptions{})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if f.Meta != nil {
			m, err := metadata.Load(f.Meta)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			f.Meta = m.Node()
		}
		out, err := New().Emit(f, formats.EmitOptions{})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !bytes.Equal(out, data) {
			t.Errorf("%s: round trip differs:\n%s", p, out)
		}
	}
}

func TestUpstream(t *testing.T) {
	f, err := New().Parse(formattest.ReadFile(t, "testdata/interop/upstream.enc.env"), formats.ParseOptions{Encrypted: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.Docs[0].Get("foo ") == nil {
		t.Errorf("key %q (untrimmed) not found", "foo ")
	}
	m, err := metadata.Load(f.Meta)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.KeyGroups) != 1 || len(m.KeyGroups[0]) != 1 || m.KeyGroups[0][0].Type != "pgp" {
		t.Errorf("unexpected key groups %v", m.KeyGroups)
	}
	if enc := m.KeyGroups[0][0].Get("enc"); !strings.HasPrefix(enc, "-----BEGIN PGP MESSAGE-----\n\n") {
		t.Errorf("\\n not turned into newlines in enc")
	}
}

func TestParse(t *testing.T) {
	f, err := New().Parse([]byte("#c\n\nA=1\nB = x \\n y\r\nC=a=b\n#\n"), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := &formats.Node{Kind: formats.Mapping, Children: []*formats.Node{
		{Kind: formats.Comment, Value: "c"},
		formats.NewString("A", "1"),
		formats.NewString("B ", " x \n y\r"),
		formats.NewString("C", "a=b"),
		{Kind: formats.Comment, Value: ""},
	}}
	for _, c := range f.Docs[0].Children {
		c.Line = 0
	}
	if !formats.Equal(f.Docs[0], want) {
		t.Errorf("unexpected tree")
	}
	if f.Meta != nil {
		t.Errorf("metadata found in a plain file")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		line int
		want string
	}{
		{"A=1\nsecretvalue\n", 2, "missing '='"},
		{"A=1\nA=2\n", 2, `duplicate key "A"`},
		{"=secretvalue\n=secretvalue\n", 2, `duplicate key ""`},
		{"sops_a__list_1=secretvalue\n", 1, "incomplete list"},
		{"sops_a=secretvalue\nsops_a__map_b=x\n", 2, "type mismatch"},
		{"sops_a__list_x=secretvalue\n", 1, "invalid list index"},
	}
	for _, tt := range tests {
		_, err := New().Parse([]byte(tt.in), formats.ParseOptions{})
		var se *formats.SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: got %v, want a SyntaxError", tt.in, err)
			continue
		}
		if se.Line != tt.line || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %q (line %d), want %q on line %d", tt.in, err, se.Line, tt.want, tt.line)
		}
		if strings.Contains(err.Error(), "secretvalue") {
			t.Errorf("%q: error %q shows content", tt.in, err)
		}
	}
}

func TestLimits(t *testing.T) {
	_, err := New().Parse([]byte("A=1\nB=2\n"), formats.ParseOptions{Limits: formats.Limits{MaxBytes: 4}})
	var le *formats.LimitError
	if !errors.As(err, &le) || le.What != "size" {
		t.Errorf("size: got %v", err)
	}
	_, err = New().Parse([]byte("A=1\nB=2\nC=3\n"), formats.ParseOptions{Limits: formats.Limits{MaxNodes: 2}})
	if !errors.As(err, &le) || le.What != "nodes" {
		t.Errorf("nodes: got %v", err)
	}
	_, err = New().Parse([]byte("sops_a__list_0__list_0__list_0=x\n"), formats.ParseOptions{Limits: formats.Limits{MaxDepth: 3}})
	if !errors.As(err, &le) || le.What != "depth" {
		t.Errorf("depth: got %v", err)
	}
}

func TestEmit(t *testing.T) {
	doc := &formats.Node{Kind: formats.Mapping, Children: []*formats.Node{
		{Kind: formats.Comment, Value: " note"},
		formats.NewString("S", "a\nb"),
		{Kind: formats.Scalar, Key: "I", Type: formats.Int, Value: "42"},
		{Kind: formats.Scalar, Key: "F", Type: formats.Float, Value: "1.0"},
		{Kind: formats.Scalar, Key: "B", Type: formats.Bool, Value: "True"},
		{Kind: formats.Scalar, Key: "T", Type: formats.Time, Value: "2024-01-01T00:00:00Z"},
		{Kind: formats.Scalar, Key: "N", Type: formats.Null},
	}}
	meta := &formats.Node{Kind: formats.Mapping, Key: "sops", Children: []*formats.Node{
		{Kind: formats.Scalar, Key: "mac_only_encrypted", Type: formats.Bool, Value: "True"},
		formats.NewString("version", "3.13.3"),
	}}
	out, err := New().Emit(&formats.File{Docs: []*formats.Node{doc}, Meta: meta}, formats.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "# note\nS=a\\nb\nI=42\nF=1.0\nB=true\nT=2024-01-01T00:00:00Z\nN=\nsops_mac_only_encrypted=true\nsops_version=3.13.3\n"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestEmitErrors(t *testing.T) {
	nested := &formats.Node{Kind: formats.Mapping, Key: "nested", Children: []*formats.Node{formats.NewString("x", "secretvalue")}}
	for name, c := range map[string]*formats.Node{
		"nested":        nested,
		"list":          {Kind: formats.Sequence, Key: "list"},
		"equals in key": formats.NewString("a=b", "v"),
		"newline key":   formats.NewString("a\nb", "v"),
		"comment key":   formats.NewString("#a", "v"),
		"reserved":      formats.NewString("sops_x", "v"),
		"comment nl":    {Kind: formats.Comment, Value: "a\nb"},
	} {
		doc := &formats.Node{Kind: formats.Mapping, Children: []*formats.Node{c}}
		_, err := New().Emit(&formats.File{Docs: []*formats.Node{doc}}, formats.EmitOptions{})
		if !errors.Is(err, formats.ErrUnsupported) {
			t.Errorf("%s: got %v, want an UnsupportedError", name, err)
		} else if strings.Contains(err.Error(), "secretvalue") {
			t.Errorf("%s: error shows a value", name)
		}
	}
	doc := &formats.Node{Kind: formats.Mapping, Children: []*formats.Node{nested}}
	_, err := New().Emit(&formats.File{Docs: []*formats.Node{doc}}, formats.EmitOptions{})
	if err == nil || err.Error() != `dotenv: cannot use complex value in dotenv file; offending key "nested"` {
		t.Errorf("got %v", err)
	}
	_, err = New().Emit(&formats.File{Docs: []*formats.Node{doc, doc}}, formats.EmitOptions{})
	if !errors.Is(err, formats.ErrUnsupported) {
		t.Errorf("two documents: got %v", err)
	}
}

func TestEmitValue(t *testing.T) {
	_, err := New().EmitValue(&formats.Node{Kind: formats.Scalar, Type: formats.Int, Value: "1"}, formats.EmitOptions{})
	if !errors.Is(err, formats.ErrUnsupported) {
		t.Errorf("got %v", err)
	}
}

// FuzzParse checks that accepted input re-emits to an equal tree and that
// Emit is idempotent; rejected input gives a typed error.
func FuzzParse(f *testing.F) {
	seeds := 0
	for _, pattern := range []string{"testdata/*.env", "testdata/interop/*.env"} {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			f.Add(formattest.ReadFile(f, p))
			seeds++
		}
	}
	if seeds == 0 {
		f.Fatal("no seeds found for FuzzParse")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := New().Parse(data, formats.ParseOptions{})
		if err != nil {
			if !errors.Is(err, formats.ErrSyntax) && !errors.Is(err, formats.ErrLimit) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		out, err := New().Emit(a, formats.EmitOptions{})
		if err != nil {
			t.Fatalf("emit of parsed input: %v", err)
		}
		b, err := New().Parse(out, formats.ParseOptions{})
		if err != nil {
			t.Fatalf("parse of emitted output: %v", err)
		}
		if !formattest.EqualFiles(a, b) {
			t.Fatalf("tree changed in a round trip:\n%q\n%q", data, out)
		}
		out2, err := New().Emit(b, formats.EmitOptions{})
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("emit not idempotent: %v", err)
		}
	})
}

// An empty key is a key, as in sops (F6 in docs/difftest-findings.md):
// "=novalue" is read and written back as it is.
func TestEmptyKey(t *testing.T) {
	f, err := New().Parse([]byte("=novalue\nA=1\n"), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := f.Docs[0]
	if len(d.Children) != 2 || d.Children[0].Key != "" || d.Children[0].Value != "novalue" {
		t.Fatalf("got %+v", d.Children)
	}
	out, err := New().Emit(f, formats.EmitOptions{})
	if err != nil || string(out) != "=novalue\nA=1\n" {
		t.Errorf("got %q, %v", out, err)
	}
}
