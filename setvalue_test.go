package hull_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/binary"
	"github.com/hullsecrets/hull/formats/dotenv"
	"github.com/hullsecrets/hull/formats/yaml"
	"github.com/hullsecrets/hull/metadata"
)

func TestParseAndReadSetValue(t *testing.T) {
	if v, err := hull.ParseSetValue(`{"a":1}`, false); err != nil || v.Kind != formats.Mapping {
		t.Errorf("JSON: %+v, %v", v, err)
	}
	if v, err := hull.ParseSetValue(`{"a":1}`, true); err != nil || v.Value != `{"a":1}` || v.Type != formats.String {
		t.Errorf("literal: %+v, %v", v, err)
	}
	if _, err := hull.ParseSetValue("not json", false); !errors.Is(err, hull.ErrInvalidValue) || !strings.Contains(err.Error(), "--string") {
		t.Errorf("invalid JSON: %v", err)
	}
	if _, err := hull.ParseSetValue("\xff", true); !errors.Is(err, hull.ErrInvalidValue) {
		t.Errorf("invalid UTF-8: %v", err)
	}
	if b, err := hull.ReadSetValue(strings.NewReader("12345"), "stdin", 5); err != nil || string(b) != "12345" {
		t.Errorf("at the limit: %q, %v", b, err)
	}
	if _, err := hull.ReadSetValue(strings.NewReader("123456"), "stdin", 5); !errors.Is(err, formats.ErrLimit) {
		t.Errorf("over the limit: %v", err)
	}
	if p, v, ok := hull.SplitLegacySet(`["a"]["b"] {"c": "] "}`); !ok || p != `["a"]["b"]` || v != `{"c": "] "}` {
		t.Errorf("legacy: %q %q %v", p, v, ok)
	}
	if _, _, ok := hull.SplitLegacySet(`["a"]`); ok {
		t.Error("a --set without a value was split")
	}
}

func TestSetInUnsetIn(t *testing.T) {
	f, err := dotenv.New().Parse([]byte("A=1\n"), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path, _ := hull.ParseTreePath(`["B"]`)
	if changed, err := hull.SetIn(f, dotenv.New(), path, &formats.Node{Kind: formats.Scalar, Type: formats.Null}); err != nil || !changed {
		t.Fatalf("set: %v, %v", changed, err)
	}
	if n, err := hull.Lookup(f.Docs[0], path); err != nil || n.Type != formats.String || n.Value != "" {
		t.Errorf("a null in dotenv must be settled to an empty string: %+v, %v", n, err)
	}
	if err := hull.UnsetIn(f, dotenv.New(), path); err != nil {
		t.Fatal(err)
	}
	if err := hull.UnsetIn(f, dotenv.New(), path); !errors.Is(err, hull.ErrNotFound) {
		t.Errorf("unset of a missing key: %v", err)
	}
	if _, err := hull.SetIn(&formats.File{}, yaml.New(), path, &formats.Node{Kind: formats.Scalar}); !errors.Is(err, hull.ErrEmpty) {
		t.Errorf("no document: %v", err)
	}
}

func TestExtractAndBinaryRule(t *testing.T) {
	f, err := yaml.New().Parse([]byte("a:\n  b: text\n  num: 5\n"), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for spec, want := range map[string]string{`["a"]["b"]`: "text", `["a"]`: "b: text\nnum: 5\n", `["a"]["num"]`: "5"} {
		path, _ := hull.ParseTreePath(spec)
		if got, err := hull.Extract(f, path, yaml.New(), formats.EmitOptions{}); err != nil || strings.TrimSpace(string(got)) != strings.TrimSpace(want) {
			t.Errorf("%s: %q, %v; want %q", spec, got, err, want)
		}
	}
	path, _ := hull.ParseTreePath(`["x"]`)
	if _, err := hull.Extract(f, path, yaml.New(), formats.EmitOptions{}); !errors.Is(err, hull.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	rl := metadata.Rule{Kind: metadata.EncryptedRegex, Value: "^a"}
	if got, w := hull.BinaryRule(yaml.New(), rl); got != rl || w != "" {
		t.Errorf("yaml keeps its rule: %v %q", got, w)
	}
	if got, w := hull.BinaryRule(binary.New(), rl); !got.IsZero() || !strings.Contains(w, "an encrypted regex") {
		t.Errorf("binary drops it: %v %q", got, w)
	}
}
