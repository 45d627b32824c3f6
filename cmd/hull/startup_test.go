package main

import (
	"reflect"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull/internal/cliflag"
)

// A run builds only the command it names (withCommands); help, docs and
// completion build them all. The one command must be the same either way.
func TestCommandTableBuildsTheSameCommands(t *testing.T) {
	r := &runner{name: "hull"}
	full := r.app()
	seen := map[string]bool{}
	for _, c := range r.commandTable() {
		if seen[c.name] {
			t.Errorf("command %q is listed twice", c.name)
		}
		seen[c.name] = true
		app, one := r.withCommands(r.appShell(), c.name)
		if !one || len(app.Commands) != 1 {
			t.Fatalf("withCommands(%q) built %d commands", c.name, len(app.Commands))
		}
		got, want := app.Commands[0], full.Command(c.name)
		if want == nil || got.Name != c.name {
			t.Fatalf("command %q builds %q; the full app has %v", c.name, got.Name, want)
		}
		if g, w := flagSummary(got), flagSummary(want); !reflect.DeepEqual(g, w) {
			t.Errorf("%s: flags %v, in the full app %v", c.name, g, w)
		}
		if got.Description != want.Description {
			t.Errorf("%s: description differs from the full app's", c.name)
		}
	}
	if len(seen) != len(full.Commands) {
		t.Errorf("the table lists %d commands, the app has %d", len(seen), len(full.Commands))
	}
	if app, one := r.withCommands(r.appShell(), "no-such-command"); one || len(app.Commands) != len(full.Commands) {
		t.Errorf("an unknown command built %d commands (one=%v), want all %d", len(app.Commands), one, len(full.Commands))
	}
}

// flagSummary lists a command's flags (and its subcommands') with their
// names and whether they are shown in help.
func flagSummary(c *cli.Command) []string {
	var out []string
	for _, f := range c.Flags {
		v := "shown"
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			v = "hidden"
		}
		out = append(out, f.String()+" "+v)
	}
	for _, s := range c.Subcommands {
		out = append(out, "sub "+s.Name)
		out = append(out, flagSummary(s)...)
	}
	return out
}

func TestCommandName(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"decrypt", "f.yaml"}, "decrypt"},
		{[]string{"--config", "decrypt", "encrypt", "f.yaml"}, "encrypt"}, // --config takes a value
		{[]string{"--verbose", "decrypt", "f.yaml"}, "decrypt"},           // --verbose does not
		{[]string{"--config=c.yaml", "decrypt", "f.yaml"}, "decrypt"},
		{[]string{"-d", "f.yaml"}, "f.yaml"}, // the legacy form: no command (withCommands builds all)
		{[]string{"decrypt", "--help"}, ""},
		{[]string{"decrypt", "-h"}, ""},
		{[]string{"help", "decrypt"}, ""},
		{[]string{"decrypt", "f.yaml", "--", "--help"}, "decrypt"},
		{[]string{"exec-env", "f.yaml", "--", "help"}, "exec-env"},
		{nil, ""},
	} {
		if got := cliflag.CommandName(tc.args, topTakesValue); got != tc.want {
			t.Errorf("commandName(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// topTakesValue must agree with takesValue over the flags the top level
// builds.
func TestTopTakesValue(t *testing.T) {
	top := flagsFor(topGroups...)
	for _, d := range flagTable {
		for _, n := range append([]string{d.Name}, d.Aliases...) {
			for _, tok := range []string{"-" + n, "--" + n, "--" + n + "=x"} {
				if got, want := topTakesValue(tok), takesValue(tok, top); got != want {
					t.Errorf("topTakesValue(%q) = %v, takesValue = %v", tok, got, want)
				}
			}
		}
	}
}
