package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull/internal/gitattr"
)

// hull hooks install|uninstall: a plain git pre-commit hook that runs
// 'hull scan --staged' and 'hull check' on the staged files. For the
// pre-commit framework, see .pre-commit-hooks.yaml at the repository root.

const gHooks = "hooks" // hooks install: --force

func (r *runner) hooksCommand() *cli.Command {
	return &cli.Command{
		Name:  "hooks",
		Usage: "install or remove the git pre-commit hook that runs 'hull scan --staged' and 'hull check'",
		Description: "'hull hooks install' writes the pre-commit hook of the repository around the working\n" +
			"directory (.git/hooks/pre-commit, or core.hooksPath), mode 0755. Before each commit it\n" +
			"runs 'hull scan --staged' (plaintext secrets in the staged content) and 'hull check' on\n" +
			"the staged files (files a .sops.yaml creation rule covers must be encrypted); either\n" +
			"failing blocks the commit ('git commit --no-verify' skips it). The hook runs the hull\n" +
			"found on PATH, else the binary that installed it. Files no creation rule covers are\n" +
			"not checked, nothing is printed when the commit may go ahead, and a staged file whose\n" +
			"recipients or rule differ from .sops.yaml (drift) is a warning unless --block-drift.\n" +
			"An existing hook that hull did not write is kept: install refuses (exit 3) unless\n" +
			"--force, which renames it pre-commit.hull-chained and runs it before hull's checks.\n" +
			"'hull hooks uninstall' removes the hook only if hull wrote it, and puts back the one\n" +
			"it replaced. With the pre-commit framework, use the hooks hull-scan and\n" +
			"hull-check of this repository's .pre-commit-hooks.yaml instead.",
		// The flags are also the parent's: hull's argument normalisation moves
		// them before the subcommand name, and urfave looks them up there too.
		Flags: flagsFor(gGlobal, gHooks),
		Subcommands: []*cli.Command{
			{
				Name:         "install",
				Usage:        "write the git pre-commit hook",
				Flags:        flagsFor(gGlobal, gHooks),
				Action:       act(r.cmdHooksInstall),
				OnUsageError: usageError,
			},
			{
				Name:         "uninstall",
				Usage:        "remove the git pre-commit hook if hull wrote it",
				Flags:        flagsFor(gGlobal),
				Action:       act(r.cmdHooksUninstall),
				OnUsageError: usageError,
			},
		},
		OnUsageError: usageError,
	}
}

// gitattrErr gives internal/gitattr's file errors their exit codes.
func gitattrErr(err error) error {
	var fe *gitattr.FileError
	switch {
	case errors.As(err, &fe) && fe.Write:
		return withCode(exitCouldNotWrite, err)
	case fe != nil:
		return withCode(exitCouldNotRead, err)
	}
	return withCode(exitGeneric, err)
}

func (r *runner) cmdHooksInstall(cl *cmdLine) error {
	return r.hookReport(cl, func() (*gitattr.HookReport, error) {
		return gitattr.Install(context.Background(), ".", "", cl.on("block-drift"), cl.on("force"))
	})
}

func (r *runner) cmdHooksUninstall(cl *cmdLine) error {
	return r.hookReport(cl, func() (*gitattr.HookReport, error) { return gitattr.Uninstall(context.Background(), ".") })
}

// hookReport runs install or uninstall, which take no arguments, and
// prints what it did.
func (r *runner) hookReport(cl *cmdLine, run func() (*gitattr.HookReport, error)) error {
	if len(cl.args) > 0 {
		return withCode(exitGeneric, fmt.Errorf("usage: hooks %s takes no arguments", cl.command()))
	}
	rep, err := run()
	if err != nil {
		return gitattrErr(err)
	}
	for _, l := range rep.Lines() {
		fmt.Fprintf(r.stderr, "%s: %s\n", r.name, l)
	}
	return nil
}
