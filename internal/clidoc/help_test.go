package clidoc

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull/internal/cliflag"
)

func TestHelpFinish(t *testing.T) {
	table := cliflag.NewTable([]cliflag.Def{
		{Name: "verbose", Usage: "more", Bool: true, Groups: []string{"global"}},
		{Name: "config", Usage: "the config", Groups: []string{"global"}},
		{Name: "json", Usage: "as JSON", Bool: true, Groups: []string{"check"}},
	})
	sub := &cli.Command{Name: "add", Flags: table.For("global"), Description: "Adds."}
	cmds := []*cli.Command{
		{Name: "check", Flags: table.For("global", "check")},
		{Name: "groups", Flags: table.For("global"), Subcommands: []*cli.Command{sub}},
	}
	h := Help{Global: func(f string) bool { return f != "json" },
		Scope:    map[string][]string{"verbose": {"check", "groups add"}},
		Examples: map[string][]string{"groups add": {"hull groups add x"}, "check": {"hull check"}}}
	h.Finish(cmds, "")
	visible := func(c *cli.Command) (out []string) {
		for _, f := range c.VisibleFlags() {
			out = append(out, cliflag.Names(f)[0])
		}
		return strings.Fields(strings.Join(out, " "))
	}
	if got := strings.Join(visible(cmds[0]), " "); got != "json verbose" {
		t.Errorf("check lists %q, want json verbose", got)
	}
	if got := strings.Join(visible(cmds[1]), " "); got != "" {
		t.Errorf("groups lists %q, want none", got)
	}
	if got := strings.Join(visible(sub), " "); got != "verbose" {
		t.Errorf("groups add lists %q, want verbose", got)
	}
	if sub.Description != "Adds.\n\nExamples:\n\n   hull groups add x" || cmds[0].Description != "Examples:\n\n   hull check" {
		t.Errorf("descriptions: %q, %q", sub.Description, cmds[0].Description)
	}
	h.Finish(cmds, "")
	if strings.Count(sub.Description, "Examples:") != 1 {
		t.Errorf("a second Finish added the examples again: %q", sub.Description)
	}
}

func TestWriteFlagsAndExits(t *testing.T) {
	fl := cliflag.NewTable([]cliflag.Def{
		{Name: "output", Aliases: []string{"o"}, Usage: "write here", Groups: []string{"g"}},
		{Name: "quiet", Usage: "hidden", Bool: true, Groups: []string{"g"}},
	}).For("g")
	cliflag.Hide(fl[1])
	var b strings.Builder
	if err := WriteFlags(&b, fl); err != nil {
		t.Fatal(err)
	}
	if want := "   --output VALUE, -o  write here\n"; b.String() != want {
		t.Errorf("WriteFlags = %q, want %q", b.String(), want)
	}
	b.Reset()
	WriteExits(&b, []Exit{{Code: 1, Text: "generic"}, {Code: 128, Text: "no key"}})
	if want := "EXIT STATUS\n    1  generic\n  128  no key\n"; b.String() != want {
		t.Errorf("WriteExits = %q, want %q", b.String(), want)
	}
}
