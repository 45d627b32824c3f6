package yaml

import (
	"strings"
	"testing"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/formattest"
)

// TestLeadingLineBreaks: keys and values that begin with a line break or a
// space read back unchanged (issue 14, item 15: gopkg.in/yaml.v3 dropped the
// first line break of a literal block; go.yaml.in/yaml/v3 v3.0.4, which sops
// 3.13 uses, keeps it), and in a list, where the literal block's
// indentation indicator does not read back, they are double-quoted (sops
// writes a file no YAML reader parses).
func TestLeadingLineBreaks(t *testing.T) {
	in := "\"\\nk\": 1\n\"\\n\\nk2\": a\na: \"\\nfoo\"\nl:\n  - \"\\nin list\"\n  - \" x\\ny\"\n  - - \"\\nnested\"\n  - m: \"\\nin map\"\n"
	f, err := New().Parse([]byte(in), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := f.Docs[0]
	for _, k := range []string{"\nk", "\n\nk2", "a"} {
		if d.Get(k) == nil {
			t.Fatalf("key %q not read", k)
		}
	}
	for _, direct := range []bool{true, false} {
		var out []byte
		if direct {
			out, err = emitDirect(f, formats.EmitOptions{})
		} else {
			out, err = emitV3(f, formats.EmitOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"? |4-\n\n    k\n: 1\n", "a: |4-\n\n    foo\n", "    - \"\\nin list\"\n", "    - \" x\\ny\"\n", "    - - \"\\nnested\"\n", "    - m: \"\\nin map\"\n"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("direct=%v: output lacks %q:\n%s", direct, want, out)
			}
		}
		back, err := New().Parse(out, formats.ParseOptions{})
		if err != nil {
			t.Fatalf("direct=%v: output does not parse: %v\n%s", direct, err, out)
		}
		if !formats.Equal(formattest.StripLines(d), formattest.StripLines(back.Docs[0])) {
			t.Errorf("direct=%v: does not read back:\n%s", direct, out)
		}
	}
}

// TestTabAndLineBreak: a multi-line string that yaml.v3 will not write as a
// literal block ("\tx\ny") is double-quoted (issue 14, item 8; sops writes
// null in its place).
func TestTabAndLineBreak(t *testing.T) {
	f := &formats.File{Docs: []*formats.Node{{Kind: formats.Mapping, Children: []*formats.Node{
		formats.NewString("a", "\tx\ny"),
		{Kind: formats.Sequence, Key: "l", Children: []*formats.Node{formats.NewString("", "\tx\ny")}},
	}}}}
	for _, direct := range []bool{true, false} {
		var out []byte
		var err error
		if direct {
			out, err = emitDirect(f, formats.EmitOptions{})
		} else {
			out, err = emitV3(f, formats.EmitOptions{})
		}
		if err != nil {
			t.Fatalf("direct=%v: %v", direct, err)
		}
		if want := "a: \"\\tx\\ny\"\nl:\n    - \"\\tx\\ny\"\n"; string(out) != want {
			t.Errorf("direct=%v: got %q, want %q", direct, out, want)
		}
	}
}
