package ini

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
		Samples:   append(formattest.Glob(t, "testdata/*.ini"), formattest.Glob(t, "testdata/interop/[di]*.ini")...),
		Encrypted: append(formattest.Glob(t, "testdata/interop/*enc*.ini"), "testdata/interop/upstream-example.ini"),
	})
}

// TestInteropBytes checks that files written by sops 3.13.3 come back byte
// for byte, the encrypted one after its metadata went through
// metadata.Load and Node.
func TestInteropBytes(t *testing.T) {
	for _, p := range []string{"testdata/interop/decrypted.ini", "testdata/interop/encrypted.ini"} {
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
	// sops re-aligns input.ini exactly as in decrypted.ini.
	f, err := New().Parse(formattest.ReadFile(t, "testdata/interop/input.ini"), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := New().Emit(f, formats.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := formattest.ReadFile(t, "testdata/interop/decrypted.ini"); !bytes.Equal(out, want) {
		t.Errorf("input.ini emitted as\n%s\nwant\n%s", out, want)
	}
}

func TestTree(t *testing.T) {
	f, err := New().Parse(formattest.ReadFile(t, "testdata/interop/decrypted.ini"), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	com := func(v string) *formats.Node { return &formats.Node{Kind: formats.Comment, Value: v} }
	sec := func(k string, c ...*formats.Node) *formats.Node {
		return &formats.Node{Kind: formats.Mapping, Key: k, Children: c}
	}
	want := sec("",
		sec("DEFAULT"),
		sec("database", com("global settings"),
			formats.NewString("host", "db.internal"),
			formats.NewString("port", "5432"),
			formats.NewString("password", "s3cr3t-p@ssw0rd")),
		sec("api",
			formats.NewString("key", "sk_live_abc123"),
			com("the key for the upstream API"),
			formats.NewString("timeout", "30")),
	)
	if !formats.Equal(formattest.StripLines(f.Docs[0]), want) {
		t.Errorf("unexpected tree")
	}
}

func TestUpstream(t *testing.T) {
	for _, p := range formattest.Glob(t, "testdata/interop/upstream-*.ini") {
		f, err := New().Parse(formattest.ReadFile(t, p), formats.ParseOptions{Encrypted: true})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		m, err := metadata.Load(f.Meta)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(m.KeyGroups) != 1 || len(m.KeyGroups[0]) == 0 {
			t.Fatalf("%s: no keys", p)
		}
		for _, s := range m.KeyGroups[0] {
			if enc := s.Get("enc"); !strings.HasPrefix(enc, "-----BEGIN PGP MESSAGE-----\n\n") || !strings.HasSuffix(enc, "-----END PGP MESSAGE-----") {
				t.Errorf("%s: enc not read with its newlines", p)
			}
		}
		if f.Docs[0].Children[0].Key != "DEFAULT" || f.Docs[0].Get("sops") != nil {
			t.Errorf("%s: DEFAULT not first or sops section left in the document", p)
		}
	}
}

func TestParseValues(t *testing.T) {
	in := "top = 1\n" +
		"[s]\n" +
		"a = plain value ; inline\n" +
		"b = `with ; semicolon`\n" +
		"c = \" spaced \"\n" +
		"d = 'single'\n" +
		"e = \"\"\"multi\nline\"\"\"\n" +
		"f:colon\n" +
		"`g=h` = quoted key\n" +
		"i =\n" +
		"  j = indented\n" +
		"k = url#frag\n"
	f, err := New().Parse([]byte(in), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var comments []string
	for _, s := range f.Docs[0].Children {
		for _, c := range s.Children {
			if c.Kind == formats.Comment {
				comments = append(comments, c.Value)
				continue
			}
			got[s.Key+"."+c.Key] = c.Value
		}
	}
	want := map[string]string{
		"DEFAULT.top": "1", "s.a": "plain value", "s.b": "with ; semicolon", "s.c": " spaced ",
		"s.d": "single", "s.e": "multi\nline", "s.f": "colon", "s.g=h": "quoted key", "s.i": "",
		"s.j": "indented", "s.k": "url",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d keys, want %d", len(got), len(want))
	}
	if strings.Join(comments, "|") != "inline|frag" {
		t.Errorf("comments %q", comments)
	}
}

func TestComments(t *testing.T) {
	in := "; file\n# two\n[a]  ; header\nk = v\n; above\n;; second\nl = w # inline\n; trailing, dropped\n"
	f, err := New().Parse([]byte(in), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := f.Docs[0].Get("a")
	var got []string
	for _, c := range a.Children {
		if c.Kind == formats.Comment {
			got = append(got, c.Value)
		}
	}
	want := []string{"file\n# two\n; header", "above\n; ; second\n# inline"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
	out, err := New().Emit(f, formats.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantOut := "; file\n# two\n; header\n[a]\nk = v\n; above\n; ; second\n# inline\nl = w\n"
	if string(out) != wantOut {
		t.Errorf("got\n%s\nwant\n%s", out, wantOut)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		line int
		want string
	}{
		{"[a]\nk = 1\nk = secretvalue\n", 3, `duplicate key "k" in section "a"`},
		{"[a]\n[b]\n[a]\n", 3, `duplicate section "a"`},
		{"[DEFAULT]\n[a]\n[DEFAULT]\n", 3, `duplicate section "DEFAULT" (first on line 1)`},
		{"k = 1\n[DEFAULT]\nk = secretvalue\n", 3, `duplicate key "k" in section "DEFAULT"`},
		{"[a\n", 1, "unclosed section"},
		{"[]\n", 1, "empty section name"},
		{"[a] secretvalue\n", 1, "unexpected text after section header"},
		{"secretvalue\n", 1, "missing '=' or ':'"},
		{"= secretvalue\n", 1, "empty key"},
		{"- = secretvalue\n", 1, "auto-increment"},
		{"k = `secretvalue` x\n", 1, "unexpected text after quoted value"},
		{"k = \"\"\"secret\nvalue\n", 1, "unclosed quoted value"},
		{"k = secret\\\n", 1, "line continuation"},
		{"`k = secretvalue\n", 1, "missing closing quote"},
		{"[sops]\na__list_1 = secretvalue\n", 2, "incomplete list"},
		{"\xff\xfek=v", 1, "utf-16"},
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
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: error %q shows content", tt.in, err)
		}
	}
}

// TestExplicitDefault: an explicit [DEFAULT] section is a section of its
// own after the implicit one, written back with its header where it was,
// as sops does (issue 14, item 6).
func TestExplicitDefault(t *testing.T) {
	for _, in := range []string{
		"[DEFAULT]\nk = v\n\n[a]\nx = y\n",
		"[a]\nx = y\n\n; c\n[DEFAULT]\nk = v\n",
		"z = 0\n\n[DEFAULT]\nk = v\n\n[a]\nx = y\n",
	} {
		f, err := New().Parse([]byte(in), formats.ParseOptions{})
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		d := f.Docs[0]
		if d.Children[0].Key != "DEFAULT" || d.Children[0].Get("k") != nil {
			t.Fatalf("%q: the implicit DEFAULT is not first, or holds the explicit one's keys", in)
		}
		n := 0
		for _, c := range d.Children {
			if c.Key == "DEFAULT" && c.Get("k") != nil {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%q: no explicit DEFAULT section", in)
		}
		out, err := New().Emit(f, formats.EmitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != in {
			t.Errorf("got\n%s\nwant\n%s", out, in)
		}
	}
}

// TestCommentedDefaultFirst: a commented [DEFAULT] first in the file is the
// implicit DEFAULT, as written with its section comment (and as earlier
// hull versions read and authenticated it).
func TestCommentedDefaultFirst(t *testing.T) {
	in := "; c\n[DEFAULT]\nk = v\n\n[a]\nx = y\n"
	f, err := New().Parse([]byte(in), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := f.Docs[0]
	if len(d.Children) != 2 || d.Children[0].Get("k") == nil || d.Children[0].Children[0].Kind != formats.Comment {
		t.Fatalf("not read as the implicit DEFAULT with its comment")
	}
	out, err := New().Emit(f, formats.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("got\n%s\nwant\n%s", out, in)
	}
}

func TestLimits(t *testing.T) {
	var le *formats.LimitError
	_, err := New().Parse([]byte("[a]\nb = 1\n"), formats.ParseOptions{Limits: formats.Limits{MaxBytes: 4}})
	if !errors.As(err, &le) || le.What != "size" {
		t.Errorf("size: got %v", err)
	}
	_, err = New().Parse([]byte("[a]\nb = 1\nc = 2\n"), formats.ParseOptions{Limits: formats.Limits{MaxNodes: 3}})
	if !errors.As(err, &le) || le.What != "nodes" {
		t.Errorf("nodes: got %v", err)
	}
	_, err = New().Parse([]byte("[sops]\na__list_0__list_0__list_0 = x\n"), formats.ParseOptions{Limits: formats.Limits{MaxDepth: 3}})
	if !errors.As(err, &le) || le.What != "depth" {
		t.Errorf("depth: got %v", err)
	}
}

func TestEmitQuoting(t *testing.T) {
	tests := []struct{ key, value, line string }{
		{"k", "plain", "k = plain"},
		{"k", "", "k = "},
		{"k", "a;b", "k = `a;b`"},
		{"k", "a#b", "k = `a#b`"},
		{"k", " pad ", `k = " pad "`},
		{"k", ` "q" `, "k = ` \"q\" `"},
		{"k", "two\nlines", "k = \"\"\"two\nlines\"\"\""},
		{"k", "back`tick", "k = \"\"\"back`tick\"\"\""},
		{"k", `ends\`, "k = `ends\\`"},
		{"k", `"quoted"`, "k = `\"quoted\"`"},
		{"k", `'quoted'`, "k = `'quoted'`"},
		{"a=b", "v", "`a=b` = v"},
		{"a\"b", "v", "`a\"b` = v"},
		{"a`b", "v", "\"\"\"a`b\"\"\" = v"},
		{"#k", "v", "`#k` = v"},
		{"[k", "v", "`[k` = v"},
		{"a`=b", "v", "\"\"\"a`=b\"\"\" = v"},
	}
	for _, tt := range tests {
		sec := &formats.Node{Kind: formats.Mapping, Key: "s", Children: []*formats.Node{formats.NewString(tt.key, tt.value)}}
		f := &formats.File{Docs: []*formats.Node{{Kind: formats.Mapping, Children: []*formats.Node{sec}}}}
		out, err := New().Emit(f, formats.EmitOptions{})
		if err != nil {
			t.Errorf("%q=%q: %v", tt.key, tt.value, err)
			continue
		}
		if want := "[s]\n" + tt.line + "\n"; string(out) != want {
			t.Errorf("%q=%q: got %q, want %q", tt.key, tt.value, out, want)
		}
		back, err := New().Parse(out, formats.ParseOptions{})
		if err != nil {
			t.Errorf("%q=%q: reparse: %v", tt.key, tt.value, err)
			continue
		}
		if n := back.Docs[0].Get("s").Get(tt.key); n == nil || n.Value != tt.value {
			t.Errorf("%q=%q: did not read back", tt.key, tt.value)
		}
	}
}

func TestEmitTypes(t *testing.T) {
	sec := &formats.Node{Kind: formats.Mapping, Key: "s", Children: []*formats.Node{
		{Kind: formats.Scalar, Key: "i", Type: formats.Int, Value: "42"},
		{Kind: formats.Scalar, Key: "bool", Type: formats.Bool, Value: "False"},
		{Kind: formats.Scalar, Key: "date", Type: formats.Time, Value: "2025-01-02T00:00:00Z"},
		{Kind: formats.Scalar, Key: "n", Type: formats.Null},
	}}
	f := &formats.File{Docs: []*formats.Node{{Kind: formats.Mapping, Children: []*formats.Node{sec}}}}
	out, err := New().Emit(f, formats.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[s]\ni    = 42\nbool = false\ndate = 2025-01-02T00:00:00Z\nn    = \n"; string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestEmitErrors(t *testing.T) {
	m := func(k string, c ...*formats.Node) *formats.Node {
		return &formats.Node{Kind: formats.Mapping, Key: k, Children: c}
	}
	tests := map[string]*formats.Node{
		"top-level scalar":  formats.NewString("k", "secretvalue"),
		"nested":            m("s", m("inner", formats.NewString("x", "secretvalue"))),
		"list":              m("s", &formats.Node{Kind: formats.Sequence, Key: "l"}),
		"reserved section":  m("sops"),
		"empty section":     m(""),
		"bad key":           m("s", formats.NewString("a`=\"b", "secretvalue")),
		"spaced key":        m("s", formats.NewString(" a", "secretvalue")),
		"triple in multi":   m("s", formats.NewString("a", "secret\"\"\"\nvalue")),
		"newline in header": m("a\nb"),
	}
	for name, n := range tests {
		f := &formats.File{Docs: []*formats.Node{m("", n)}}
		_, err := New().Emit(f, formats.EmitOptions{})
		if !errors.Is(err, formats.ErrUnsupported) {
			t.Errorf("%s: got %v, want an UnsupportedError", name, err)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error %q shows a value", name, err)
		}
	}
	f := &formats.File{Docs: []*formats.Node{m("", formats.NewString("k", "v"))}}
	if _, err := New().Emit(f, formats.EmitOptions{}); err == nil || !strings.Contains(err.Error(), "section values should always be mappings") {
		t.Errorf("got %v", err)
	}
}

func TestEmitValue(t *testing.T) {
	for _, tt := range []struct {
		n    *formats.Node
		want string
	}{
		{&formats.Node{Kind: formats.Scalar, Type: formats.Int, Value: "3"}, "3"},
		{&formats.Node{Kind: formats.Scalar, Type: formats.Bool, Value: "True"}, "true"},
		{&formats.Node{Kind: formats.Scalar, Type: formats.Null}, "null"},
		{&formats.Node{Kind: formats.Scalar, Type: formats.Time, Value: "2024-01-01T00:00:00Z"}, `"2024-01-01T00:00:00Z"`},
	} {
		out, err := New().EmitValue(tt.n, formats.EmitOptions{})
		if err != nil || string(out) != tt.want {
			t.Errorf("%s: got %q, %v; want %q", tt.n.Type, out, err, tt.want)
		}
	}
	if _, err := New().EmitValue(&formats.Node{Kind: formats.Mapping}, formats.EmitOptions{}); !errors.Is(err, formats.ErrUnsupported) {
		t.Errorf("mapping: got %v", err)
	}
}

// FuzzParse checks that accepted input re-emits to an equal tree and that
// Emit is idempotent; rejected input gives a typed error.
func FuzzParse(f *testing.F) {
	seeds := 0
	for _, pattern := range []string{"testdata/*.ini", "testdata/interop/*.ini"} {
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
			if errors.Is(err, formats.ErrUnsupported) {
				return // e.g. metadata keys that cannot be flattened back
			}
			t.Fatalf("emit of parsed input: %v", err)
		}
		b, err := New().Parse(out, formats.ParseOptions{})
		if err != nil {
			t.Fatalf("parse of emitted output: %v\n%q\n%q", err, data, out)
		}
		if !formattest.EqualFiles(a, b) {
			t.Fatalf("tree changed in a round trip:\n%q\n%q", data, out)
		}
		out2, err := New().Emit(b, formats.EmitOptions{})
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("emit not idempotent: %v\n%q\n%q", err, out, out2)
		}
	})
}
