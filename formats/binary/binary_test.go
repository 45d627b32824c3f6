package binary

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/formattest"
	"github.com/hullsecrets/hull/metadata"
)

const interop = "../../testdata/interop"

var encrypted = []string{interop + "/cases/binary-basic/encrypted.bin", interop + "/cases/text-as-binary/encrypted.txt"}

func plaintexts(t testing.TB) []string {
	return formattest.Glob(t, "testdata/*", interop+"/cases/binary-basic/*put.bin", interop+"/cases/binary-basic/decrypted.bin",
		interop+"/cases/text-as-binary/input.txt", interop+"/cases/text-as-binary/decrypted.txt")
}

func TestConformance(t *testing.T) {
	formattest.Run(t, New(), formattest.Options{Samples: plaintexts(t), Encrypted: encrypted})
}

func TestName(t *testing.T) {
	if New().Name() != "binary" || New().Extensions() != nil {
		t.Fatal("binary must be named binary and have no extensions")
	}
}

// TestPlainRoundTrip: any bytes in, the same bytes out, as one string.
func TestPlainRoundTrip(t *testing.T) {
	for _, p := range plaintexts(t) {
		data := formattest.ReadFile(t, p)
		f, err := New().Parse(data, formats.ParseOptions{})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if f.Meta != nil || len(f.Docs) != 1 || len(f.Docs[0].Children) != 1 {
			t.Fatalf("%s: unexpected tree", p)
		}
		d := f.Docs[0].Get("data")
		if d == nil || d.Type != formats.String || d.Value != string(data) {
			t.Fatalf("%s: data is not the whole file as a string", p)
		}
		out, err := New().Emit(f, formats.EmitOptions{})
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("%s: Emit(Parse(x)) != x (%v)", p, err)
		}
	}
}

// TestInterop: encrypted files written by sops come back byte for byte,
// also after the metadata went through metadata.Load and Node.
func TestInterop(t *testing.T) {
	for _, p := range encrypted {
		data := formattest.ReadFile(t, p)
		f, err := New().Parse(data, formats.ParseOptions{Encrypted: true})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		d := f.Docs[0].Get("data")
		if f.Meta == nil || d == nil || !strings.HasPrefix(d.Value, "ENC[AES256_GCM,") {
			t.Fatalf("%s: not read as an encrypted binary file", p)
		}
		out, err := New().Emit(f, formats.EmitOptions{})
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("%s: Emit(Parse(x)) != x (%v)", p, err)
		}
		m, err := metadata.Load(f.Meta)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		f.Meta = m.Node()
		out, err = New().Emit(f, formats.EmitOptions{})
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("%s: rebuilt metadata differs (%v)", p, err)
		}
		four, err := New().Emit(f, formats.EmitOptions{Indent: 4, IndentSet: true})
		if err != nil || !bytes.HasPrefix(four, []byte("{\n    \"data\": ")) {
			t.Fatalf("%s: indent 4 not applied (%v)", p, err)
		}
	}
	// The decrypted plaintext is what sops wrote for decrypt.
	for _, c := range []string{"binary-basic/decrypted.bin", "text-as-binary/decrypted.txt"} {
		in := formattest.ReadFile(t, interop+"/cases/"+strings.Replace(c, "decrypted", "input", 1))
		if want := formattest.ReadFile(t, interop+"/cases/"+c); !bytes.Equal(in, want) {
			t.Fatalf("%s: the fixture is not the input", c)
		}
	}
}

func TestParseEncryptedErrors(t *testing.T) {
	for _, in := range []string{"plain text file\n", "", "[1]", `{"data": "x"`, "{\"data\": \"\xff\"}"} {
		_, err := New().Parse([]byte(in), formats.ParseOptions{Encrypted: true})
		var se *formats.SyntaxError
		if !errors.As(err, &se) || se.Format != "binary" || !errors.Is(err, formats.ErrSyntax) {
			t.Fatalf("%q: got %v, want a binary SyntaxError", in, err)
		}
		if !strings.Contains(se.Msg, "not an encrypted binary file") || !strings.Contains(se.Msg, "--input-type") {
			t.Errorf("%q: no hint in %q", in, err)
		}
		if strings.Contains(err.Error(), "plain text") {
			t.Errorf("error %q leaks content", err)
		}
	}
}

func TestLimits(t *testing.T) {
	lim := formats.Limits{MaxBytes: 4}
	for _, enc := range []bool{false, true} {
		if _, err := New().Parse([]byte("{}"), formats.ParseOptions{Encrypted: enc, Limits: lim}); err != nil {
			t.Errorf("encrypted=%v: %v", enc, err)
		}
		_, err := New().Parse([]byte("{}   "), formats.ParseOptions{Encrypted: enc, Limits: lim})
		var le *formats.LimitError
		if !errors.As(err, &le) || le.What != "size" || le.Format != "binary" {
			t.Errorf("encrypted=%v: got %v, want a size LimitError", enc, err)
		}
	}
	deep := []byte(`{"data": ` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`)
	if _, err := New().Parse(deep, formats.ParseOptions{Encrypted: true}); !errors.Is(err, formats.ErrLimit) {
		t.Errorf("deep envelope: got %v", err)
	}
}

func TestEmitUnsupported(t *testing.T) {
	mapping := func(kids ...*formats.Node) *formats.File {
		return &formats.File{Docs: []*formats.Node{{Kind: formats.Mapping, Children: kids}}}
	}
	for name, f := range map[string]*formats.File{
		"nil":         nil,
		"no document": {},
		"no data":     mapping(formats.NewString("other", "x")),
		"int data":    mapping(&formats.Node{Kind: formats.Scalar, Key: "data", Type: formats.Int, Value: "1"}),
		"nested data": mapping(&formats.Node{Kind: formats.Mapping, Key: "data"}),
	} {
		_, err := New().Emit(f, formats.EmitOptions{})
		if !errors.Is(err, formats.ErrUnsupported) {
			t.Errorf("%s: got %v, want an UnsupportedError", name, err)
			continue
		}
		if !strings.Contains(err.Error(), "--output-type") && name != "nil" && name != "no document" {
			t.Errorf("%s: no hint in %q", name, err)
		}
	}
	// Other keys are ignored, as sops does.
	out, err := New().Emit(mapping(formats.NewString("x", "y"), formats.NewString("data", "raw")), formats.EmitOptions{})
	if err != nil || string(out) != "raw" {
		t.Errorf("got %q, %v", out, err)
	}
	if _, err := New().EmitValue(formats.NewString("", "x"), formats.EmitOptions{}); !errors.Is(err, formats.ErrUnsupported) {
		t.Errorf("EmitValue: got %v", err)
	}
}

// FuzzParse: a plaintext comes back byte for byte; an encrypted envelope is
// either rejected with a typed error or re-emitted idempotently.
func FuzzParse(f *testing.F) {
	seeds := 0
	for _, p := range append(plaintexts(f), encrypted...) {
		f.Add(formattest.ReadFile(f, p))
		seeds++
	}
	if seeds == 0 {
		f.Fatal("no seeds found")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := New().Parse(data, formats.ParseOptions{})
		if err != nil {
			t.Fatalf("plain parse: %v", err)
		}
		out, err := New().Emit(p, formats.EmitOptions{})
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("Emit(Parse(x)) != x (%v)", err)
		}
		e, err := New().Parse(data, formats.ParseOptions{Encrypted: true})
		if err != nil {
			if !errors.Is(err, formats.ErrSyntax) && !errors.Is(err, formats.ErrLimit) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if e.Meta == nil {
			return
		}
		out, err = New().Emit(e, formats.EmitOptions{})
		if err != nil {
			if !errors.Is(err, formats.ErrUnsupported) {
				t.Fatalf("emit: %v", err)
			}
			return
		}
		e2, err := New().Parse(out, formats.ParseOptions{Encrypted: true})
		if err != nil || !formats.Equal(e.Docs[0], e2.Docs[0]) || !formats.Equal(e.Meta, e2.Meta) {
			t.Fatalf("envelope changed in a round trip (%v)", err)
		}
	})
}
