package sopsenv

import (
	"errors"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/binary"
	"github.com/hullsecrets/hull/formats/json"
	"github.com/hullsecrets/hull/formats/yaml"
)

func TestParseEncrypted(t *testing.T) {
	for _, c := range []struct {
		name     string
		fm       formats.Format
		data     string
		sentence string
	}{
		{"no version", yaml.New(), "a: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops:\n    lastmodified: \"2024-01-01T00:00:00Z\"\n" +
			"    mac: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n    age:\n        - recipient: " + testAge + "\n          enc: x\n", "Version string empty"},
		{"broken json", json.New(), `{"a": `, "Could not unmarshal input data"},
		{"broken yaml", yaml.New(), "a: [\n", "Error unmarshaling input YAML"},
	} {
		_, err := ParseEncrypted(c.fm, []byte(c.data), "f")
		if s, _ := Sentence(err); !errors.Is(err, ErrUnreadable) || s != c.sentence || !strings.HasPrefix(err.Error(), "f: ") {
			t.Errorf("%s: %v (sentence %q)", c.name, err, s)
		}
	}
	// A duplicate key and a file that is not encrypted are other errors.
	if _, err := ParseEncrypted(json.New(), []byte(`{"a": 1, "a": 2}`), "f"); err == nil || errors.Is(err, ErrUnreadable) {
		t.Errorf("duplicate key: %v", err)
	}
	if _, err := ParseEncrypted(yaml.New(), []byte("a: 1\n"), "f"); !errors.Is(err, hull.ErrNotEncrypted) || errors.Is(err, ErrUnreadable) {
		t.Errorf("not encrypted: %v", err)
	}
}

func TestDump(t *testing.T) {
	f, err := yaml.New().Parse([]byte("a:\n  b: 1\ns: text\n"), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := func(s string) []hull.PathStep {
		p, err := hull.ParseTreePath(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if out, err := Dump(f, nil, json.New(), formats.EmitOptions{}, "f", false); err != nil || !strings.Contains(string(out), `"b": 1`) {
		t.Errorf("the whole file: %q, %v", out, err)
	}
	if out, err := Dump(f, path(`["s"]`), yaml.New(), formats.EmitOptions{}, "f", false); err != nil || string(out) != "text" {
		t.Errorf("a string: %q, %v", out, err)
	}
	_, err = Dump(f, path(`["x"]`), yaml.New(), formats.EmitOptions{}, "f", false)
	if s, _ := Sentence(err); s != "error truncating tree" || !errors.Is(err, hull.ErrNotFound) || !strings.HasPrefix(err.Error(), "f: ") {
		t.Errorf("not there: %v (%q)", err, s)
	}
	// A structured file read as binary: the input's type is the fix, and
	// the error still matches the class of the failure.
	_, err = Dump(f, nil, binary.New(), formats.EmitOptions{}, "f", true)
	if s, _ := Sentence(err); s != "Error dumping file" || !strings.Contains(err.Error(), "give --input-type") || !errors.Is(err, formats.ErrUnsupported) {
		t.Errorf("guessed binary: %v (%q)", err, s)
	}
	_, err = Dump(f, nil, binary.New(), formats.EmitOptions{}, "f", false)
	if s, _ := Sentence(err); s != "Error dumping file" || strings.Contains(err.Error(), "give --input-type") {
		t.Errorf("binary: %v (%q)", err, s)
	}
}

func TestIndent(t *testing.T) {
	for _, c := range []struct {
		s, out string
		want   formats.EmitOptions
		err    string
	}{
		{"", "yaml", formats.EmitOptions{}, ""},
		{"4", "yaml", formats.EmitOptions{Indent: 4, IndentSet: true}, ""},
		{"-1", "json", formats.EmitOptions{Indent: -1, IndentSet: true}, ""},
		{"-1", "yaml", formats.EmitOptions{}, "--indent -1 is out of range"},
		{"-2", "json", formats.EmitOptions{}, "--indent -2 is out of range"},
		{"x", "json", formats.EmitOptions{}, `--indent "x" is not a number`},
	} {
		got, err := Indent(c.s, c.out)
		if got != c.want || (err == nil) != (c.err == "") || err != nil && err.Error() != c.err {
			t.Errorf("Indent(%q, %q) = %+v, %v", c.s, c.out, got, err)
		}
	}
}
