package main

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestCommandHelp: every visible command's help has an example, and lists
// a global flag only where globalScope says it does something.
func TestCommandHelp(t *testing.T) {
	r := &runner{name: "hull"}
	app := r.app()
	var walk func(cmds []*cli.Command, parent string)
	walk = func(cmds []*cli.Command, parent string) {
		for _, c := range cmds {
			if c.Hidden || c.Name == "help" {
				continue
			}
			path := strings.TrimSpace(parent + " " + c.Name)
			if !strings.Contains(c.Description, "Examples:") {
				t.Errorf("%s: no example in its help", path)
			}
			for _, f := range c.Flags {
				name := flagNames(f)[0]
				vf, _ := f.(cli.VisibleFlag)
				if _, global := globalScope[name]; global && vf != nil && vf.IsVisible() != scoped(name, path) {
					t.Errorf("%s: --%s listed %v, want %v", path, name, vf.IsVisible(), scoped(name, path))
				}
			}
			walk(c.Subcommands, path)
		}
	}
	walk(app.Commands, "")
	for _, c := range app.Commands {
		if c.Name == "filestatus" {
			if n := len(c.VisibleFlags()); n != 2 {
				t.Errorf("filestatus lists %d flags, want 2 (--input-type, --filename-override)", n)
			}
		}
	}
}
