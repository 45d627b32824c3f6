package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
)

// hull hooks install|uninstall: a plain git pre-commit hook that runs
// 'hull scan --staged' and 'hull check' on the staged files. For the
// pre-commit framework, see .pre-commit-hooks.yaml at the repository root.

const gHooks = "hooks" // hooks install: --force

// hookMarker identifies a hook hull wrote; uninstall removes only those,
// and install replaces them without --force.
const hookMarker = "# hull-hook: pre-commit v1"

func (r *runner) hooksCommand() *cli.Command {
	return &cli.Command{
		Name:  "hooks",
		Usage: "install or remove the git pre-commit hook that runs 'hull scan --staged' and 'hull check'",
		Description: "'hull hooks install' writes the pre-commit hook of the repository around the working\n" +
			"directory (.git/hooks/pre-commit, or core.hooksPath), mode 0755. Before each commit it\n" +
			"runs 'hull scan --staged' (plaintext secrets in the staged content) and 'hull check' on\n" +
			"the staged files (files a .sops.yaml creation rule covers must be encrypted); either\n" +
			"failing blocks the commit ('git commit --no-verify' skips it). The hook runs the hull\n" +
			"found on PATH, else the binary that installed it. An existing hook that hull did not\n" +
			"write is kept unless --force is given (exit 3). 'hull hooks uninstall' removes the hook\n" +
			"only if hull wrote it. With the pre-commit framework, use the hooks hull-scan and\n" +
			"hull-check of this repository's .pre-commit-hooks.yaml instead.",
		// The flags are also the parent's: hull's argument normalisation moves
		// them before the subcommand name, and urfave looks them up there too.
		Flags: flagsFor(gGlobal, gHooks),
		Subcommands: []*cli.Command{
			{
				Name:         "install",
				Usage:        "write the git pre-commit hook",
				Flags:        flagsFor(gGlobal, gHooks),
				Action:       r.cmdHooksInstall,
				OnUsageError: usageError,
			},
			{
				Name:         "uninstall",
				Usage:        "remove the git pre-commit hook if hull wrote it",
				Flags:        flagsFor(gGlobal),
				Action:       r.cmdHooksUninstall,
				OnUsageError: usageError,
			},
		},
		OnUsageError: usageError,
	}
}

// hookPath is the pre-commit hook of the repository around the working
// directory, honouring core.hooksPath and worktrees.
func hookPath() (string, error) {
	out, err := exec.CommandContext(context.Background(), "git", "rev-parse", "--git-path", "hooks").Output()
	if err != nil {
		return "", withCode(exitGeneric, errors.New("not inside a git repository"))
	}
	dir := strings.TrimSpace(string(out))
	if !filepath.IsAbs(dir) {
		cwd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(cwd, dir)
	}
	return filepath.Join(dir, "pre-commit"), nil
}

// hookScript is the hook: hull from PATH, else the binary at fallback.
func hookScript(fallback string) []byte {
	return []byte(`#!/bin/sh
` + hookMarker + `
# Written by 'hull hooks install'; 'hull hooks uninstall' removes it.
# Blocks the commit when the staged changes hold a plaintext secret
# ('hull scan --staged') or a file a .sops.yaml rule covers is not properly
# encrypted ('hull check'). 'git commit --no-verify' skips it.
hull=hull
command -v hull >/dev/null 2>&1 || hull=` + shellQuote(fallback) + `

"$hull" scan --staged || exit $?

# hull check on the staged files (added, copied, modified, renamed).
files=$(git diff --cached --name-only --diff-filter=ACMR -z | tr '\0' '\n')
[ -n "$files" ] || exit 0
top=$(git rev-parse --show-toplevel) || exit 1
cd "$top" || exit 1
printf '%s\n' "$files" | {
	set --
	while IFS= read -r f; do set -- "$@" "$f"; done
	"$hull" check -- "$@"
}
`)
}

// anyBool: the flag is set on the command or on its parent (where
// argument normalisation may have put it).
func anyBool(c *cli.Context, name string) bool {
	for _, x := range c.Lineage() {
		if x.Bool(name) {
			return true
		}
	}
	return false
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func (r *runner) cmdHooksInstall(c *cli.Context) error {
	if c.NArg() > 0 {
		return withCode(exitGeneric, fmt.Errorf("usage: hooks install takes no arguments"))
	}
	path, err := hookPath()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		self = "hull"
	} else if p, err := filepath.EvalSymlinks(self); err == nil {
		self = p
	}
	script := hookScript(self)
	old, err := os.ReadFile(path)
	switch {
	case err == nil && bytes.Equal(old, script):
		fmt.Fprintf(r.stderr, "%s: %s is already installed\n", r.name, path)
		return nil
	case err == nil && !bytes.Contains(old, []byte(hookMarker)) && !anyBool(c, "force"):
		return withCode(exitCouldNotWrite, fmt.Errorf("%s exists and was not written by hull; not replacing it (use --force, or call 'hull scan --staged' from your hook)", path))
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return withCode(exitCouldNotRead, fmt.Errorf("cannot read %s: %v", path, unwrapPathErr(err)))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return withCode(exitCouldNotWrite, fmt.Errorf("cannot create %s: %v", filepath.Dir(path), unwrapPathErr(err)))
	}
	if err := hull.WriteFile(path, script, hull.WriteOptions{Perm: 0o755}); err != nil {
		return withCode(exitCouldNotWrite, fmt.Errorf("cannot write %s: %v", path, unwrapPathErr(err)))
	}
	// atomicfile keeps the mode of a file it replaces; a hook must be executable.
	if err := os.Chmod(path, 0o755); err != nil {
		return withCode(exitCouldNotWrite, fmt.Errorf("cannot make %s executable: %v", path, unwrapPathErr(err)))
	}
	fmt.Fprintf(r.stderr, "%s: installed %s\n", r.name, path)
	return nil
}

func (r *runner) cmdHooksUninstall(c *cli.Context) error {
	if c.NArg() > 0 {
		return withCode(exitGeneric, fmt.Errorf("usage: hooks uninstall takes no arguments"))
	}
	path, err := hookPath()
	if err != nil {
		return err
	}
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(r.stderr, "%s: no pre-commit hook installed\n", r.name)
		return nil
	}
	if err != nil {
		return withCode(exitCouldNotRead, fmt.Errorf("cannot read %s: %v", path, unwrapPathErr(err)))
	}
	if !bytes.Contains(old, []byte(hookMarker)) {
		return withCode(exitCouldNotWrite, fmt.Errorf("%s was not written by hull; not removing it", path))
	}
	if err := os.Remove(path); err != nil {
		return withCode(exitCouldNotWrite, fmt.Errorf("cannot remove %s: %v", path, unwrapPathErr(err)))
	}
	fmt.Fprintf(r.stderr, "%s: removed %s\n", r.name, path)
	return nil
}
