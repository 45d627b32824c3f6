package main

import (
	"maps"
	"slices"

	"github.com/urfave/cli/v2"
)

// cmdLine is what one run was given on the command line: the values of the
// flags its command accepts and its arguments, read once from urfave/cli's
// context by the command's action (act). Every function below the actions
// takes a cmdLine, never the cli context: what a command does depends on
// values, and urfave/cli stays at the edge.
type cmdLine struct {
	args []string
	// commands are the command and its parents, innermost first ("add",
	// "groups"); empty for the legacy form (the top level).
	commands []string
	defined  map[string]bool // flags the command (or a parent) accepts
	given    map[string]bool // flags set on the command line or by their variable
	strs     map[string]string
	bools    map[string]bool
	lists    map[string][]string
}

// act is the action of a command: fn gets the command line's values.
func act(fn func(cl *cmdLine) error) cli.ActionFunc {
	return func(c *cli.Context) error { return fn(readCmdLine(c)) }
}

// readCmdLine takes the values of every flag c's command and its parents
// accept, by each of their names: the innermost command's, or a parent's
// where only the parent was given the flag.
func readCmdLine(c *cli.Context) *cmdLine {
	cl := &cmdLine{args: c.Args().Slice(), defined: map[string]bool{}, given: map[string]bool{},
		strs: map[string]string{}, bools: map[string]bool{}, lists: map[string][]string{}}
	for _, l := range c.Lineage() {
		var flags []cli.Flag
		switch {
		case l.Command != nil && (l.App == nil || l.Command.Name != l.App.Name):
			cl.commands = append(cl.commands, l.Command.Name)
			flags = l.Command.Flags
		case l.App != nil: // the top level: the legacy form
			flags = l.App.Flags
		}
		for _, f := range flags {
			names := flagNames(f)
			if len(names) == 0 || cl.defined[names[0]] && (cl.given[names[0]] || !l.IsSet(names[0])) {
				// The innermost command's value, unless the flag was
				// given to a parent only: normalize puts the flags of
				// "groups add" and "git setup" on the parent.
				continue
			}
			for _, n := range names {
				cl.defined[n] = true
				cl.given[n] = l.IsSet(n)
				switch cliFlag(f).(type) {
				case *cli.BoolFlag:
					cl.bools[n] = l.Bool(n)
				case *cli.StringSliceFlag:
					cl.lists[n] = l.StringSlice(n)
				default:
					cl.strs[n] = l.String(n)
				}
			}
		}
	}
	return cl
}

// has reports whether the command accepts the flag.
func (cl *cmdLine) has(name string) bool { return cl != nil && cl.defined[name] }

// on is the value of a bool flag (false when the command has no such flag).
func (cl *cmdLine) on(name string) bool { return cl != nil && cl.bools[name] }

// str is the value of a string flag ("" when the command has no such flag).
func (cl *cmdLine) str(name string) string {
	if cl == nil {
		return ""
	}
	return cl.strs[name]
}

// list is the values of a repeatable flag.
func (cl *cmdLine) list(name string) []string {
	if cl == nil {
		return nil
	}
	return cl.lists[name]
}

// isSet reports whether the flag was given (on the command line or by its
// variable).
func (cl *cmdLine) isSet(name string) bool { return cl != nil && cl.given[name] }

// arg is the i-th argument ("" when there are fewer).
func (cl *cmdLine) arg(i int) string {
	if cl == nil || i >= len(cl.args) {
		return ""
	}
	return cl.args[i]
}

// command is the name of the command that runs ("" for the legacy form).
func (cl *cmdLine) command() string {
	if cl == nil || len(cl.commands) == 0 {
		return ""
	}
	return cl.commands[0]
}

// with is a copy of cl in which the bool flags named are on (the bulk
// forms work in place: -i; updatekeys -r answers yes).
func (cl *cmdLine) with(on ...string) *cmdLine {
	cp := *cl
	cp.bools, cp.given = maps.Clone(cl.bools), maps.Clone(cl.given)
	for _, n := range on {
		cp.bools[n], cp.given[n] = true, true
	}
	cp.args = slices.Clone(cl.args)
	return &cp
}
