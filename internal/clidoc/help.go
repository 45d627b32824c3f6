package clidoc

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull/internal/cliflag"
)

// Help says what each command's help page shows beyond its own flags.
type Help struct {
	// Global reports whether a flag is global: accepted by every
	// command, but listed only for the commands Scope names.
	Global func(flag string) bool
	// Scope names, for each global flag, the commands (by path, "groups
	// add") it does something for. A global flag missing from it is
	// listed nowhere but the top level.
	Scope map[string][]string
	// Examples are shown at the end of each command's help, by path.
	Examples map[string][]string
}

// Scoped reports whether the global flag is listed for cmd.
func (h Help) Scoped(flag, cmd string) bool {
	return slices.Contains(h.Scope[flag], cmd)
}

// Finish hides, in the help of each command below parent and of its
// subcommands, the global flags that do nothing for it, and adds the
// command's examples to its description (once: a description that already
// has examples keeps them).
func (h Help) Finish(cmds []*cli.Command, parent string) {
	for _, c := range cmds {
		path := strings.TrimSpace(parent + " " + c.Name)
		for _, f := range c.Flags {
			name := cliflag.Names(f)[0]
			if h.Global(name) && !h.Scoped(name, path) {
				cliflag.Hide(f)
			}
		}
		if ex := h.Examples[path]; len(ex) > 0 && !strings.Contains(c.Description, "\nExample") {
			if c.Description != "" {
				c.Description += "\n\n"
			}
			c.Description += "Examples:\n\n   " + strings.Join(ex, "\n   ")
		}
		h.Finish(c.Subcommands, path)
	}
}

// WriteFlags lists the visible flags on w, one a line: every name with
// its dashes (the first followed by VALUE when the flag takes one), and
// its usage, in aligned columns.
func WriteFlags(w io.Writer, flags []cli.Flag) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		names := cliflag.Names(f)
		for i, n := range names {
			if len(n) == 1 {
				names[i] = "-" + n
			} else {
				names[i] = "--" + n
			}
		}
		usage := ""
		if d, ok := f.(cli.DocGenerationFlag); ok {
			usage = d.GetUsage()
			if d.TakesValue() {
				names[0] += " VALUE"
			}
		}
		fmt.Fprintf(tw, "   %s\t%s\n", strings.Join(names, ", "), usage)
	}
	return tw.Flush()
}

// WriteExits writes the exit-status table on w, as 'help exit-codes'
// shows it.
func WriteExits(w io.Writer, exits []Exit) {
	fmt.Fprintln(w, "EXIT STATUS")
	for _, e := range exits {
		fmt.Fprintf(w, "  %3d  %s\n", e.Code, e.Text)
	}
}
