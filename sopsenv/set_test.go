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
