package cliflag

import (
	"slices"
	"testing"

	"github.com/urfave/cli/v2"
)

var testTable = NewTable([]Def{
	{Name: "zeta", Usage: "z", Bool: true, Groups: []string{"a"}},
	{Name: "output", Aliases: []string{"o"}, Usage: "o", Groups: []string{"a", "b"}},
	{Name: "alpha", Usage: "first a", Slice: true, Groups: []string{"b"}},
	{Name: "alpha", Usage: "second a", Bool: true, On: true, Groups: []string{"c"}},
	{Name: "in-place", Aliases: []string{"i"}, Bool: true, Groups: []string{"a"}},
})

func TestForSortsAndFilters(t *testing.T) {
	var got []string
	for _, f := range testTable.For("a", "c") {
		got = append(got, Names(f)...)
	}
	want := []string{"alpha", "in-place", "i", "output", "o", "zeta"}
	if !slices.Equal(got, want) {
		t.Fatalf("For(a, c) names = %q, want %q", got, want)
	}
	fl := testTable.For("c")
	b, ok := Unwrap(fl[0]).(*cli.BoolFlag)
	if !ok || !b.Value || b.Usage != "second a" {
		t.Fatalf("For(c)[0] = %#v, want the bool alpha defaulting to true", Unwrap(fl[0]))
	}
	if _, ok := Unwrap(testTable.For("b")[0]).(*cli.StringSliceFlag); !ok {
		t.Fatalf("For(b)[0] is not a slice flag")
	}
	if got := testTable.In("a"); !slices.Equal(got, []string{"zeta", "output", "in-place"}) {
		t.Fatalf("In(a) = %q, want table order", got)
	}
}

func TestTakesValueAgreesWithTable(t *testing.T) {
	groups := []string{"a", "b"}
	built := testTable.For(groups...)
	for _, tok := range []string{"-o", "--output", "--output=x", "-i", "--in-place", "--zeta", "--alpha", "--nope"} {
		if got, want := testTable.TakesValue(tok, groups), TakesValue(tok, built); got != want {
			t.Errorf("Table.TakesValue(%q) = %v, TakesValue = %v", tok, got, want)
		}
	}
	if !TakesValue("-o", built) || TakesValue("-i", built) || TakesValue("--output=x", built) {
		t.Errorf("TakesValue: -o takes a value, -i and --output=x do not")
	}
}

func TestReorder(t *testing.T) {
	built := testTable.For("a")
	got := Reorder([]string{"file", "-o", "out", "-5", "-i", "--", "-x", "y"}, built)
	want := []string{"-o", "out", "-i", "file", "-5", "--", "-x", "y"}
	if !slices.Equal(got, want) {
		t.Fatalf("Reorder = %q, want %q", got, want)
	}
}

func TestHide(t *testing.T) {
	for _, f := range testTable.For("a", "b") {
		Hide(f)
		if v := f.(cli.VisibleFlag); v.IsVisible() {
			t.Errorf("--%s is still visible", Names(f)[0])
		}
	}
}

func TestHasAny(t *testing.T) {
	if !HasAny([]string{"x", "y"}, []string{"z", "y"}) || HasAny([]string{"x"}, nil) {
		t.Fatal("HasAny")
	}
}

func TestPickAndSort(t *testing.T) {
	fl := append(testTable.For("c"), testTable.For("a")...)
	if got := Pick(fl, "output"); len(got) != 1 || Names(got[0])[0] != "output" || Pick(fl, "nope") != nil {
		t.Fatalf("Pick: %v", got)
	}
	if got := Pick(fl, "zeta", "alpha"); len(got) != 2 || Names(got[0])[0] != "alpha" || Names(got[1])[0] != "zeta" {
		t.Fatalf("Pick of two, in fl's order: %v", got)
	}
	Sort(fl)
	var names []string
	for _, f := range fl {
		names = append(names, Names(f)[0])
	}
	if want := []string{"alpha", "in-place", "output", "zeta"}; !slices.Equal(names, want) {
		t.Fatalf("Sort: %q, want %q", names, want)
	}
}

func TestCommandName(t *testing.T) {
	takes := func(tok string) bool { return tok == "--config" }
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", "decrypt", "encrypt", "f"}, "encrypt"},
		{[]string{"-v", "decrypt", "f"}, "decrypt"},
		{[]string{"decrypt", "--help"}, ""},
		{[]string{"help", "decrypt"}, ""},
		{[]string{"decrypt", "--", "-h"}, "decrypt"},
		{[]string{"--verbose"}, ""},
	} {
		if got := CommandName(c.args, takes); got != c.want {
			t.Errorf("CommandName(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}

func TestNormalize(t *testing.T) {
	cmds := []*cli.Command{{Name: "edit", Aliases: []string{"e"}, Flags: testTable.For("a")}}
	top := testTable.For("b")
	takes := func(tok string) bool { return TakesValue(tok, top) }
	for _, c := range []struct {
		args, want []string
	}{
		// Flags before the command go after it; after the file, before it.
		{[]string{"-o", "x", "e", "file", "-i"}, []string{"e", "-o", "x", "-i", "file"}},
		{[]string{"edit", "file", "-o", "out"}, []string{"edit", "-o", "out", "file"}},
		// No command: the top level's flags, reordered.
		{[]string{"file", "--alpha", "v"}, []string{"--alpha", "v", "file"}},
		{[]string{"help", "edit"}, []string{"help", "edit"}},
	} {
		if got := Normalize(c.args, cmds, top, takes); !slices.Equal(got, c.want) {
			t.Errorf("Normalize(%q) = %q, want %q", c.args, got, c.want)
		}
	}
}
