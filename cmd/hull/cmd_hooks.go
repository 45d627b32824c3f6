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

// chainedHook is the name, next to the hook, under which install --force
// keeps a pre-commit hook hull did not write; hull's hook runs it first and
// uninstall puts it back.
const chainedHook = "pre-commit.hull-chained"

// hookScript is the hook: hull from PATH, else the binary at fallback.
// blockDrift makes drift fail the commit instead of warning.
func hookScript(fallback string, blockDrift bool) []byte {
	drift := ""
	if blockDrift {
		drift = " --drift error"
	}
	return []byte(`#!/bin/sh
` + hookMarker + `
# Written by 'hull hooks install'; 'hull hooks uninstall' removes it (and
# puts back the hook it replaced, kept as ` + chainedHook + `).
# Blocks the commit when the staged changes hold a plaintext secret
# ('hull scan --staged') or a staged file a .sops.yaml rule covers is not
# properly encrypted ('hull check --pre-commit'; files no rule covers are
# not checked). 'git commit --no-verify' skips it.
chained="$(dirname "$0")/` + chainedHook + `"
if [ -x "$chained" ]; then
	"$chained" "$@" || exit $?
fi

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
	"$hull" check --pre-commit` + drift + ` -- "$@"
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
	script := hookScript(self, anyBool(c, "block-drift"))
	chained := filepath.Join(filepath.Dir(path), chainedHook)
	old, err := os.ReadFile(path)
	foreign := err == nil && !bytes.Contains(old, []byte(hookMarker))
	switch {
	case err == nil && bytes.Equal(old, script):
		fmt.Fprintf(r.stderr, "%s: %s is already installed\n", r.name, path)
		return nil
	case foreign && !anyBool(c, "force"):
		return withCode(exitCouldNotWrite, fmt.Errorf("%s exists and was not written by hull; not replacing it (--force keeps it as %s and runs it before hull's checks; or call 'hull scan --staged' and 'hull check --pre-commit' from your hook)", path, chainedHook))
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return withCode(exitCouldNotRead, fmt.Errorf("cannot read %s: %v", path, unwrapPathErr(err)))
	}
	if foreign {
		if _, err := os.Lstat(chained); err == nil {
			return withCode(exitCouldNotWrite, fmt.Errorf("%s exists and was not written by hull, and %s exists too; not replacing either: merge them into one hook first", path, chained))
		}
		// A hard link, then the hook is replaced atomically: the user's hook
		// exists under one of the names at every moment.
		if err := os.Link(path, chained); err != nil {
			return withCode(exitCouldNotWrite, fmt.Errorf("cannot keep %s as %s: %v", path, chained, unwrapPathErr(err)))
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return withCode(exitCouldNotWrite, fmt.Errorf("cannot create %s: %v", filepath.Dir(path), unwrapPathErr(err)))
	}
	if foreign {
		// The user's hook is safe under its new name; the old name may be a
		// symbolic link (hook managers), which is removed, not written through.
		if err := os.Remove(path); err != nil {
			return withCode(exitCouldNotWrite, fmt.Errorf("cannot replace %s: %v", path, unwrapPathErr(err)))
		}
	}
	if err := hull.WriteFile(path, script, hull.WriteOptions{Perm: 0o755}); err != nil {
		return withCode(exitCouldNotWrite, fmt.Errorf("cannot write %s: %v", path, unwrapPathErr(err)))
	}
	// atomicfile keeps the mode of a file it replaces; a hook must be executable.
	if err := os.Chmod(path, 0o755); err != nil {
		return withCode(exitCouldNotWrite, fmt.Errorf("cannot make %s executable: %v", path, unwrapPathErr(err)))
	}
	fmt.Fprintf(r.stderr, "%s: installed %s\n", r.name, path)
	if foreign {
		fmt.Fprintf(r.stderr, "%s: your previous hook is kept as %s and runs first; 'hull hooks uninstall' puts it back\n", r.name, chained)
	}
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
	chained := filepath.Join(filepath.Dir(path), chainedHook)
	if _, err := os.Lstat(chained); err == nil {
		// Put back the hook install --force replaced (rename is atomic).
		if err := os.Rename(chained, path); err != nil {
			return withCode(exitCouldNotWrite, fmt.Errorf("cannot put %s back as %s: %v", chained, path, unwrapPathErr(err)))
		}
		fmt.Fprintf(r.stderr, "%s: removed hull's hook and put back %s from %s\n", r.name, path, chainedHook)
		return nil
	}
	if err := os.Remove(path); err != nil {
		return withCode(exitCouldNotWrite, fmt.Errorf("cannot remove %s: %v", path, unwrapPathErr(err)))
	}
	fmt.Fprintf(r.stderr, "%s: removed %s\n", r.name, path)
	return nil
}
