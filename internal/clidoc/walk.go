package clidoc

import (
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull/formats/all"
)

// This file turns the *cli.App into a plain description of its commands
// and flags. The shell completion scripts, the man page and the Markdown
// reference are all rendered from it, so they follow the CLI definitions
// and cannot drift from them.

// cmdSpec is one command (or the root) as the generators see it.
type cmdSpec struct {
	path     []string // command names from the root; empty for the root
	aliases  []string // other names of the last element of path
	usage    string
	usageTxt string
	args     string // ArgsUsage
	desc     string
	flags    []flagSpec
	subs     []*cmdSpec // visible subcommands
	files    bool       // positional arguments are file names
}

// flagSpec is one flag.
type flagSpec struct {
	long, short []string // names without dashes: long have 2+ characters
	value       bool     // takes a value
	repeat      bool     // may be given more than once (a slice flag)
	usage       string
	choices     []string // the values it accepts, when they are a fixed set
	fileValue   bool     // its value is a file name
}

// flagChoices lists the flags whose values are a fixed set.
func flagChoices(name string) []string {
	switch name {
	case "input-type", "output-type":
		return formatNames()
	}
	return nil
}

// formatNames lists the formats in the order hull documents them.
func formatNames() []string {
	names := all.Registry().Names()
	order := map[string]int{"yaml": 0, "json": 1, "dotenv": 2, "ini": 3, "binary": 4}
	sort.SliceStable(names, func(i, j int) bool {
		oi, ok := order[names[i]]
		if !ok {
			oi = len(order)
		}
		oj, ok := order[names[j]]
		if !ok {
			oj = len(order)
		}
		return oi < oj
	})
	return names
}

// fileValueFlags are the flags whose value is a file name.
var fileValueFlags = map[string]bool{"config": true, "output": true, "filename-override": true}

// pathString is the command path joined with spaces ("" for the root).
func (c *cmdSpec) pathString() string { return strings.Join(c.path, " ") }

// walk visits c and its subcommands, depth first, in definition order.
func (c *cmdSpec) walk(fn func(*cmdSpec)) {
	fn(c)
	for _, s := range c.subs {
		s.walk(fn)
	}
}

// specOf describes the app: the root with every visible command.
func specOf(app *cli.App) *cmdSpec {
	root := &cmdSpec{
		usage:    app.Usage,
		usageTxt: app.UsageText,
		desc:     app.Description,
		flags:    flagSpecs(app.Flags),
		files:    strings.Contains(app.UsageText, "FILE") || strings.Contains(app.ArgsUsage, "FILE"),
	}
	root.subs = cmdSpecs(nil, app.Commands)
	return root
}

func cmdSpecs(parent []string, cmds []*cli.Command) []*cmdSpec {
	var out []*cmdSpec
	for _, c := range cmds {
		if c.Hidden || c.Name == "help" {
			continue
		}
		path := append(append([]string(nil), parent...), c.Name)
		s := &cmdSpec{
			path:     path,
			aliases:  c.Aliases,
			usage:    c.Usage,
			usageTxt: c.UsageText,
			args:     c.ArgsUsage,
			desc:     c.Description,
			flags:    flagSpecs(c.Flags),
			files:    strings.Contains(c.ArgsUsage, "FILE"),
		}
		s.subs = cmdSpecs(path, c.Subcommands)
		out = append(out, s)
	}
	return out
}

func flagSpecs(flags []cli.Flag) []flagSpec {
	var out []flagSpec
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		var s flagSpec
		for _, n := range f.Names() {
			if len(n) == 1 {
				s.short = append(s.short, n)
			} else {
				s.long = append(s.long, n)
			}
		}
		if d, ok := f.(cli.DocGenerationFlag); ok {
			s.value = d.TakesValue()
			s.usage = d.GetUsage()
		}
		if sf, ok := f.(cli.DocGenerationSliceFlag); ok && sf.IsSliceFlag() {
			s.repeat = true
		}
		name := f.Names()[0]
		if s.value {
			s.choices = flagChoices(name)
			s.fileValue = fileValueFlags[name]
		}
		out = append(out, s)
	}
	return out
}

// dashed returns the flag's names with their dashes, long names first.
func (f flagSpec) dashed() []string {
	var out []string
	for _, n := range f.long {
		out = append(out, "--"+n)
	}
	for _, n := range f.short {
		out = append(out, "-"+n)
	}
	return out
}

// valueFlags lists, sorted, every dashed name of a flag that takes a value
// anywhere in the app.
func valueFlags(root *cmdSpec) []string {
	set := map[string]bool{}
	root.walk(func(c *cmdSpec) {
		for _, f := range c.flags {
			if f.value {
				for _, n := range f.dashed() {
					set[n] = true
				}
			}
		}
	})
	return sortedKeys(set)
}

// valueFlagSpecs returns one flag of each name that takes a value, for the
// value completions (the flag table declares each flag once, so a name
// means the same flag in every command).
func valueFlagSpecs(root *cmdSpec) []flagSpec {
	seen := map[string]bool{}
	var out []flagSpec
	root.walk(func(c *cmdSpec) {
		for _, f := range c.flags {
			if f.value && !seen[f.dashed()[0]] {
				seen[f.dashed()[0]] = true
				out = append(out, f)
			}
		}
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].dashed()[0] < out[j].dashed()[0] })
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// helpFlag is the --help flag urfave/cli adds to every command.
var helpFlag = flagSpec{long: []string{"help"}, short: []string{"h"}, usage: "show help"}

// Names lists the visible command names and the flag names (long and
// short, without dashes) of app, for tests that check a generated script
// mentions them all.
func Names(app *cli.App) (commands, flags []string) {
	specOf(app).walk(func(c *cmdSpec) {
		commands = append(commands, c.path...)
		for _, f := range c.flags {
			flags = append(flags, append(f.long, f.short...)...)
		}
	})
	return commands, flags
}
