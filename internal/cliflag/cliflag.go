// Package cliflag builds a urfave/cli program's flags from one table:
// every flag is declared once (Def) with the groups of commands that
// accept it, and each command asks the Table for the flags of its groups.
// It also holds what the program needs to accept a flag anywhere on the
// command line (TakesValue, Reorder) and flag types whose names are listed
// once, so that asking a flag for its names is cheap.
package cliflag

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"
)

// Def is one command-line flag.
type Def struct {
	Name    string
	Aliases []string
	Usage   string
	Bool    bool
	On      bool // a bool flag that defaults to true
	Slice   bool
	Groups  []string // the groups of commands that accept it
}

// Table is every flag of a program.
type Table struct {
	defs []Def
	// sorted is defs sorted by name (pointers: moving the entries
	// themselves took most of the sort's time), made on first use.
	sorted func() []*Def
}

// NewTable is the table of defs. It keeps defs (the caller must not
// change them) and sorts them on first use.
func NewTable(defs []Def) *Table {
	return &Table{defs: defs, sorted: sync.OnceValue(func() []*Def {
		t := make([]*Def, len(defs))
		for i := range defs {
			t[i] = &defs[i]
		}
		slices.SortStableFunc(t, func(a, b *Def) int { return strings.Compare(a.Name, b.Name) })
		return t
	})}
}

// For builds the urfave flags for a command that accepts the groups.
// The flags come out sorted by name (stably, so in table order for one
// name): filtering the table sorted once gives the same order as sorting
// each command's flags.
func (t *Table) For(groups ...string) []cli.Flag {
	var out []cli.Flag
	for _, d := range t.sorted() {
		if !HasAny(d.Groups, groups) {
			continue
		}
		names := append([]string{d.Name}, d.Aliases...)
		switch {
		case d.Bool:
			out = append(out, &BoolFlag{cli.BoolFlag{Name: d.Name, Aliases: d.Aliases, Usage: d.Usage, Value: d.On}, names})
		case d.Slice:
			out = append(out, &StringSliceFlag{cli.StringSliceFlag{Name: d.Name, Aliases: d.Aliases, Usage: d.Usage}, names})
		default:
			out = append(out, &StringFlag{cli.StringFlag{Name: d.Name, Aliases: d.Aliases, Usage: d.Usage}, names})
		}
	}
	return out
}

// In lists the names of the flags of a group, in table order.
func (t *Table) In(group string) []string {
	var out []string
	for _, d := range t.defs {
		if slices.Contains(d.Groups, group) {
			out = append(out, d.Name)
		}
	}
	return out
}

// TakesValue is the package's TakesValue for the flags of the groups,
// read from the table without building them.
func (t *Table) TakesValue(tok string, groups []string) bool {
	if strings.Contains(tok, "=") {
		return false
	}
	name := strings.TrimLeft(tok, "-")
	for _, d := range t.sorted() {
		if HasAny(d.Groups, groups) && (d.Name == name || slices.Contains(d.Aliases, name)) {
			return !d.Bool
		}
	}
	return false
}

// BoolFlag, StringFlag and StringSliceFlag are urfave/cli's flags with
// their names listed once. urfave/cli's Names() runs a regular expression
// on each name, and on every run it asks each flag of the command for its
// names once per other flag (runFlagActions, IsSet): a tenth of the time
// hull took to decrypt a small file. Code that needs the urfave/cli type
// asserts Unwrap's result; everything else sees a cli.Flag.
type BoolFlag struct {
	cli.BoolFlag
	names []string
}

// StringFlag is a cli.StringFlag with its names listed once.
type StringFlag struct {
	cli.StringFlag
	names []string
}

// StringSliceFlag is a cli.StringSliceFlag with its names listed once.
type StringSliceFlag struct {
	cli.StringSliceFlag
	names []string
}

// Names are the flag's name and aliases.
func (f *BoolFlag) Names() []string { return f.names }

// Names are the flag's name and aliases.
func (f *StringFlag) Names() []string { return f.names }

// Names are the flag's name and aliases.
func (f *StringSliceFlag) Names() []string { return f.names }

// Unwrap is the urfave/cli flag inside one of this package's flags, or f
// itself.
func Unwrap(f cli.Flag) cli.Flag {
	switch f := f.(type) {
	case *BoolFlag:
		return &f.BoolFlag
	case *StringFlag:
		return &f.StringFlag
	case *StringSliceFlag:
		return &f.StringSliceFlag
	}
	return f
}

// Names returns a flag's name and aliases. urfave/cli's Names() runs a
// regular expression on every call; hull asks for names often enough that
// this was two thirds of the time of decrypting a small file.
func Names(f cli.Flag) []string {
	var name string
	var aliases []string
	switch f := Unwrap(f).(type) {
	case *cli.BoolFlag:
		name, aliases = f.Name, f.Aliases
	case *cli.StringFlag:
		name, aliases = f.Name, f.Aliases
	case *cli.StringSliceFlag:
		name, aliases = f.Name, f.Aliases
	case *cli.IntFlag:
		name, aliases = f.Name, f.Aliases
	default:
		return f.Names()
	}
	return append([]string{name}, aliases...)
}

// Hide hides a flag from help, the man page and the completions.
func Hide(f cli.Flag) {
	switch f := Unwrap(f).(type) {
	case *cli.BoolFlag:
		f.Hidden = true
	case *cli.StringFlag:
		f.Hidden = true
	case *cli.StringSliceFlag:
		f.Hidden = true
	}
}

// Pick is the flags of fl named by one of names, in fl's order (none
// when fl has no such flag).
func Pick(fl []cli.Flag, names ...string) []cli.Flag {
	var out []cli.Flag
	for _, f := range fl {
		if slices.Contains(names, Names(f)[0]) {
			out = append(out, f)
		}
	}
	return out
}

// Sort sorts flags by name, stably.
func Sort(fl []cli.Flag) {
	slices.SortStableFunc(fl, func(a, b cli.Flag) int { return strings.Compare(Names(a)[0], Names(b)[0]) })
}

// HasAny reports whether a and b have an element in common.
func HasAny(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// TakesValue reports whether the flag token (without its value) needs the
// next argument as its value, according to the flags of a command.
func TakesValue(tok string, flags []cli.Flag) bool {
	if strings.Contains(tok, "=") {
		return false
	}
	name := strings.TrimLeft(tok, "-")
	for _, f := range flags {
		if slices.Contains(Names(f), name) {
			_, isBool := Unwrap(f).(*cli.BoolFlag)
			return !isBool
		}
	}
	return false
}

// Reorder moves flags ahead of positional arguments, so that urfave/cli
// (which stops at the first positional) sees flags given after the file.
// Everything after "--" is left as it is.
func Reorder(args []string, flags []cli.Flag) []string {
	var fl, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i:]...)
			break
		}
		if len(a) > 1 && a[0] == '-' && !isNumber(a) {
			fl = append(fl, a)
			if TakesValue(a, flags) && i+1 < len(args) {
				fl = append(fl, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(fl, pos...)
}

// isNumber reports whether a looks like a negative number (set F P -5):
// a value, not a flag, as for sops, since no flag name starts with a digit.
func isNumber(a string) bool {
	_, err := strconv.ParseFloat(a, 64)
	return err == nil
}

// CommandName is the command the arguments run, as Normalize finds it
// (the first argument that is neither a flag nor a top-level flag's
// value: topTakesValue says which top-level flags take one), or "" when
// there is none or an argument before "--" could ask for help ("help",
// -h, --help): help needs every command.
func CommandName(args []string, topTakesValue func(string) bool) string {
	name := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if a == "help" || strings.HasPrefix(a, "-h") || strings.HasPrefix(a, "--h") {
			return ""
		}
		if name != "" {
			continue
		}
		if len(a) < 2 || a[0] != '-' {
			name = a
			continue
		}
		if topTakesValue(a) {
			i++ // the flag's value is no command name
		}
	}
	return name
}

// Normalize rewrites the arguments so that urfave/cli accepts flags in any
// position: flags given before the command name (one of cmds) are moved
// after it, and flags given after the file are moved before it (Reorder,
// with the command's flags, or the top level's, top, when no command is
// named). topTakesValue says which flags before the command take a value.
func Normalize(args []string, cmds []*cli.Command, top []cli.Flag, topTakesValue func(string) bool) []string {
	var lead []string
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			break
		}
		lead = append(lead, a)
		if topTakesValue(a) && i+1 < len(args) {
			lead = append(lead, args[i+1])
			i++
		}
	}
	if i < len(args) {
		for _, c := range cmds {
			if c.Name == args[i] || c.HasName(args[i]) {
				out := []string{args[i]}
				return append(out, Reorder(append(lead, args[i+1:]...), c.Flags)...)
			}
		}
		if args[i] == "help" {
			return args
		}
	}
	return Reorder(args, top)
}
