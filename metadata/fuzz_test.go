package metadata_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/all"
	"github.com/hullsecrets/hull/formats/yaml"
	"github.com/hullsecrets/hull/metadata"
)

// fuzzLimits keep each fuzz input cheap.
var fuzzLimits = formats.Limits{MaxBytes: 1 << 16, MaxDepth: 64, MaxNodes: 20000}

// yamlSeeds returns YAML texts holding a sops block: the YAML fixtures as
// they are (old layouts included), and the metadata of every other fixture
// written as YAML.
func yamlSeeds(t testing.TB) [][]byte {
	paths, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, interopFiles(t)...)
	var seeds [][]byte
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			continue // testdata/fuzz
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, ".yaml") {
			seeds = append(seeds, data)
			continue
		}
		f, _ := all.Registry().ForPath(p, "binary")
		file, err := f.Parse(data, encOpts)
		if err != nil || file.Meta == nil {
			t.Fatalf("%s: no metadata (%v)", p, err)
		}
		out, err := yaml.New().Emit(&formats.File{Docs: []*formats.Node{formats.NewMapping()}, Meta: file.Meta}, formats.EmitOptions{})
		if err != nil {
			t.Fatalf("%s: writing the metadata as YAML: %v", p, err)
		}
		seeds = append(seeds, out)
	}
	return seeds
}

func TestYAMLSeeds(t *testing.T) {
	seeds := yamlSeeds(t)
	for _, s := range seeds {
		if _, err := loadYAML(t, string(s)); err != nil {
			t.Errorf("seed does not load: %v\n%s", err, s)
		}
	}
}

func FuzzLoad(f *testing.F) {
	seeds := yamlSeeds(f)
	if len(seeds) == 0 {
		f.Fatal("no seeds found")
	}
	for _, s := range seeds {
		f.Add(s)
	}
	for _, s := range []string{
		validHead + "    shamir_threshold: \"2\"\n    mac_only_encrypted: \"true\"\n",
		validHead + "    encrypted_regex: '(('\n",
		validHead + "    x_hull_a: {b: [1, 2.5, true, null]}\n",
		"sops:\n    key_groups:\n        - {}\n        - age: null\n          pgp: [{fp: 1, enc: E, created_at: 2024-01-02T03:04:05Z}]\n" + lm,
		"sops: []\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		file, err := yaml.New().Parse(text, formats.ParseOptions{Encrypted: true, Limits: fuzzLimits})
		if err != nil {
			return
		}
		in := file.Meta.Clone()
		m, err := metadata.Load(file.Meta)
		if !formats.Equal(in, file.Meta) {
			t.Fatalf("Load changed its input")
		}
		if err != nil {
			if file.Meta == nil {
				if !errors.Is(err, metadata.ErrNoMetadata) {
					t.Fatalf("Load(nil) = %v", err)
				}
			} else if !errors.Is(err, metadata.ErrInvalid) {
				t.Fatalf("Load error %q does not wrap ErrInvalid", err)
			}
			return
		}
		n1 := m.Node()
		m2, err := metadata.Load(n1)
		if err != nil {
			t.Fatalf("Load(m.Node()): %v", err)
		}
		if !formats.Equal(n1, m.Node()) {
			t.Fatalf("Node() is not deterministic")
		}
		if n2 := m2.Node(); !formats.Equal(n1, n2) {
			t.Fatalf("Load(m.Node()).Node() differs from m.Node()")
		}
	})
}
