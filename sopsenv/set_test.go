package sopsenv

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/yaml"
)

func TestSetSource(t *testing.T) {
	dir := t.TempDir()
	vf := filepath.Join(dir, "v")
	if err := os.WriteFile(vf, []byte(`{"a":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if v, err := (SetSource{Arg: `"x"`}).Value(); err != nil || v.Value != "x" {
		t.Errorf("the argument: %v, %v", v, err)
	}
	if v, err := (SetSource{Arg: vf, FromFile: true, Limit: 100}).Value(); err != nil || v.Kind != formats.Mapping {
		t.Errorf("the value file: %v, %v", v, err)
	}
	if v, err := (SetSource{Stdin: strings.NewReader("{not json"), Literal: true, Limit: 100}).Value(); err != nil || v.Value != "{not json" {
		t.Errorf("stdin, literal: %v, %v", v, err)
	}
	_, err := (SetSource{Arg: filepath.Join(dir, "missing"), FromFile: true, Limit: 100}).Value()
	if !errors.Is(err, ErrReadValue) || err.Error() != "cannot read the value file "+filepath.Join(dir, "missing")+": no such file or directory" {
		t.Errorf("a missing value file: %v", err)
	}
	var le *formats.LimitError
	if _, err := (SetSource{Arg: vf, FromFile: true, Limit: 3}).Value(); !errors.As(err, &le) || errors.Is(err, ErrReadValue) {
		t.Errorf("too large: %v", err)
	}
	_, err = (SetSource{Arg: "{not json"}).Value()
	if s, _ := Sentence(err); s != "Value for --set is not valid JSON" || !errors.Is(err, hull.ErrInvalidValue) {
		t.Errorf("invalid JSON: %v (%q)", err, s)
	}
}

func TestUnset(t *testing.T) {
	parse := func() *formats.File {
		f, err := yaml.New().Parse([]byte("a: 1\nl: [1]\n"), formats.ParseOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	path := func(s string) []hull.PathStep {
		p, err := hull.ParseTreePath(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	f := parse()
	if changed, err := Unset(f, yaml.New(), path(`["a"]`), "f", `["a"]`, false); err != nil || !changed || f.Docs[0].Get("a") != nil {
		t.Errorf("a key: %v, %v", changed, err)
	}
	if changed, err := Unset(parse(), yaml.New(), path(`["x"]`), "f", `["x"]`, true); err != nil || changed {
		t.Errorf("idempotent: %v, %v", changed, err)
	}
	for spec, sentence := range map[string]string{`["x"]`: "Key not found", `["l"][3]`: "Index 3 out of bounds"} {
		_, err := Unset(parse(), yaml.New(), path(spec), "f", spec, false)
		if s, _ := Sentence(err); s != sentence || !errors.Is(err, hull.ErrNotFound) || !strings.HasPrefix(err.Error(), "f: cannot unset "+spec+": ") {
			t.Errorf("%s: %v (%q)", spec, err, s)
		}
	}
}

func TestSetSourceArgs(t *testing.T) {
	stdin := strings.NewReader("1")
	for _, c := range []struct {
		args       []string
		src        SetSource
		file, path string
		arg        string
		err        string // "" for none
		usage      bool   // the error matches ErrSetArgs
	}{
		{args: []string{"f", "p", "v"}, file: "f", path: "p", arg: "v"},
		{args: []string{"f", "p", "--", "-5"}, file: "f", path: "p", arg: "-5"},
		{args: []string{"f", "p"}, src: SetSource{Stdin: stdin}, file: "f", path: "p"},
		{args: []string{"f", "p", "v"}, src: SetSource{Stdin: stdin}, err: "--value-stdin reads the value from stdin: give FILE and PATH only; got 3 arguments", usage: true},
		{args: []string{"f"}, err: "usage: hull set FILE PATH VALUE (or FILE PATH --value-file VALUEFILE, or FILE PATH --value-stdin); got 1 arguments", usage: true},
		{args: []string{"f", "p"}, src: SetSource{Stdin: stdin, FromFile: true}, err: "--value-file and --value-stdin cannot be used together"},
	} {
		src := c.src
		file, path, err := src.Args(c.args)
		if file != c.file || path != c.path || src.Arg != c.arg || (err == nil) != (c.err == "") || err != nil && (err.Error() != c.err || errors.Is(err, ErrSetArgs) != c.usage) {
			t.Errorf("%q: %q %q %q, %v", c.args, file, path, src.Arg, err)
		}
	}
}
