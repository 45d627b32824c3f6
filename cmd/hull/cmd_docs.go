package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull/internal/clidoc"
)

// The completion scripts, the man page and the Markdown reference are
// rendered by internal/clidoc from the CLI definitions; these are the
// commands that print them.

func (r *runner) completionCommand() *cli.Command {
	cmd := &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash, zsh or fish)",
		UsageText: r.name + " completion " + strings.ReplaceAll(clidoc.ShellNames(), ", ", "|"),
		Description: "Prints the completion script for the shell on stdout. Load it with:\n" +
			"  " + clidoc.Shells[0].Load + "\n" +
			"  " + clidoc.Shells[1].Load + "\n" +
			"  " + clidoc.Shells[2].Load,
		HideHelpCommand: true,
		OnUsageError:    usageError,
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return withCode(exitGeneric, fmt.Errorf("usage: give a shell: %s (see '%s completion --help')", clidoc.ShellNames(), r.name))
			}
			return withCode(exitGeneric, fmt.Errorf("usage: unknown shell %q: want one of %s (see '%s completion --help')", c.Args().First(), clidoc.ShellNames(), r.name))
		},
	}
	for _, s := range clidoc.Shells {
		cmd.Subcommands = append(cmd.Subcommands, r.printCommand(s.Name, "print the "+s.Name+" completion script", "usage: completion takes one argument, the shell", s.Gen))
	}
	return cmd
}

func (r *runner) docsCommand() *cli.Command {
	render := map[string]func(*cli.App) string{
		"man":      func(a *cli.App) string { return clidoc.Man(a, docExits(), docGlobals()) },
		"markdown": func(a *cli.App) string { return clidoc.Markdown(a, docExits(), docGlobals()) },
	}
	cmd := &cli.Command{
		Name:            "docs",
		Usage:           "print the man page or the Markdown reference (make docs)",
		Hidden:          true,
		HideHelpCommand: true,
		OnUsageError:    usageError,
		Action: func(c *cli.Context) error {
			return withCode(exitGeneric, fmt.Errorf("usage: %s docs man|markdown", r.name))
		},
	}
	for _, n := range []string{"man", "markdown"} {
		cmd.Subcommands = append(cmd.Subcommands, r.printCommand(n, "", "usage: docs man|markdown takes no arguments", render[n]))
	}
	return cmd
}

// printCommand is a subcommand that prints what gen renders of the whole
// app; given arguments, it fails with usage.
func (r *runner) printCommand(name, help, usage string, gen func(*cli.App) string) *cli.Command {
	return &cli.Command{Name: name, Usage: help, OnUsageError: usageError, Action: func(c *cli.Context) error {
		if c.NArg() > 0 {
			return withCode(exitGeneric, errors.New(usage))
		}
		_, err := fmt.Fprint(r.stdout, gen(r.app()))
		return err
	}}
}

// docGlobals names the global flags ("verbose", …) for the docs.
func docGlobals() []string { return flagSet.In(gGlobal) }

// docExits is the exit-code table for the man page and the reference.
func docExits() []clidoc.Exit {
	out := make([]clidoc.Exit, len(exitCodes))
	for i, e := range exitCodes {
		out[i] = clidoc.Exit{Code: e.code, Text: e.text}
	}
	return out
}
