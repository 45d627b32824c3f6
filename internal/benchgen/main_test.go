package main

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"go.yaml.in/yaml/v3"
)

// countLeaves counts the scalar values in a decoded YAML or JSON document.
func countLeaves(v any) int {
	switch v := v.(type) {
	case map[string]any:
		n := 0
		for _, x := range v {
			n += countLeaves(x)
		}
		return n
	case []any:
		n := 0
		for _, x := range v {
			n += countLeaves(x)
		}
		return n
	default:
		return 1
	}
}

func checkShape(t *testing.T, name string) {
	t.Helper()
	s := shapes[name]
	var out bytes.Buffer
	if err := generate(&out, name, s); err != nil {
		t.Fatal(err)
	}
	var doc any
	var err error
	if s.json {
		err = json.Unmarshal(out.Bytes(), &doc)
	} else {
		err = yaml.Unmarshal(out.Bytes(), &doc)
	}
	if err != nil {
		t.Fatalf("%s does not parse: %v", name, err)
	}
	if got := countLeaves(doc); got != s.values {
		t.Errorf("%s has %d values, want %d", name, got, s.values)
	}
	var again bytes.Buffer
	if err := generate(&again, name, s); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), again.Bytes()) {
		t.Errorf("%s is not deterministic", name)
	}
	t.Logf("%s: %d values, %d bytes", name, s.values, out.Len())
}

func TestSmallShapes(t *testing.T) {
	checkShape(t, "yaml-10")
	checkShape(t, "yaml-10k")
}

func TestBigShapes(t *testing.T) {
	if os.Getenv("HULL_BENCHGEN_BIG") == "" {
		// 25 MB generated and parsed: minutes under the race detector in
		// make test; make bench exercises these shapes anyway.
		t.Skip("generates and parses 25 MB; set HULL_BENCHGEN_BIG=1 to run")
	}
	checkShape(t, "yaml-500k")
	checkShape(t, "json-500k")
}

func TestUnknownShape(t *testing.T) {
	if err := run("nope", ""); err == nil {
		t.Error("unknown shape accepted")
	}
}
