package formats_test

import (
	"errors"
	"testing"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/binary"
	"github.com/hullsecrets/hull/formats/dotenv"
	"github.com/hullsecrets/hull/formats/ini"
	"github.com/hullsecrets/hull/formats/json"
	"github.com/hullsecrets/hull/formats/yaml"
)

// TestSettle: a tree changed by code is sealed as the format will hold it
// (issue 14, items 4 and 5).
func TestSettle(t *testing.T) {
	null := func(key string) *formats.Node {
		return &formats.Node{Kind: formats.Scalar, Key: key, Type: formats.Null}
	}
	comment := func(v string) *formats.Node { return &formats.Node{Kind: formats.Comment, Value: v} }
	section := func(key string, c ...*formats.Node) *formats.Node {
		return &formats.Node{Kind: formats.Mapping, Key: key, Children: c}
	}

	// dotenv and INI: a null is written as an empty value, read back as "".
	for _, c := range []struct {
		fm  formats.Format
		doc *formats.Node
		get func(*formats.Node) *formats.Node
	}{
		{dotenv.New(), section("", formats.NewString("A", "1"), null("K")), func(d *formats.Node) *formats.Node { return d.Get("K") }},
		{ini.New(), section("", section("s", formats.NewString("a", "1"), null("K"))), func(d *formats.Node) *formats.Node { return d.Get("s").Get("K") }},
	} {
		f := &formats.File{Docs: []*formats.Node{c.doc}}
		if err := formats.Settle(c.fm, f); err != nil {
			t.Fatal(err)
		}
		if k := c.get(f.Docs[0]); k == nil || k.Type != formats.String || k.Value != "" {
			t.Errorf("%s: K = %+v, want an empty string", c.fm.Name(), k)
		}
	}

	// INI: the comments of b and of a removed x meet after b; they are
	// written as one comment and read back as one.
	f := &formats.File{Docs: []*formats.Node{section("", section("s", formats.NewString("b", "1"), comment("c1"), comment("c2")))}}
	if err := formats.Settle(ini.New(), f); err != nil {
		t.Fatal(err)
	}
	s := f.Docs[0].Get("s")
	if len(s.Children) != 2 || s.Children[1].Kind != formats.Comment || s.Children[1].Value != "c1\n; c2" {
		t.Fatalf("INI section after settling: %+v", s.Children)
	}

	// YAML: a comment left at the end of a nested block moves into the
	// innermost block, where the written file puts it.
	f = &formats.File{Docs: []*formats.Node{section("",
		section("a", &formats.Node{Kind: formats.Sequence, Key: "b", Children: []*formats.Node{formats.NewString("", "x")}}, comment(" c")))}}
	if err := formats.Settle(yaml.New(), f); err != nil {
		t.Fatal(err)
	}
	a := f.Docs[0].Get("a")
	if len(a.Children) != 1 || len(a.Get("b").Children) != 2 || a.Get("b").Children[1].Kind != formats.Comment {
		t.Fatalf("YAML after settling: a has %d children", len(a.Children))
	}

	// A tree the format cannot write is the format's error (exit 4 in the
	// CLI, before the write policy is asked: seed 7, case 1222).
	f = &formats.File{Docs: []*formats.Node{section("", section("s", section("nested")))}}
	if err := formats.Settle(dotenv.New(), f); !errors.Is(err, formats.ErrUnsupported) {
		t.Fatalf("unwritable tree: got %v, want the format's error", err)
	}
	// A value the plaintext cannot hold is left to the encrypted file
	// (seed 7, case 2077: a YAML .inf in a file sops wrote as JSON).
	f = &formats.File{Docs: []*formats.Node{section("", &formats.Node{Kind: formats.Scalar, Key: "x", Type: formats.Float, Value: "+Inf"})}}
	if err := formats.Settle(json.New(), f); err != nil {
		t.Fatalf("JSON infinity: %v", err)
	}
	f = &formats.File{Docs: []*formats.Node{section("", &formats.Node{Kind: formats.Scalar, Key: "k", Type: formats.Int, Value: "-5"})}}
	if err := formats.Settle(ini.New(), f); !errors.Is(err, formats.ErrUnsupported) {
		t.Fatalf("INI value outside a section: got %v, want the format's error", err)
	}
}

// TestFloatText: a float as sops writes it in dotenv and INI files (and in
// exec-env's environment).
func TestFloatText(t *testing.T) {
	for in, want := range map[string]string{
		"1.0": "1.0", "1e3": "1000.0", "1.5e300": "1.5E+300", "1.5e-7": "1.5E-07",
		"123456789012345678901234567890": "1.2345678901234568E+29", "2.50": "2.5",
		"+Inf": "+Inf", "-Inf": "-Inf", "NaN": "NaN", "-0.0": "-0.0", "x": "x",
	} {
		if got := formats.FloatText(in); got != want {
			t.Errorf("FloatText(%q) = %q, want %q", in, got, want)
		}
	}
}

// A binary file's data is bytes, not text: settling it after set must not
// turn the bytes that are not UTF-8 into U+FFFD (difftest seed 7, case 625).
func TestSettleKeepsBytes(t *testing.T) {
	data := "\x1e\xa4/\x1d\xf0R"
	f := &formats.File{Docs: []*formats.Node{{Kind: formats.Mapping, Children: []*formats.Node{
		formats.NewString(binary.DataKey, data),
		{Kind: formats.Scalar, Key: "new_key", Type: formats.Bool, Value: "True"},
	}}}}
	if err := formats.Settle(binary.New(), f); err != nil {
		t.Fatal(err)
	}
	if d := f.Docs[0].Get(binary.DataKey); d == nil || d.Value != data {
		t.Errorf("data = %+v, want the bytes %q", d, data)
	}
}
