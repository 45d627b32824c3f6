package yaml

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hullsecrets/hull/formats"
)

// directAgrees checks that the direct parser either gives up on data or
// builds exactly what the yaml.v3 path builds (comments, types and Line
// numbers included). It reports whether the direct parser handled data.
func directAgrees(t *testing.T, data []byte) bool {
	t.Helper()
	if !utf8.Valid(data) {
		return false // Parse rejects it before either parser runs
	}
	lim := formats.Limits{}.WithDefaults()
	// Borrowing a copy: the tree then points into it (TestBorrow), which
	// must change nothing.
	got, ok := parseDirect(append([]byte(nil), data...), lim, true)
	if !ok {
		return false
	}
	want, err := parseV3(data, lim)
	if err != nil {
		t.Fatalf("the direct parser accepted input that yaml.v3 rejects (%v):\n%q", err, data)
	}
	if g, w := dumpFile(got), dumpFile(want); g != w {
		t.Fatalf("the direct parser differs from yaml.v3 on\n%q\ndirect:\n%s\nyaml.v3:\n%s", data, g, w)
	}
	return true
}

// dumpFile is a full textual form of a File, Line numbers included.
func dumpFile(f *formats.File) string {
	var b strings.Builder
	fmt.Fprintf(&b, "warnings=%q\n", f.Warnings)
	var dump func(n *formats.Node, ind string)
	dump = func(n *formats.Node, ind string) {
		if n == nil {
			b.WriteString(ind + "nil\n")
			return
		}
		fmt.Fprintf(&b, "%s%v key=%q type=%v value=%q inline=%v line=%d\n", ind, n.Kind, n.Key, n.Type, n.Value, n.Inline, n.Line)
		for _, c := range n.Children {
			dump(c, ind+"  ")
		}
	}
	b.WriteString("meta:\n")
	dump(f.Meta, "  ")
	for i, d := range f.Docs {
		fmt.Fprintf(&b, "doc %d:\n", i)
		dump(d, "  ")
	}
	return b.String()
}

// repoYAML returns every YAML file in the repository's testdata and
// examples.
func repoYAML(t testing.TB) map[string][]byte {
	files := map[string][]byte{}
	for _, root := range []string{"../../testdata", "testdata", "../../examples", "../testdata"} {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if ext := filepath.Ext(path); ext == ".yaml" || ext == ".yml" {
				if data, err := os.ReadFile(path); err == nil {
					files[path] = data
				}
			}
			return nil
		})
	}
	return files
}

var directSeeds = []string{
	"a: 1\n",
	"\n\na:\nb: 1\n",
	"# top\na: 1\n",
	"# top\n\na: 1\n",
	"a:\n  b: 1\n# c\nd: 2\n",
	"a:\n  b: 1\n\n# c\nd: 2\n",
	"a: 1\n# c\n\nd: 2\n",
	"a: 1\n# c\nd: 2\n",
	"a: 1 # x\nb: # y\n  c: 2\n",
	"a: # y\n  - 1\n",
	"a:\n- 1 # i\n- x: 1\n  y: 2\n",
	"a:\n  # h\n  - x: 1\n    y: 2\n  # h2\n  - z\n",
	"a: 1\n# end\n",
	"---\na: 1\n---\nb: 2\n",
	"---\n# c\na: 1\n",
	"a:\n  # h\n  b: 1\n",
	"a:\n  - 1\n  # h\n  - 2\n",
	"a: {}\nb: []\nc:\n  - {}\n  - []\n",
	"a: 'it''s' # q\nb: \"x\\ty\\u00e9\\x41\\U0001F600\" \nc: ''\nd: \"\"\n",
	"a: |\n  line one\n  line two\nb: |-\n  x\n\n  y\nc: |+\n  k\n\n\nd: >\n  f1\n  f2\n\n  f3\ne: >-\n  g\n",
	"a: |\n\n  x\n",
	"a:\n  - |\n    x\n  - y\n",
	"n: null\nt: true\nf: False\ni: 0x1F\nj: 1_000\nfl: 1.50\ninf: .inf\nts: 2001-12-14\nts2: 2001-12-14t21:59:43.10-05:00\nbig: 123456789012345678901234567890\ns: 12:30\no: 0o17\nb: 0b101\ntilde: ~\nyes: yes\nmerge: <<\n",
	"'quoted key': 1\n\"dq\": 2\n~: 3\nnull: 4\n1: 5\n",
	"a: b:c\nu: http://x.y/z#frag\nh: a #b\nd: -1\nq: ?x\nk: a - b\n",
	"sops:\n    kms: []\n    age:\n        - recipient: age1xyz\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            abc\n            -----END AGE ENCRYPTED FILE-----\n    lastmodified: \"2024-01-01T00:00:00Z\"\n    mac: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n    version: 3.9.0\n",
	"a: x\n  y\n",
	"a: &x 1\nb: *x\n",
	"a: !!str 1\n",
	"a: [1, 2]\n",
	"a: 1\na: 2\n",
	"a:\tb\n",
	"a: 1\r\n",
	"a: 'x\n  y'\n",
	"- a\n",
	"a: |\n  x",
	"a: |\n  x\n   \n",
	"a: 1   \n# c  \nb: 2\n",
	"a:\n  b:\n    c:\n      - d: 1\n        e:\n          - 1\n          - 2\n",
	"a: b\n...\n",
	"%YAML 1.2\n---\na: 1\n",
	"? a\n: 1\n",
	"a: - b\n",
	"a: b: c\n",
	"key: ENC[AES256_GCM,data:dmFs,iv:aXZ,tag:dGF,type:str]\n",
	"a:\n    b: 1\n  c: 2\n",
	"a:\n  b: 1\n c: 2\n",
	"a: 1\n---\n",
	"a: \"x\\\n  y\"\n",
	"a: >\n  x\n    y\n  z\n",
	"a:\n\n\n  b: 1\n\n\nc: 2\n",
	"a: |\n  x\n# c\nb: 1\n",
	"a: |\n  x\n\n# c\nb: 1\n",
	"a:\n  - 1\n  - 2\nb: 3\n",
	"a:\n- 1\n- 2\nb: 3\n",
	"--- \na: 1\n",
	"# c\n---\na: 1\n",
	"a: 1\n  # c\nb: 2\n",
	"a:\n- b: 1\n  # c\n  d: 2\n",
	"a:\n- - 1\n",
	"é: ü\n東京: 値\n",
	"a: 'x' #c\n",
	"a: 'x'#c\n",
	"a: \"\\N\\_\\L\\P\\e\\0\\'\\ \"\n",
}

func TestDirectParseSeeds(t *testing.T) {
	handled := 0
	for i, s := range directSeeds {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if directAgrees(t, []byte(s)) {
				handled++
			}
		})
	}
	t.Logf("direct parser handled %d of %d seeds", handled, len(directSeeds))
}

// TestDirectParseDifferential runs both parsers over every YAML file in
// the repository, and over the benchmark shapes.
func TestDirectParseDifferential(t *testing.T) {
	files := repoYAML(t)
	if len(files) < 10 {
		t.Fatalf("only %d YAML files found", len(files))
	}
	handled := 0
	var missed []string
	for path, data := range files {
		t.Run(path, func(t *testing.T) {
			if directAgrees(t, data) {
				handled++
			} else {
				missed = append(missed, path)
			}
		})
	}
	for _, data := range [][]byte{bigYAMLCommented()[:200_000], bigYAML()[:100_000]} {
		if !directAgrees(t, data) {
			t.Error("the direct parser gives up on a benchmark shape")
		}
	}
	t.Logf("direct parser handled %d of %d files; left to yaml.v3: %v", handled, len(files), missed)
}

func FuzzDirectParse(f *testing.F) {
	for _, s := range directSeeds {
		f.Add([]byte(s))
	}
	for _, data := range repoYAML(f) {
		if len(data) < 8000 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		directAgrees(t, data)
	})
}

// badBytesRef is badBytes byte by byte, as it was first written.
func badBytesRef(s []byte) bool {
	for i := range s {
		if badByte(s, i) {
			return true
		}
	}
	return false
}

// TestBadBytesWords checks the eight-byte scan of badBytes against the
// byte-by-byte one: every offset, with each byte value at each position.
func TestBadBytesWords(t *testing.T) {
	base := []byte("key: value-0123456789 abc~ xyz\nnext: line here\n")
	for pos := range base {
		for c := 0; c < 256; c++ {
			for _, tail := range [][]byte{nil, {0x80}, {0xa8}, {0xbf}, {0xbb, 0xbf}, {0x80, 0xa9}, {0xbf, 0xbe}} {
				s := append(append([]byte(nil), base[:pos]...), byte(c))
				s = append(append(s, tail...), base[pos+1:]...)
				for start := 0; start < 9 && start < len(s); start++ {
					if got, want := badBytes(s[start:]), badBytesRef(s[start:]); got != want {
						t.Fatalf("badBytes(%q) = %v, byte by byte %v", s[start:], got, want)
					}
				}
			}
		}
	}
}

func FuzzBadBytes(f *testing.F) {
	f.Add([]byte("a: b\n\tc"))
	f.Add([]byte("x\xc2\x85yyyyyyyyy"))
	f.Fuzz(func(t *testing.T, s []byte) {
		if got, want := badBytes(s), badBytesRef(s); got != want {
			t.Fatalf("badBytes(%q) = %v, byte by byte %v", s, got, want)
		}
	})
}
