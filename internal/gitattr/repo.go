package gitattr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/internal/fserr"
)

// FileError is a file that could not be read or written (Write). Its
// message says which file and why; callers choose an exit status by Write.
type FileError struct {
	Write bool
	Msg   string
	Err   error
}

func (e *FileError) Error() string { return e.Msg }
func (e *FileError) Unwrap() error { return e.Err }

func readErr(path string, err error) error {
	return &FileError{Msg: fmt.Sprintf("cannot read %s: %v", path, fserr.Bare(err)), Err: err}
}

func writeErr(format string, err error, args ...any) error {
	return &FileError{Write: true, Msg: fmt.Sprintf(format, append(args, fserr.Bare(err))...), Err: err}
}

// Git runs git with args in dir and returns its standard output; an error
// carries git's standard error.
func Git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return out.String(), fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return out.String(), nil
}

// GenericPatterns are the patterns of encrypted files when no creation
// rule can be turned into patterns.
var GenericPatterns = []string{"*.enc.yaml", "*.enc.yml", "*.enc.json", "*.enc.env", "*.enc.ini"}

// Attributes are the attributes 'hull git setup' gives encrypted files.
const Attributes = "diff=hull merge=hull"

// GitConfig is what 'hull git setup' sets in git's config, in order. The
// textconv cache stays off: a cached textconv output would be plaintext
// inside .git.
var GitConfig = [][2]string{
	{"diff.hull.textconv", "hull diff"},
	{"diff.hull.cachetextconv", "false"},
	{"merge.hull.name", "hull: merge encrypted files key by key"},
	{"merge.hull.driver", "hull merge %O %A %B %P"},
}

// AddAttributes adds a line "PATTERN diff=hull merge=hull" to the
// .gitattributes of dir (in the repository whose top is top) for every
// pattern (GenericPatterns when there is none), then a line for every
// tracked file below dir that is encrypted and still not covered. Lines
// already there are not added again. It returns the lines it added, in
// order; none when the file was up to date.
func AddAttributes(ctx context.Context, dir string, patterns []string) ([]string, error) {
	if len(patterns) == 0 {
		patterns = GenericPatterns
	}
	attrPath := filepath.Join(dir, ".gitattributes")
	existing, err := os.ReadFile(attrPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, readErr(attrPath, err)
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(existing), "\n") {
		have[strings.Join(strings.Fields(l), " ")] = true
	}
	var added, all []string
	add := func(p string) {
		line := QuotePattern(p) + " " + Attributes
		if !have[line] {
			have[line] = true
			added = append(added, line)
		}
	}
	write := func() error {
		if len(added) == 0 {
			return nil
		}
		out := existing
		if len(out) > 0 && !bytes.HasSuffix(out, []byte("\n")) {
			out = append(out, '\n')
		}
		if len(existing) == 0 {
			out = append(out, "# hull: decrypted diffs and key-by-key merges of encrypted files ('hull git setup')\n"...)
		}
		for _, l := range added {
			out = append(out, l+"\n"...)
		}
		if err := hull.WriteFile(attrPath, out, hull.WriteOptions{Perm: 0o644}); err != nil {
			return writeErr("cannot write %s: %v", err, attrPath)
		}
		existing, all, added = out, append(all, added...), nil
		return nil
	}
	for _, p := range patterns {
		add(p)
	}
	if err := write(); err != nil {
		return all, err
	}
	// Tracked files that are encrypted but not covered get a line each.
	for _, f := range uncoveredEncrypted(ctx, dir) {
		add("/" + Escape(filepath.ToSlash(f)))
	}
	err = write()
	return all, err
}

var encryptedMarker = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)(^sops:\s*$|"mac": "ENC\[|^sops_mac=ENC\[|^\[sops\]\s*$)`)
})

// uncoveredEncrypted lists the tracked files below dir (relative to it)
// that look encrypted and have no diff=hull attribute.
func uncoveredEncrypted(ctx context.Context, dir string) []string {
	out, err := Git(ctx, dir, "ls-files", "-z")
	if err != nil {
		return nil
	}
	var enc []string
	for _, f := range strings.Split(out, "\x00") {
		if f == "" {
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || !fi.Mode().IsRegular() || fi.Size() > 16<<20 {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || !bytes.Contains(data, []byte("ENC[AES256_GCM,")) || !encryptedMarker().Match(data) {
			continue
		}
		enc = append(enc, f)
	}
	if len(enc) == 0 {
		return nil
	}
	attrs, err := Git(ctx, dir, append([]string{"check-attr", "-z", "diff", "--"}, enc...)...)
	if err != nil {
		return nil
	}
	covered := map[string]bool{}
	parts := strings.Split(attrs, "\x00")
	for i := 0; i+2 < len(parts); i += 3 {
		if parts[i+2] == "hull" {
			covered[parts[i]] = true
		}
	}
	var missing []string
	for _, f := range enc {
		if !covered[f] {
			missing = append(missing, f)
		}
	}
	return missing
}

// HookMarker identifies a pre-commit hook hull wrote: UninstallHook
// removes only those, and InstallHook replaces them without Force.
const HookMarker = "# hull-hook: pre-commit v1"

// ChainedHook is the name, next to the hook, under which InstallHook with
// Force keeps a pre-commit hook hull did not write; hull's hook runs it
// first and UninstallHook puts it back.
const ChainedHook = "pre-commit.hull-chained"

// HookPath is the pre-commit hook of the repository around dir, honouring
// core.hooksPath and worktrees.
func HookPath(ctx context.Context, dir string) (string, error) {
	out, err := Git(ctx, dir, "rev-parse", "--git-path", "hooks")
	if err != nil {
		return "", errors.New("not inside a git repository")
	}
	hooks := strings.TrimSpace(out)
	if !filepath.IsAbs(hooks) {
		if hooks, err = filepath.Abs(filepath.Join(dir, hooks)); err != nil {
			return "", err
		}
	}
	return filepath.Join(hooks, "pre-commit"), nil
}

// HookScript is the pre-commit hook: it runs a chained hook, then
// 'hull scan --staged' and 'hull check --pre-commit' on the staged files,
// with hull from PATH, else the binary at fallback. blockDrift makes drift
// fail the commit instead of warning.
func HookScript(fallback string, blockDrift bool) []byte {
	drift := ""
	if blockDrift {
		drift = " --drift error"
	}
	return []byte(`#!/bin/sh
` + HookMarker + `
# Written by 'hull hooks install'; 'hull hooks uninstall' removes it (and
# puts back the hook it replaced, kept as ` + ChainedHook + `).
# Blocks the commit when the staged changes hold a plaintext secret
# ('hull scan --staged') or a staged file a .sops.yaml rule covers is not
# properly encrypted ('hull check --pre-commit'; files no rule covers are
# not checked). 'git commit --no-verify' skips it.
chained="$(dirname "$0")/` + ChainedHook + `"
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

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Hook results.
const (
	HookInstalled        = iota // written
	HookAlreadyInstalled        // the same script was there
	HookChained                 // written; the user's hook kept as ChainedHook
)

// InstallHook writes script as the pre-commit hook at path, mode 0755. A
// hook hull did not write is kept: without force it is an error; with
// force it is renamed ChainedHook (which the script runs first).
func InstallHook(path string, script []byte, force bool) (int, error) {
	chained := filepath.Join(filepath.Dir(path), ChainedHook)
	old, err := os.ReadFile(path)
	foreign := err == nil && !bytes.Contains(old, []byte(HookMarker))
	switch {
	case err == nil && bytes.Equal(old, script):
		return HookAlreadyInstalled, nil
	case foreign && !force:
		return 0, &FileError{Write: true, Msg: fmt.Sprintf("%s exists and was not written by hull; not replacing it (--force keeps it as %s and runs it before hull's checks; or call 'hull scan --staged' and 'hull check --pre-commit' from your hook)", path, ChainedHook)}
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return 0, readErr(path, err)
	}
	if foreign {
		if _, err := os.Lstat(chained); err == nil {
			return 0, &FileError{Write: true, Msg: fmt.Sprintf("%s exists and was not written by hull, and %s exists too; not replacing either: merge them into one hook first", path, chained)}
		}
		// A hard link, then the hook is replaced atomically: the user's
		// hook exists under one of the names at every moment.
		if err := os.Link(path, chained); err != nil {
			return 0, writeErr("cannot keep %s as %s: %v", err, path, chained)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, writeErr("cannot create %s: %v", err, filepath.Dir(path))
	}
	if foreign {
		// The user's hook is safe under its new name; the old name may be
		// a symbolic link (hook managers), which is removed, not written
		// through.
		if err := os.Remove(path); err != nil {
			return 0, writeErr("cannot replace %s: %v", err, path)
		}
	}
	if err := hull.WriteFile(path, script, hull.WriteOptions{Perm: 0o755}); err != nil {
		return 0, writeErr("cannot write %s: %v", err, path)
	}
	// WriteFile keeps the mode of a file it replaces; a hook must be
	// executable.
	if err := os.Chmod(path, 0o755); err != nil {
		return 0, writeErr("cannot make %s executable: %v", err, path)
	}
	if foreign {
		return HookChained, nil
	}
	return HookInstalled, nil
}

// Uninstall results.
const (
	HookNone     = iota // there was no hook
	HookRemoved         // hull's hook was removed
	HookRestored        // hull's hook was replaced by the ChainedHook it kept
)

// UninstallHook removes the pre-commit hook at path if hull wrote it, and
// puts back the hook InstallHook kept.
func UninstallHook(path string) (int, error) {
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return HookNone, nil
	}
	if err != nil {
		return 0, readErr(path, err)
	}
	if !bytes.Contains(old, []byte(HookMarker)) {
		return 0, &FileError{Write: true, Msg: fmt.Sprintf("%s was not written by hull; not removing it", path)}
	}
	chained := filepath.Join(filepath.Dir(path), ChainedHook)
	if _, err := os.Lstat(chained); err == nil {
		// Put back the hook install --force replaced (rename is atomic).
		if err := os.Rename(chained, path); err != nil {
			return 0, writeErr("cannot put %s back as %s: %v", err, chained, path)
		}
		return HookRestored, nil
	}
	if err := os.Remove(path); err != nil {
		return 0, writeErr("cannot remove %s: %v", err, path)
	}
	return HookRemoved, nil
}

// ConfigChange is one setting of GitConfig: Set is false when it had the
// value already.
type ConfigChange struct {
	Key, Value string
	Set        bool
}

// ConfigureGit sets GitConfig in the git config of the repository at dir
// (with global, the user's global config), leaving the settings that have
// their value already.
func ConfigureGit(ctx context.Context, dir string, global bool) ([]ConfigChange, error) {
	scope := "--local"
	if global {
		scope = "--global"
	}
	var changes []ConfigChange
	for _, kv := range GitConfig {
		cur, _ := Git(ctx, dir, "config", scope, "--get", kv[0])
		ch := ConfigChange{Key: kv[0], Value: kv[1], Set: strings.TrimSuffix(cur, "\n") != kv[1]}
		if ch.Set {
			if _, err := Git(ctx, dir, "config", scope, kv[0], kv[1]); err != nil {
				return changes, &FileError{Write: true, Msg: err.Error(), Err: err}
			}
		}
		changes = append(changes, ch)
	}
	return changes, nil
}
