package hull

import (
	"strings"
	"testing"

	"github.com/hullsecrets/hull/formats"
	yamlfmt "github.com/hullsecrets/hull/formats/yaml"
)

func mergeDocs(t *testing.T, src string) []*formats.Node {
	t.Helper()
	if src == "" {
		return nil
	}
	f, err := yamlfmt.New().Parse([]byte(src), formats.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return f.Docs
}

func emitDocs(t *testing.T, docs []*formats.Node) string {
	t.Helper()
	out, err := yamlfmt.New().Emit(&formats.File{Docs: docs}, formats.EmitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestMerge3(t *testing.T) {
	for _, tc := range []struct {
		name, base, ours, theirs, want, wantTheirs string
		conflicts                                  []string
	}{
		{name: "different keys", base: "a: 1\nb: 2\n", ours: "a: 10\nb: 2\n", theirs: "a: 1\nb: 20\n", want: "a: 10\nb: 20\n"},
		{name: "same change", base: "a: 1\n", ours: "a: 2\n", theirs: "a: 2\n", want: "a: 2\n"},
		{name: "added keys keep their place", base: "a: 1\nz: 0\n", ours: "a: 1\nb: 2\nz: 0\n", theirs: "a: 1\nz: 0\nw: 3\n", want: "a: 1\nb: 2\nz: 0\nw: 3\n"},
		{name: "removed on one side", base: "a: 1\nb: 2\n", ours: "a: 1\n", theirs: "a: 1\nb: 2\nc: 3\n", want: "a: 1\nc: 3\n"},
		{name: "nested", base: "db:\n    u: a\n    p: b\n", ours: "db:\n    u: x\n    p: b\n", theirs: "db:\n    u: a\n    p: q\n", want: "db:\n    u: x\n    p: q\n"},
		{name: "comment follows its item", base: "a: 1\nb: 2\n", ours: "a: 1\n# about b\nb: 2\n", theirs: "a: 1\nb: 3\n", want: "a: 1\n# about b\nb: 3\n"},
		{name: "conflict", base: "a: 1\nb: 2\n", ours: "a: 5\nb: 3\n", theirs: "a: 6\nb: 2\n", want: "a: 5\nb: 3\n", wantTheirs: "a: 6\nb: 3\n", conflicts: []string{`["a"]`}},
		{name: "delete and modify", base: "a: 1\nb: 2\n", ours: "a: 1\n", theirs: "a: 1\nb: 3\n", want: "a: 1\n", wantTheirs: "a: 1\nb: 3\n", conflicts: []string{`["b"]`}},
		{name: "lists are atomic", base: "l:\n    - 1\n", ours: "l:\n    - 1\n    - 2\n", theirs: "l:\n    - 0\n    - 1\n", want: "l:\n    - 1\n    - 2\n", wantTheirs: "l:\n    - 0\n    - 1\n", conflicts: []string{`["l"]`}},
		{name: "no base", base: "", ours: "a: 1\nb: 2\n", theirs: "a: 1\nb: 3\n", want: "a: 1\nb: 2\n", wantTheirs: "a: 1\nb: 3\n", conflicts: []string{`["b"]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, ours, theirs := mergeDocs(t, tc.base), mergeDocs(t, tc.ours), mergeDocs(t, tc.theirs)
			oursBefore := emitDocs(t, ours)
			res, err := Merge3(base, ours, theirs)
			if err != nil {
				t.Fatal(err)
			}
			if got := emitDocs(t, res.Docs); got != tc.want {
				t.Errorf("merged:\n%s\nwant:\n%s", got, tc.want)
			}
			var got []string
			for _, c := range res.Conflicts {
				got = append(got, c.String())
			}
			if strings.Join(got, ",") != strings.Join(tc.conflicts, ",") {
				t.Errorf("conflicts %q, want %q", got, tc.conflicts)
			}
			if tc.wantTheirs != "" {
				if got := emitDocs(t, res.TheirDocs); got != tc.wantTheirs {
					t.Errorf("their version:\n%s\nwant:\n%s", got, tc.wantTheirs)
				}
			} else if res.TheirDocs != nil {
				t.Error("TheirDocs set without conflicts")
			}
			if emitDocs(t, ours) != oursBefore {
				t.Error("Merge3 changed its input")
			}
		})
	}
}
