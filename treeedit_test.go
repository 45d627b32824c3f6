package hull

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/dotenv"
	"github.com/hullsecrets/hull/formats/ini"
	"github.com/hullsecrets/hull/formats/yaml"
)

func parseYAMLDoc(t *testing.T, s string) *formats.Node {
	t.Helper()
	f, err := yaml.New().Parse([]byte(s), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return f.Docs[0]
}

func emitYAMLDoc(t *testing.T, doc *formats.Node) string {
	t.Helper()
	out, err := yaml.New().Emit(&formats.File{Docs: []*formats.Node{doc}}, formats.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func mustPath(t *testing.T, s string) []PathStep {
	t.Helper()
	p, err := ParseTreePath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustJSON(t *testing.T, s string) *formats.Node {
	t.Helper()
	v, err := ParseJSONValue(s)
	if err != nil {
		t.Fatalf("ParseJSONValue(%q): %v", s, err)
	}
	return v
}

const editDoc = `# head
a: 1 # inline
m:
    k: v
list:
    - x
    # between
    - "y"
s: scalar
`

func TestSet(t *testing.T) {
	for _, tc := range []struct {
		name, path, value string
		changed           bool
		want              string
	}{
		{"replace keeps position and comments", `["a"]`, `"new"`, true,
			"# head\na: new # inline\nm:\n    k: v\nlist:\n    - x\n    # between\n    - \"y\"\ns: scalar\n"},
		{"same value", `["a"]`, `1`, false, editDoc},
		// The float 1.0 replaces the int 1; a plaintext file writes it as
		// sops does (1).
		{"same float literal differs", `["a"]`, `1.0`, true, editDoc},
		{"same mapping", `["m"]`, `{"k":"v"}`, false, editDoc},
		{"new key appended", `["z"]`, `true`, true, editDoc + "z: true\n"},
		{"nested creation", `["q"]["o"]["p"]`, `null`, true, editDoc + "q:\n    o:\n        p: null\n"},
		{"nested in existing", `["m"]["new"]`, `2`, true,
			"# head\na: 1 # inline\nm:\n    k: v\n    new: 2\nlist:\n    - x\n    # between\n    - \"y\"\ns: scalar\n"},
		{"list index skips comments", `["list"][1]`, `"Y"`, true,
			"# head\na: 1 # inline\nm:\n    k: v\nlist:\n    - x\n    # between\n    - \"Y\"\ns: scalar\n"},
		{"list append not padded", `["list"][9]`, `[1,{"b":2}]`, true,
			"# head\na: 1 # inline\nm:\n    k: v\nlist:\n    - x\n    # between\n    - \"y\"\n    - - 1\n      - b: 2\ns: scalar\n"},
		{"new list", `["l2"][3]["k"]`, `"v"`, true, editDoc + "l2:\n    - k: v\n"},
		{"scalar in the way", `["s"]["t"]`, `"u"`, true,
			"# head\na: 1 # inline\nm:\n    k: v\nlist:\n    - x\n    # between\n    - \"y\"\ns:\n    t: u\n"},
		{"scalar in the way, index", `["s"][0]`, `"u"`, true,
			"# head\na: 1 # inline\nm:\n    k: v\nlist:\n    - x\n    # between\n    - \"y\"\ns:\n    - u\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := parseYAMLDoc(t, editDoc)
			value := mustJSON(t, tc.value)
			keep := value.Clone()
			changed, err := Set(doc, mustPath(t, tc.path), value)
			if err != nil {
				t.Fatal(err)
			}
			if changed != tc.changed {
				t.Errorf("changed = %v, want %v", changed, tc.changed)
			}
			if got := emitYAMLDoc(t, doc); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			if !formats.Equal(value, keep) {
				t.Errorf("Set modified its value argument")
			}
		})
	}
}

func TestSetDoesNotShareValue(t *testing.T) {
	doc := parseYAMLDoc(t, "a: 1\n")
	v := mustJSON(t, `{"k": "v"}`)
	if _, err := Set(doc, mustPath(t, `["b"]`), v); err != nil {
		t.Fatal(err)
	}
	v.Children[0].Value = "changed"
	if got := doc.Get("b").Get("k").Value; got != "v" {
		t.Errorf("the tree shares the value: %q", got)
	}
}

func TestSetErrors(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		want       error
	}{
		{"key in a list", `["list"]["k"]`, ErrPathConflict},
		{"index in a mapping", `["m"][0]`, ErrPathConflict},
		{"index at the top", `[0]`, ErrPathConflict},
		{"key in a nested list", `["list"][0]["k"]["j"]`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := parseYAMLDoc(t, editDoc)
			before := doc.Clone()
			_, err := Set(doc, mustPath(t, tc.path), mustJSON(t, "1"))
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !formats.Equal(doc, before) {
				t.Errorf("the tree changed on error")
			}
		})
	}
	doc := parseYAMLDoc(t, editDoc)
	if _, err := Set(doc, nil, mustJSON(t, "1")); !errors.Is(err, ErrTreePath) {
		t.Errorf("empty path: %v", err)
	}
	if _, err := Set(doc, mustPath(t, `["a"]`), nil); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("nil value: %v", err)
	}
	if _, err := Set(doc, mustPath(t, `["a"]`), &formats.Node{Kind: formats.Comment}); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("comment value: %v", err)
	}
}

func TestUnset(t *testing.T) {
	for _, tc := range []struct {
		name, path, want string
	}{
		{"key with its inline comment", `["a"]`,
			"# head\nm:\n    k: v\nlist:\n    - x\n    # between\n    - \"y\"\ns: scalar\n"},
		{"mapping", `["m"]`,
			"# head\na: 1 # inline\nlist:\n    - x\n    # between\n    - \"y\"\ns: scalar\n"},
		{"nested key", `["m"]["k"]`,
			"# head\na: 1 # inline\nm: {}\nlist:\n    - x\n    # between\n    - \"y\"\ns: scalar\n"},
		{"list element after a comment", `["list"][1]`,
			"# head\na: 1 # inline\nm:\n    k: v\nlist:\n    - x\n    # between\ns: scalar\n"},
		{"first list element", `["list"][0]`,
			"# head\na: 1 # inline\nm:\n    k: v\nlist:\n    # between\n    - \"y\"\ns: scalar\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := parseYAMLDoc(t, editDoc)
			changed, err := Unset(doc, mustPath(t, tc.path))
			if err != nil || !changed {
				t.Fatalf("changed %v, err %v", changed, err)
			}
			if got := emitYAMLDoc(t, doc); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
	for _, p := range []string{`["nope"]`, `["m"]["nope"]`, `["list"][2]`, `["list"]["k"]`, `["m"][0]`, `["s"]["t"]`, `["nope"]["deeper"]`, `[0]`} {
		doc := parseYAMLDoc(t, editDoc)
		changed, err := Unset(doc, mustPath(t, p))
		if !errors.Is(err, ErrNotFound) || changed {
			t.Errorf("Unset %s: changed %v, err %v; want ErrNotFound", p, changed, err)
		}
		if got := emitYAMLDoc(t, doc); got != editDoc {
			t.Errorf("Unset %s changed the tree", p)
		}
	}
}

func TestParseJSONValue(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind formats.Kind
		typ  formats.Type
		val  string
	}{
		{`5`, formats.Scalar, formats.Int, "5"},
		{` -7 `, formats.Scalar, formats.Int, "-7"},
		{`1.50`, formats.Scalar, formats.Float, "1.50"},
		{`1e3`, formats.Scalar, formats.Float, "1e3"},
		{`12345678901234567890`, formats.Scalar, formats.Float, "12345678901234567890"},
		{`true`, formats.Scalar, formats.Bool, "True"},
		{`false`, formats.Scalar, formats.Bool, "False"},
		{`null`, formats.Scalar, formats.Null, ""},
		{`"a\nb\u00e9"`, formats.Scalar, formats.String, "a\nb\u00e9"},
		{"\"x\"\n", formats.Scalar, formats.String, "x"},
		{"\ufeff\"bom\"", formats.Scalar, formats.String, "bom"},
		{`[1, "a"]`, formats.Sequence, formats.Null, ""},
		{`{}`, formats.Mapping, formats.Null, ""},
	} {
		v, err := ParseJSONValue(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if v.Kind != tc.kind || v.Type != tc.typ || v.Value != tc.val || v.Key != "" || v.Line != 0 {
			t.Errorf("%q: got %+v", tc.in, *v)
		}
	}
	obj := mustJSON(t, "{\"z\": 1,\n \"a\": {\"n\": [2]}}")
	if len(obj.Children) != 2 || obj.Children[0].Key != "z" || obj.Children[1].Key != "a" {
		t.Errorf("object order not kept: %+v", obj.Children)
	}
	if obj.Children[1].Line != 0 || obj.Children[1].Children[0].Children[0].Type != formats.Int {
		t.Errorf("nested: %+v", *obj.Children[1])
	}
	for _, in := range []string{``, ` `, `hunter2`, `'x'`, `"x`, `1 2`, `1, "v": 2`, `1, "w": 2`, `1}`, `{"a":1,"a":2}`, `[1,]`, `01`, `NaN`, "\"\x01\"", "\"\xff\""} {
		_, err := ParseJSONValue(in)
		if !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%q: err = %v, want ErrInvalidValue", in, err)
		}
		if err != nil && in == "hunter2" && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("the error echoes the value: %v", err)
		}
	}
}

func ExampleSet() {
	f, _ := yaml.New().Parse([]byte("db:\n    user: app\n"), formats.ParseOptions{})
	path, _ := ParseTreePath(`["db"]["port"]`)
	value, _ := ParseJSONValue(`5432`)
	changed, _ := Set(f.Docs[0], path, value)
	out, _ := yaml.New().Emit(f, formats.EmitOptions{})
	fmt.Printf("changed: %v\n%s", changed, out)
	// Output:
	// changed: true
	// db:
	//     user: app
	//     port: 5432
}

func TestUnsetInlineCommentInList(t *testing.T) {
	doc := parseYAMLDoc(t, "list:\n    - x # about x\n    - y # about y\n")
	if _, err := Unset(doc, mustPath(t, `["list"][0]`)); err != nil {
		t.Fatal(err)
	}
	if got, want := emitYAMLDoc(t, doc), "list:\n    - \"y\" # about y\n"; got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestEditExplicitDefault: in an INI document with an explicit [DEFAULT]
// besides the implicit one, a path reaches the section that holds its key
// (issue 14, item 6); a new key goes to the first.
func TestEditExplicitDefault(t *testing.T) {
	f, err := ini.New().Parse([]byte("top = 0\n\n[DEFAULT]\na = 1\n"), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	doc := f.Docs[0]
	if n, err := Lookup(doc, mustPath(t, `["DEFAULT"]["a"]`)); err != nil || n.Value != "1" {
		t.Fatalf("lookup: %v %v", n, err)
	}
	if _, err := Set(doc, mustPath(t, `["DEFAULT"]["a"]`), mustJSON(t, `"x"`)); err != nil {
		t.Fatal(err)
	}
	if _, err := Set(doc, mustPath(t, `["DEFAULT"]["new"]`), mustJSON(t, `"y"`)); err != nil {
		t.Fatal(err)
	}
	if _, err := Unset(doc, mustPath(t, `["DEFAULT"]["top"]`)); err != nil {
		t.Fatal(err)
	}
	out, err := ini.New().Emit(f, formats.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "new = y\n\n[DEFAULT]\na = x\n"; string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

// A number set alone in a dotenv or INI file is written as sops writes the
// float it makes of it (F4 in docs/difftest-findings.md); an integer a
// float64 cannot hold exactly is kept as written, and other formats keep
// the integer.
func TestSetValueForFlatFormats(t *testing.T) {
	for _, tt := range []struct {
		format, value, want string
	}{
		{"dotenv", "-5", "A=-5.0\n"},
		{"dotenv", "0", "A=0.0\n"},
		{"dotenv", "1.5", "A=1.5\n"},
		{"dotenv", "9007199254740992", "A=9.007199254740992E+15\n"},
		{"dotenv", "9007199254740993", "A=9007199254740993\n"},
		{"dotenv", `"5"`, "A=5\n"},
		{"ini", "5", "[s]\nA = 5.0\n"},
		{"ini", "true", "[s]\nA = true\n"},
	} {
		v, err := ParseJSONValue(tt.value)
		if err != nil {
			t.Fatal(err)
		}
		var f *formats.File
		path := []PathStep{{IsKey: true, Key: "A"}}
		var format formats.Format
		if tt.format == "ini" {
			format = ini.New()
			f, err = format.Parse([]byte("[s]\nA = x\n"), formats.ParseOptions{})
			path = append([]PathStep{{IsKey: true, Key: "s"}}, path...)
		} else {
			format = dotenv.New()
			f, err = format.Parse([]byte("A=x\n"), formats.ParseOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Set(f.Docs[0], path, SetValueFor(format.Name(), v)); err != nil {
			t.Fatal(err)
		}
		out, err := format.Emit(f, formats.EmitOptions{})
		if err != nil || string(out) != tt.want {
			t.Errorf("%s set %s: got %q, %v; want %q", tt.format, tt.value, out, err, tt.want)
		}
	}
	for _, format := range []string{"yaml", "json"} {
		v, _ := ParseJSONValue("-5")
		if got := SetValueFor(format, v); got.Type != formats.Int || got.Value != "-5" {
			t.Errorf("%s: got %v %q, want the integer -5", format, got.Type, got.Value)
		}
	}
}
