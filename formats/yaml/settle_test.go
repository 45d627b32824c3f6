package yaml

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/formattest"
)

// dumpComments lists where each comment of a tree sits: the path of its
// container, then the text.
func dumpComments(n *formats.Node, path string, out *[]string) {
	for _, c := range n.Children {
		switch c.Kind {
		case formats.Comment:
			*out = append(*out, path+"#"+c.Value)
		case formats.Mapping, formats.Sequence:
			p := path + "/" + c.Key
			if n.Kind == formats.Sequence {
				p = path + "/-"
			}
			dumpComments(c, p, out)
		}
	}
}

// TestSettleComments pins where Parse puts the comments that a written file
// reads back elsewhere (issue 14, items 1 and 2): there, and only there, so
// that a file hull encrypts verifies its extended MAC when read back.
func TestSettleComments(t *testing.T) {
	cases := []struct {
		in       string
		want     string // comment positions, ";"-joined
		warnings int
	}{
		// Above the first key of a mapping in a list: read back in the list.
		{in: "a:\n  - b: # d\n", want: "/a# d"},
		{in: "k: &x # c\n  - b: 1\n", want: "/k# c"},
		// Closing a nested block, at the end of the file: read back in the
		// innermost block when the sops block follows.
		{in: "a:\n  b:\n    - x\n  # c\n", want: "/a/b# c"},
		{in: "c:\n  d:\n    e: 1\n  # c\n", want: "/c/d# c"},
		// On an empty flow mapping: written inside the braces, where no
		// reader keeps it; dropped with a warning, as sops drops it.
		{in: "a: {} # c\nb: 1\n", want: "", warnings: 1},
		// Already where they read back.
		{in: "# top\na: 1 # inline\nb:\n  # in b\n  c: 2\n", want: "# top;# inline;/b# in b"},
	}
	for _, c := range cases {
		f, err := New().Parse([]byte(c.in), formats.ParseOptions{})
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		var got []string
		dumpComments(f.Docs[0], "", &got)
		if strings.Join(got, ";") != c.want {
			t.Errorf("%q: comments at %q, want %q", c.in, strings.Join(got, ";"), c.want)
		}
		if len(f.Warnings) != c.warnings {
			t.Errorf("%q: warnings %q", c.in, f.Warnings)
		}
		// Written with a sops block after it and read back: the same tree.
		f.Meta = &formats.Node{Kind: formats.Mapping, Children: []*formats.Node{formats.NewString("version", "3.13.3")}}
		out, err := New().Emit(f, formats.EmitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		back, err := New().Parse(out, formats.ParseOptions{Encrypted: true})
		if err != nil {
			t.Fatal(err)
		}
		if !formats.Equal(formattest.StripLines(f.Docs[0]), formattest.StripLines(back.Docs[0])) {
			t.Errorf("%q: does not read back as parsed:\n%s", c.in, out)
		}
	}
}

// TestSettleKeepsLines: errors after parsing still name input lines.
func TestSettleKeepsLines(t *testing.T) {
	in := []byte("# one\n# two\na:\n  - b: # d\n    c: 1\n")
	f, err := New().Parse(in, formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := parseOnce(in, formats.DefaultLimits, false)
	if err != nil {
		t.Fatal(err)
	}
	var lines func(n *formats.Node, out *[]int)
	lines = func(n *formats.Node, out *[]int) {
		if n.Kind != formats.Comment {
			*out = append(*out, n.Line)
		}
		for _, c := range n.Children {
			lines(c, out)
		}
	}
	var got, want []int
	lines(f.Docs[0], &got)
	lines(raw.Docs[0], &want)
	if len(got) != 5 || fmt.Sprint(got) != fmt.Sprint(want) || got[4] != 5 {
		t.Fatalf("lines %v, want %v", got, want)
	}
}

// settledAgrees checks the shortcut of settleComments: when
// commentsSettled says the comments of data's tree read back where they
// are, writing and reading the tree (settleWritten) must give the same
// tree. It reports whether the shortcut applied.
func settledAgrees(t *testing.T, data []byte) bool {
	t.Helper()
	lim := formats.Limits{}.WithDefaults()
	for _, encrypted := range []bool{false, true} {
		f, err := New().Parse(data, formats.ParseOptions{Encrypted: encrypted})
		if err != nil {
			return false
		}
		n := 0
		for _, d := range f.Docs {
			n += countComments(d)
		}
		if n == 0 || !commentsSettled(f) {
			return false
		}
		g := settleWritten(f, data, lim, n)
		if len(g.Docs) != len(f.Docs) || len(g.Warnings) != len(f.Warnings) {
			t.Fatalf("%q: commentsSettled, but written and read back it has %d documents and warnings %q", data, len(g.Docs), g.Warnings)
		}
		for i := range f.Docs {
			if !formats.Equal(f.Docs[i], g.Docs[i]) {
				t.Fatalf("%q: commentsSettled, but document %d reads back otherwise:\nparsed:\n%s\nread back:\n%s", data, i, dumpFile(f), dumpFile(g))
			}
		}
	}
	return true
}

var settledSeeds = []string{
	"# top\na: 1\n",
	"# top\n# two\na: 1\nb: x\n",
	"a: 1\n# c\nb: 2\n",
	"a:\n    b: 1\n# c\nd: 2\n",
	"a:\n  - x\n  - y\n# c\nd: 2\n",
	"a:\n  b: 1\n\n# c\nd: 2\n",
	"a: 1\n# c\n\nd: 2\n",
	"a: 1\n\n# c\n\nd: 2\n",
	"# c\na: {}\nb: []\n",
	"# c\na: |\n  text\n  more\nb: 1\n",
	"# c\n'quoted key': 1\n",
	"# c\n\"k\\ty\": \"v\"\n",
	"a: 1\n---\n# c\nb: 2\n",
	"# c\na: 1\n---\n# d\nb: 2\n",
	"# c\na: &x 1\nb: *x\n",
	"# c\n? complex\n: 1\n",
	"#\na: 1\n",
	"#  spaced  \na: 1\n",
	"a: 1\n#c\n#d\nb:\n  c: 1\n",
	"# c\nsops:\n  version: 3.9.0\na: 1\n",
	"# c\na: 1\nsops:\n  version: 3.9.0\n",
	"a: 1\n# c\nsops:\n  version: 3.9.0\n",
	"# c\nb: 1\n# d\n",
}

// TestCommentsSettled: the shortcut applies to the comments of generated
// and hand-written files, and agrees with writing and reading them.
func TestCommentsSettled(t *testing.T) {
	applied := 0
	for _, s := range settledSeeds {
		if settledAgrees(t, []byte(s)) {
			applied++
		}
	}
	for _, data := range repoYAML(t) {
		if settledAgrees(t, data) {
			applied++
		}
	}
	if applied < 10 {
		t.Fatalf("the shortcut applied to %d inputs only", applied)
	}
	// Not for the positions that move.
	for _, s := range []string{"a:\n  - b: # d\n", "a:\n  b:\n    - x\n  # c\n", "a: {} # c\nb: 1\n", "a: 1 # inline\n", "a: 1\n# last\n", "a:\n  # nested\n  b: 1\n"} {
		f, err := parseOnce([]byte(s), formats.DefaultLimits, false) // as parsed, before settling
		if err != nil {
			t.Fatal(err)
		}
		if commentsSettled(f) {
			t.Errorf("%q: commentsSettled is true", s)
		}
	}
}

func FuzzCommentsSettled(f *testing.F) {
	for _, s := range settledSeeds {
		f.Add([]byte(s))
	}
	for _, s := range directSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<14 {
			return
		}
		settledAgrees(t, data)
	})
}
