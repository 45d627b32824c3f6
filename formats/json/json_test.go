package json

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/formattest"
	"github.com/hullsecrets/hull/metadata"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// interop is the project's copy of the files written by sops 3.13.3.
const interop = "../../testdata/interop"

func parse(t testing.TB, data []byte) *formats.File {
	t.Helper()
	f, err := New().Parse(data, formats.ParseOptions{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return f
}

func emit(t testing.TB, f *formats.File, opts formats.EmitOptions) []byte {
	t.Helper()
	out, err := New().Emit(f, opts)
	if err != nil {
		t.Fatalf("emit: %v", err)
	}
	return out
}

func TestConformance(t *testing.T) {
	formattest.Run(t, New(), formattest.Options{
		Samples: formattest.Glob(t, "testdata/*.json", interop+"/cases/*/input.json", interop+"/cases/*/decrypted.json"),
		Encrypted: formattest.Glob(t, interop+"/cases/*/encrypted.json", interop+"/upstream/*.json",
			interop+"/cases/binary-basic/encrypted.bin", interop+"/cases/text-as-binary/encrypted.txt"),
	})
}

// TestInterop checks that files written by sops come back byte for byte:
// plaintexts as they are, encrypted files after their metadata went through
// metadata.Load and Node, as hull writes it.
func TestInterop(t *testing.T) {
	files := formattest.Glob(t, interop+"/cases/*/decrypted.json", interop+"/cases/*/encrypted.json",
		interop+"/upstream/*.json", interop+"/cases/binary-basic/encrypted.bin",
		interop+"/cases/text-as-binary/encrypted.txt")
	for _, p := range files {
		t.Run(p, func(t *testing.T) {
			data := formattest.ReadFile(t, p)
			opts := formats.EmitOptions{}
			if strings.Contains(p, "json-indent-4/encrypted") {
				opts = formats.EmitOptions{Indent: 4, IndentSet: true}
			}
			f := parse(t, data)
			if strings.Contains(p, "upstream/example.json") {
				// sops 3.5 wrote no final newline.
				data = append(data, '\n')
			}
			if got := emit(t, f, opts); !bytes.Equal(got, data) {
				t.Fatalf("Emit(Parse(x)) differs from x:\n%s", diff(got, data))
			}
			if f.Meta == nil {
				return
			}
			m, err := metadata.Load(f.Meta)
			if err != nil {
				t.Fatalf("metadata: %v", err)
			}
			f.Meta = m.Node()
			got := emit(t, f, opts)
			if strings.Contains(p, "upstream/example.json") {
				// Written by an old sops with unsorted metadata and null
				// lists: only the data part must be unchanged.
				i := bytes.Index(data, []byte("\t\"sops\": {"))
				if i < 0 || !bytes.Equal(got[:i], data[:i]) {
					t.Fatalf("data part changed")
				}
				return
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("rebuilt metadata differs:\n%s", diff(got, data))
			}
		})
	}
}

// diff shows the first differing line, for test failures only.
func diff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + a + "\nwant: " + b
		}
	}
	return "(same lines)"
}

// TestGolden checks the testdata samples against golden outputs with each
// indentation, and against the sops algorithm (encoding/json's Marshal and
// Indent).
func TestGolden(t *testing.T) {
	indents := []struct {
		name string
		opts formats.EmitOptions
	}{
		{"tab", formats.EmitOptions{}},
		{"none", formats.EmitOptions{Indent: 0, IndentSet: true}},
		{"two", formats.EmitOptions{Indent: 2, IndentSet: true}},
	}
	for _, p := range formattest.Glob(t, "testdata/*.json") {
		if strings.Contains(p, ".golden.") {
			continue
		}
		f := parse(t, formattest.ReadFile(t, p))
		for _, in := range indents {
			t.Run(filepath.Base(p)+"/"+in.name, func(t *testing.T) {
				got := emit(t, f, in.opts)
				want := reference(t, f, in.opts)
				if !bytes.Equal(got, want) {
					t.Fatalf("differs from the sops algorithm:\n%s", diff(got, want))
				}
				golden := strings.TrimSuffix(p, ".json") + "." + in.name + ".golden.json"
				if *update {
					if err := os.WriteFile(golden, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if want := formattest.ReadFile(t, golden); !bytes.Equal(got, want) {
					t.Fatalf("differs from %s:\n%s", golden, diff(got, want))
				}
			})
		}
	}
}

// reference writes a file the way sops does: a compact object built with
// json.Marshal for keys and strings, re-indented with json.Indent, plus a
// newline. Floats are written as their literal (hull keeps them; sops
// would round them through float64).
func reference(t testing.TB, f *formats.File, opts formats.EmitOptions) []byte {
	t.Helper()
	doc := f.Docs[0].Clone()
	if f.Meta != nil {
		m := f.Meta.Clone()
		m.Key = "sops"
		doc.Children = append(doc.Children, m)
	}
	var compact bytes.Buffer
	refValue(t, &compact, doc)
	indent := "\t"
	if opts.IndentSet && opts.Indent >= 0 {
		indent = strings.Repeat(" ", opts.Indent)
	}
	var out bytes.Buffer
	if err := stdjson.Indent(&out, compact.Bytes(), "", indent); err != nil {
		t.Fatalf("reference: %v", err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func refValue(t testing.TB, w *bytes.Buffer, n *formats.Node) {
	marshal := func(v any) {
		b, err := stdjson.Marshal(v)
		if err != nil {
			t.Fatalf("reference: %v", err)
		}
		w.Write(b)
	}
	var kids []*formats.Node
	for _, c := range n.Children {
		if c.Kind != formats.Comment {
			kids = append(kids, c)
		}
	}
	switch n.Kind {
	case formats.Mapping:
		w.WriteString("{")
		for i, c := range kids {
			if i > 0 {
				w.WriteString(",")
			}
			marshal(c.Key)
			w.WriteString(": ")
			refValue(t, w, c)
		}
		w.WriteString("}")
	case formats.Sequence:
		w.WriteString("[")
		for i, c := range kids {
			if i > 0 {
				w.WriteString(",")
			}
			refValue(t, w, c)
		}
		w.WriteString("]")
	default:
		switch n.Type {
		case formats.String, formats.Time:
			marshal(n.Value)
		case formats.Int:
			w.WriteString(n.Value)
		case formats.Float:
			// A plaintext file: sops decodes a float into a float64.
			f, err := strconv.ParseFloat(n.Value, 64)
			if err != nil {
				t.Fatalf("reference: %v", err)
			}
			marshal(f)
		case formats.Bool:
			marshal(n.Value == "True")
		case formats.Null:
			w.WriteString("null")
		}
	}
}

func TestParseValues(t *testing.T) {
	f := parse(t, formattest.ReadFile(t, "testdata/numbers.json"))
	want := []struct {
		key, value string
		typ        formats.Type
	}{
		{"int", "42", formats.Int},
		{"neg", "-17", formats.Int},
		{"zero", "0", formats.Int},
		{"negzero", "0", formats.Int},
		{"min", "-9223372036854775808", formats.Int},
		{"max", "9223372036854775807", formats.Int},
		{"beyond", "9223372036854775808", formats.Float},
		{"big", "12345678901234567890", formats.Float},
		{"float", "0.75", formats.Float},
		{"one", "1.0", formats.Float},
		{"exp", "1.5e10", formats.Float},
		{"EXP", "2E+3", formats.Float},
		{"tiny", "1e-400", formats.Float},
		{"negfloat", "-0.0", formats.Float},
	}
	doc := f.Docs[0]
	if len(doc.Children) != len(want) {
		t.Fatalf("%d values, want %d", len(doc.Children), len(want))
	}
	for i, w := range want {
		c := doc.Children[i]
		if c.Key != w.key || c.Value != w.value || c.Type != w.typ || c.Kind != formats.Scalar {
			t.Errorf("%d: got %s %q %s, want %s %q %s", i, c.Key, c.Value, c.Type, w.key, w.value, w.typ)
		}
		if c.Line != i+2 {
			t.Errorf("%s: line %d, want %d", c.Key, c.Line, i+2)
		}
	}
}

func TestParseStrings(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`"abc"`, "abc"},
		{`""`, ""},
		{`"a\"b\\c\/d"`, `a"b\c/d`},
		{`"\b\f\n\r\t"`, "\b\f\n\r\t"},
		{`"\u0000\u001F\u00e4"`, "\x00\x1fä"},
		{`"\u79D8\u5bc6"`, "秘密"},
		{`"\ud83d\ude00"`, "😀"},
		{`"\uD83D\uDE00x"`, "😀x"},
		{`"ä ✓ 😀"`, "ä ✓ 😀"},
		{`"<&>"`, "<&>"},
		{"\"\u2028\"", "\u2028"},
		{`"\u2028"`, "\u2028"},
		{`"\ufffd"`, "\ufffd"},
	} {
		f, err := New().Parse([]byte(`{"k": `+tc.in+`}`), formats.ParseOptions{})
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got := f.Docs[0].Children[0].Value; got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.in, got, tc.want)
		}
		// Keys are unescaped the same way.
		f, err = New().Parse([]byte(`{`+tc.in+`: 1}`), formats.ParseOptions{})
		if err != nil || f.Docs[0].Children[0].Key != tc.want {
			t.Errorf("key %s: %v", tc.in, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		line     int
		msg      string // part of the message
	}{
		{"empty", "", 1, "only a top-level object"},
		{"spaces", " \n ", 2, "only a top-level object"},
		{"array", "[1, 2]", 1, "top level is an array: only a top-level object"},
		{"string", `"secret"`, 1, "only a top-level object"},
		{"number", "42", 1, "only a top-level object"},
		{"null", "null", 1, "only a top-level object"},
		{"duplicate", "{\"a\": 1,\n\"a\": 2}", 2, `duplicate key "a"`},
		{"duplicate nested", "{\"x\": {\n\"b\": 1,\n\n\"b\": 2}}", 4, `duplicate key "b"`},
		{"duplicate in list", "{\"x\": [{\"b\": 1, \"b\": 2}]}", 1, `duplicate key "b"`},
		{"duplicate sops", "{\"sops\": {}, \"sops\": {}}", 1, `duplicate key "sops"`},
		{"duplicate escaped", `{"a": 1, "\u0061": 2}`, 1, `duplicate key "a"`},
		{"duplicate large", "{" + manyKeys(40) + ",\n\"k7\": 0}", 2, `duplicate key "k7"`},
		{"trailing comma object", `{"a": 1,}`, 1, "expected a string key"},
		{"trailing comma array", `{"a": [1,]}`, 1, "expected a value"},
		{"missing colon", `{"a" 1}`, 1, `expected ":"`},
		{"missing comma", `{"a": 1 "b": 2}`, 1, `expected "," or "}"`},
		{"unclosed", `{"a": [1, 2`, 1, "unexpected end of input"},
		{"unclosed object", "{\"a\": 1\n", 2, "unexpected end of input"},
		{"bare word", `{"a": secret}`, 1, "unexpected character, expected a value"},
		{"single quotes", `{'a': 1}`, 1, "expected a string key"},
		{"trailing data", "{}\n{}", 2, "unexpected data after the top-level object"},
		{"comment", "{} // c", 1, "unexpected data"},
		{"unterminated string", `{"a": "abc`, 1, "unterminated string"},
		{"raw newline", "{\"a\": \"ab\ncd\"}", 1, "control character"},
		{"raw tab", "{\"a\": \"a\tb\"}", 1, "control character"},
		{"bad escape", `{"a": "\x41"}`, 1, "invalid escape"},
		{"short unicode escape", `{"a": "\u12"}`, 1, `invalid \u escape`},
		{"bad unicode escape", `{"a": "\u12g4"}`, 1, `invalid \u escape`},
		{"lone high surrogate", `{"a": "\ud83d"}`, 1, "unpaired UTF-16 surrogate"},
		{"lone high surrogate then text", `{"a": "\ud83dabc"}`, 1, "unpaired UTF-16 surrogate"},
		{"lone low surrogate", `{"a": "\ude00"}`, 1, "unpaired UTF-16 surrogate"},
		{"two high surrogates", `{"a": "\ud83d\ud83d"}`, 1, "unpaired UTF-16 surrogate"},
		{"invalid utf8", "{\n\"a\": \"\xff\"}", 2, "invalid UTF-8"},
		{"invalid utf8 key", "{\n\n\"\xc3\x28\": 1}", 3, "invalid UTF-8"},
		{"surrogate in utf8", "{\"a\": \"\xed\xa0\x80\"}", 1, "invalid UTF-8"},
		{"invalid utf8 after eight bytes", "{\"a\": \"abcdefghijkl\xe2\x82\"}", 1, "invalid UTF-8"},
		{"invalid utf8 after an escape", "{\"a\": \"a\\nb\xc0\xaf\"}", 1, "invalid UTF-8"},
		{"truncated utf8 at the end", "{\"a\": \"\xf0\x9f\x98", 1, "invalid UTF-8"},
		{"invalid utf8 between tokens", "{\"a\":\n\xff 1}", 2, "invalid UTF-8"},
		{"valid utf8 between tokens", "{\"a\": \u00e9}", 1, "unexpected character, expected a value"},
		{"bom", "\ufeff{}", 1, "only a top-level object"},
		{"leading zero", `{"a": 01}`, 1, `expected "," or "}"`},
		{"plus", `{"a": +1}`, 1, "expected a value"},
		{"minus alone", `{"a": -}`, 1, "invalid number"},
		{"dot first", `{"a": .5}`, 1, "expected a value"},
		{"dot last", `{"a": 1.}`, 1, "after the decimal point"},
		{"exponent empty", `{"a": 1e}`, 1, "in the exponent"},
		{"exponent sign only", `{"a": 1e+}`, 1, "in the exponent"},
		{"hex", `{"a": 0x10}`, 1, `expected "," or "}"`},
		{"nan", `{"a": NaN}`, 1, "expected a value"},
		{"infinity", `{"a": Infinity}`, 1, "expected a value"},
		{"out of range", `{"a": 1e400}`, 1, "out of the float64 range"},
		{"out of range negative", `{"a": -1.5E309}`, 1, "out of the float64 range"},
		{"truex", `{"a": truex}`, 1, `expected "," or "}"`},
		{"tru", `{"a": tru}`, 1, "expected a value"},
		{"capital", `{"a": True}`, 1, "expected a value"},
		{"key not string", `{1: 2}`, 1, "expected a string key"},
		{"close mismatch", `{"a": [1}`, 1, `unexpected '}', expected "," or "]"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New().Parse([]byte(tc.in), formats.ParseOptions{})
			var se *formats.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a SyntaxError", err)
			}
			if !errors.Is(err, formats.ErrSyntax) || se.Format != "json" {
				t.Errorf("error %v does not wrap ErrSyntax or names the wrong format", err)
			}
			if se.Line != tc.line {
				t.Errorf("line %d, want %d (%v)", se.Line, tc.line, err)
			}
			if !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", se.Msg, tc.msg)
			}
			checkVoice(t, err)
			// Errors never carry content: none of the values in the inputs
			// above may appear in the message.
			for _, secret := range []string{"secret", "abc", "x41", "12g4"} {
				if strings.Contains(tc.in, secret) && strings.Contains(err.Error(), secret) {
					t.Errorf("error %q leaks content", err)
				}
			}
		})
	}
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"k` + strconv.Itoa(i) + `": ` + strconv.Itoa(i))
	}
	return b.String()
}

// checkVoice checks the error style: lowercase start, no final period.
func checkVoice(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	if msg == "" || msg[0] >= 'A' && msg[0] <= 'Z' && !strings.HasPrefix(msg, "UTF") || strings.HasSuffix(msg, ".") {
		t.Errorf("error %q is not in the project's voice", err)
	}
}

func TestLimits(t *testing.T) {
	deep := func(n int) []byte {
		return []byte(`{"a": ` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		lim  formats.Limits
		what string // "" when it must succeed
	}{
		{"deep arrays", deep(20000), formats.Limits{}, "depth"},
		{"deep objects", []byte(strings.Repeat(`{"a":`, 20000) + strings.Repeat("}", 20000)), formats.Limits{}, "depth"},
		{"deep unclosed", []byte(`{"a": ` + strings.Repeat("[", 1<<20)), formats.Limits{}, "depth"},
		{"depth at the limit", deep(9), formats.Limits{MaxDepth: 10}, ""},
		{"depth over the limit", deep(10), formats.Limits{MaxDepth: 10}, "depth"},
		{"very deep when allowed", deep(200000), formats.Limits{MaxDepth: 300000}, ""},
		{"nodes at the limit", []byte(`{"a": [1, 2, 3]}`), formats.Limits{MaxNodes: 5}, ""},
		{"nodes over the limit", []byte(`{"a": [1, 2, 3]}`), formats.Limits{MaxNodes: 4}, "nodes"},
		{"size at the limit", []byte(`{"a": 1}`), formats.Limits{MaxBytes: 8}, ""},
		{"size over the limit", []byte(`{"a": 1} `), formats.Limits{MaxBytes: 8}, "size"},
		{"size before syntax", []byte(`[[[[[[[[[`), formats.Limits{MaxBytes: 8}, "size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New().Parse(tc.in, formats.ParseOptions{Limits: tc.lim})
			if tc.what == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var le *formats.LimitError
			if !errors.As(err, &le) || le.What != tc.what || !errors.Is(err, formats.ErrLimit) {
				t.Fatalf("got %v, want a %s LimitError", err, tc.what)
			}
		})
	}
}

func TestMetadata(t *testing.T) {
	f := parse(t, []byte(`{"a": 1, "sops": {"version": "3.13.3"}, "b": {"sops": 2}}`))
	if f.Meta == nil || f.Meta.Key != "sops" || f.Meta.Get("version") == nil {
		t.Fatalf("metadata not found: %+v", f.Meta)
	}
	doc := f.Docs[0]
	if doc.Get("sops") != nil || len(doc.Children) != 2 || doc.Get("b").Get("sops") == nil {
		t.Fatalf("metadata not removed from the top level only")
	}
	got := string(emit(t, f, formats.EmitOptions{Indent: 0, IndentSet: true}))
	want := "{\n\"a\": 1,\n\"b\": {\n\"sops\": 2\n},\n\"sops\": {\n\"version\": \"3.13.3\"\n}\n}\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	// No metadata, no sops key.
	f = parse(t, []byte(`{"a": 1}`))
	if f.Meta != nil || strings.Contains(string(emit(t, f, formats.EmitOptions{})), "sops") {
		t.Fatal("metadata appeared from nowhere")
	}
}

func TestEmitScalars(t *testing.T) {
	sc := func(typ formats.Type, v string) *formats.Node {
		return &formats.Node{Kind: formats.Scalar, Key: "k", Type: typ, Value: v}
	}
	for _, tc := range []struct {
		n    *formats.Node
		want string // "" for an UnsupportedError
	}{
		{sc(formats.String, "a<b>&c\u2028\u2029\x00\x7f\xff"), `"a\u003cb\u003e\u0026c\u2028\u2029\u0000` + "\x7f" + `\ufffd"`},
		{sc(formats.Int, "42"), "42"},
		{sc(formats.Int, "-7"), "-7"},
		{sc(formats.Int, "0x1F"), ""},
		{sc(formats.Int, "1.5"), ""},
		{sc(formats.Float, "1.0"), "1"},
		{sc(formats.Float, "12345678901234567890"), "12345678901234567000"},
		{sc(formats.Float, "1e21"), "1e+21"},
		{sc(formats.Float, ".5"), "0.5"},
		{sc(formats.Float, "+2.5"), "2.5"},
		{sc(formats.Float, "1e-7"), "1e-7"},
		{sc(formats.Float, "1500.0"), "1500"},
		{sc(formats.Float, "+1e-7"), "1e-7"},
		{sc(formats.Float, "+1e21"), "1e+21"},
		{sc(formats.Float, "+Inf"), ""},
		{sc(formats.Float, "-Inf"), ""},
		{sc(formats.Float, "NaN"), ""},
		{sc(formats.Float, "1e400"), ""},
		{sc(formats.Bool, "True"), "true"},
		{sc(formats.Bool, "False"), "false"},
		{sc(formats.Bool, "yes"), ""},
		{sc(formats.Time, "2024-01-01T00:00:00Z"), `"2024-01-01T00:00:00Z"`},
		{sc(formats.Null, ""), "null"},
		{&formats.Node{Kind: formats.Comment, Value: " c"}, ""},
		{&formats.Node{Kind: formats.Sequence}, "[]"},
		{&formats.Node{Kind: formats.Mapping}, "{}"},
		{&formats.Node{Kind: formats.Mapping, Children: []*formats.Node{{Kind: formats.Comment, Value: "c"}}}, "{}"},
		{&formats.Node{Kind: formats.Sequence, Children: []*formats.Node{
			{Kind: formats.Comment, Value: "c"}, sc(formats.Int, "1"), {Kind: formats.Comment, Value: "d"}}}, "[\n\t1\n]"},
		{&formats.Node{Kind: formats.Mapping, Children: []*formats.Node{
			sc(formats.Int, "1"), {Kind: formats.Comment, Value: "d"}}}, "{\n\t\"k\": 1\n}"},
		{&formats.Node{Kind: 99}, ""},
		{sc(99, ""), ""},
	} {
		got, err := New().EmitValue(tc.n, formats.EmitOptions{})
		if tc.want == "" {
			var ue *formats.UnsupportedError
			if !errors.As(err, &ue) || !errors.Is(err, formats.ErrUnsupported) {
				t.Errorf("%v %q: got %q, %v; want an UnsupportedError", tc.n.Type, tc.n.Value, got, err)
			} else {
				checkVoice(t, err)
				if len(tc.n.Value) > 3 && strings.Contains(err.Error(), tc.n.Value) {
					t.Errorf("error %q leaks the value", err)
				}
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("%v %q: got %q, %v; want %q", tc.n.Type, tc.n.Value, got, err, tc.want)
		}
	}
}

func TestEmitIndent(t *testing.T) {
	f := parse(t, []byte(`{"a": [1, {"b": []}], "c": {}}`))
	for _, tc := range []struct {
		opts formats.EmitOptions
		want string
	}{
		{formats.EmitOptions{}, "{\n\t\"a\": [\n\t\t1,\n\t\t{\n\t\t\t\"b\": []\n\t\t}\n\t],\n\t\"c\": {}\n}\n"},
		{formats.EmitOptions{Indent: -1, IndentSet: true}, "{\n\t\"a\": [\n\t\t1,\n\t\t{\n\t\t\t\"b\": []\n\t\t}\n\t],\n\t\"c\": {}\n}\n"},
		{formats.EmitOptions{Indent: 0, IndentSet: true}, "{\n\"a\": [\n1,\n{\n\"b\": []\n}\n],\n\"c\": {}\n}\n"},
		{formats.EmitOptions{Indent: 4}, "{\n\t\"a\": [\n\t\t1,\n\t\t{\n\t\t\t\"b\": []\n\t\t}\n\t],\n\t\"c\": {}\n}\n"},
		{formats.EmitOptions{Indent: 2, IndentSet: true}, "{\n  \"a\": [\n    1,\n    {\n      \"b\": []\n    }\n  ],\n  \"c\": {}\n}\n"},
	} {
		if got := string(emit(t, f, tc.opts)); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.opts, got, tc.want)
		}
		v, err := New().EmitValue(f.Docs[0].Children[0], tc.opts)
		if err != nil || bytes.HasSuffix(v, []byte("\n")) || !bytes.HasPrefix(v, []byte("[\n")) {
			t.Errorf("%+v: EmitValue gave %q, %v", tc.opts, v, err)
		}
	}
	if _, err := New().Emit(f, formats.EmitOptions{Indent: -2, IndentSet: true}); !errors.Is(err, formats.ErrUnsupported) {
		t.Errorf("indent -2: got %v", err)
	}
}

func TestEmitUnsupported(t *testing.T) {
	meta := &formats.Node{Kind: formats.Mapping, Key: "sops"}
	for name, f := range map[string]*formats.File{
		"nil":           nil,
		"no document":   {},
		"nil document":  {Docs: []*formats.Node{nil}},
		"sequence":      {Docs: []*formats.Node{{Kind: formats.Sequence}}},
		"scalar":        {Docs: []*formats.Node{formats.NewString("", "x")}},
		"sops conflict": {Docs: []*formats.Node{{Kind: formats.Mapping, Children: []*formats.Node{formats.NewString("sops", "x")}}}, Meta: meta},
		"bad value":     {Docs: []*formats.Node{{Kind: formats.Mapping, Children: []*formats.Node{{Kind: formats.Scalar, Key: "n", Type: formats.Float, Value: "NaN"}}}}},
	} {
		if out, err := New().Emit(f, formats.EmitOptions{}); !errors.Is(err, formats.ErrUnsupported) {
			t.Errorf("%s: got %q, %v; want an UnsupportedError", name, out, err)
		}
	}
	if _, err := New().EmitValue(nil, formats.EmitOptions{}); !errors.Is(err, formats.ErrUnsupported) {
		t.Errorf("nil value: got %v", err)
	}
	// Only the first document of a multi-document tree is written, as sops
	// does.
	two := &formats.File{Docs: []*formats.Node{
		{Kind: formats.Mapping, Children: []*formats.Node{formats.NewString("a", "1")}},
		{Kind: formats.Mapping, Children: []*formats.Node{formats.NewString("b", "2")}},
	}}
	if got := string(emit(t, two, formats.EmitOptions{})); got != "{\n\t\"a\": \"1\"\n}\n" {
		t.Errorf("two documents: got %q", got)
	}
}

// TestAppendString compares the string escaper with encoding/json's.
func TestAppendString(t *testing.T) {
	var all []byte
	for i := range 256 {
		all = append(all, byte(i))
	}
	for _, s := range []string{"", "plain", string(all), "\u2028\u2029", "ä✓😀", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xc3"} {
		checkString(t, s)
	}
}

func checkString(t testing.TB, s string) {
	want, err := stdjson.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendString(nil, s); !bytes.Equal(got, want) {
		t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("a<b>&\u2028\xff\x00")
	f.Fuzz(func(t *testing.T, s string) { checkString(t, s) })
}

// FuzzParse checks that accepted input emits to what parses back to an
// equal tree, that Emit is idempotent and follows the sops algorithm, and
// that rejected input fails with a typed error.
func FuzzParse(f *testing.F) {
	seeds := 0
	for _, p := range formattest.Glob(f, "testdata/*.json", interop+"/cases/*/*.json", interop+"/upstream/*.json") {
		f.Add(formattest.ReadFile(f, p))
		seeds++
	}
	if seeds == 0 {
		f.Fatal("no seeds found")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := New().Parse(data, formats.ParseOptions{Limits: formats.Limits{MaxDepth: 200}})
		if err != nil {
			var se *formats.SyntaxError
			var le *formats.LimitError
			if !errors.As(err, &se) && !errors.As(err, &le) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !stdjson.Valid(data) {
			t.Fatalf("accepted input that encoding/json rejects")
		}
		if !utf8.Valid(data) {
			t.Fatalf("accepted invalid UTF-8")
		}
		out, err := New().Emit(a, formats.EmitOptions{})
		if err != nil {
			t.Fatalf("emit: %v", err)
		}
		if want := reference(t, a, formats.EmitOptions{}); !bytes.Equal(out, want) {
			t.Fatalf("emit differs from the sops algorithm:\n%s", diff(out, want))
		}
		b, err := New().Parse(out, formats.ParseOptions{Limits: formats.Limits{MaxDepth: 200}})
		if err != nil {
			t.Fatalf("parse of emitted output: %v", err)
		}
		x, y := a.Docs[0], b.Docs[0]
		if a.Meta == nil {
			// A plaintext file writes floats as sops does (1.0 as 1).
			x, y = formattest.PlainNumbers(x.Clone()), formattest.PlainNumbers(y.Clone())
		}
		if !formats.Equal(x, y) || !formats.Equal(a.Meta, b.Meta) {
			t.Fatalf("tree changed in a round trip")
		}
		out2, err := New().Emit(b, formats.EmitOptions{})
		if err == nil && a.Meta == nil && !bytes.Equal(out, out2) {
			// -0.0 is written -0 and read back as the integer 0, once.
			if c, perr := New().Parse(out2, formats.ParseOptions{}); perr == nil {
				out, out2 = out2, nil
				out2, err = New().Emit(c, formats.EmitOptions{})
			}
		}
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("emit is not idempotent: %v", err)
		}
	})
}

// Multi-byte characters in keys and values, at every offset from the
// eight-byte groups str scans, and after escapes, are kept as they are.
func TestParseUTF8(t *testing.T) {
	for pad := 0; pad < 9; pad++ {
		p := strings.Repeat("x", pad)
		val := p + "é😀€" + p + "ü"
		in := `{"` + p + `ключ": "` + val + `", "e": "` + p + `\n😀é"}`
		doc := parse(t, []byte(in)).Docs[0]
		if len(doc.Children) != 2 {
			t.Fatalf("pad %d: %d entries", pad, len(doc.Children))
		}
		if k, v := doc.Children[0].Key, doc.Children[0].Value; k != p+"ключ" || v != val {
			t.Errorf("pad %d: %q: %q, want %q: %q", pad, k, v, p+"ключ", val)
		}
		if v := doc.Children[1].Value; v != p+"\n😀é" {
			t.Errorf("pad %d: escaped value %q, want %q", pad, v, p+"\n😀é")
		}
	}
}
