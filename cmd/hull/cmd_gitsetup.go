package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/internal/gitattr"
)

// genericPatterns are used when no creation rule can be turned into
// patterns.
var genericPatterns = []string{"*.enc.yaml", "*.enc.yml", "*.enc.json", "*.enc.env", "*.enc.ini"}

// gitConfig is what "hull git setup" sets. The textconv cache stays off:
// a cached textconv output would be plaintext inside .git.
var gitConfig = [][2]string{
	{"diff.hull.textconv", "hull diff"},
	{"diff.hull.cachetextconv", "false"},
	{"merge.hull.name", "hull: merge encrypted files key by key"},
	{"merge.hull.driver", "hull merge %O %A %B %P"},
}

const gitAttrs = "diff=hull merge=hull"

func (r *runner) git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
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

func (r *runner) cmdGitSetup(c *cli.Context) error {
	if c.NArg() > 0 {
		return withCode(exitGeneric, fmt.Errorf("usage: hull git setup [--global] (no arguments expected, got %q)", c.Args().First()))
	}
	// normalize moves the flag before "setup", onto the git command.
	global := false
	for _, x := range c.Lineage() {
		if x.Command != nil && hasFlag(x, "global") && x.Bool("global") {
			global = true
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	top, err := r.git(wd, "rev-parse", "--show-toplevel")
	top = strings.TrimSpace(top)
	if err != nil && !global {
		return withCode(exitGeneric, errors.New("not inside a git repository: run 'hull git setup' in one (or use --global to set up only your global git config)"))
	}
	if err == nil {
		if err := r.setupAttributes(c, top); err != nil {
			return err
		}
	}
	scope, where := "--local", ".git/config"
	if global {
		scope, where = "--global", "global git config"
	}
	dir := top
	if dir == "" {
		dir = wd
	}
	for _, kv := range gitConfig {
		cur, _ := r.git(dir, "config", scope, "--get", kv[0])
		if strings.TrimSuffix(cur, "\n") == kv[1] {
			fmt.Fprintf(r.stdout, "%s: %s is already %q\n", where, kv[0], kv[1])
			continue
		}
		if _, err := r.git(dir, "config", scope, kv[0], kv[1]); err != nil {
			return withCode(exitCouldNotWrite, err)
		}
		fmt.Fprintf(r.stdout, "%s: set %s = %q\n", where, kv[0], kv[1])
	}
	return nil
}

// setupAttributes adds the .gitattributes lines.
func (r *runner) setupAttributes(c *cli.Context, top string) error {
	cfg, err := r.loadConfig(c, "")
	if err != nil {
		return err
	}
	dir := top
	var patterns []string
	if cfg != nil && (cfg.Dir == top || strings.HasPrefix(cfg.Dir, top+string(filepath.Separator))) {
		dir = cfg.Dir
		for _, cr := range cfg.CreationRules {
			if cr.PathRegex == nil {
				continue
			}
			globs, ok := gitattr.Globs(cr.PathRegex.String())
			if !ok {
				r.warnf("%s:%d: path_regex %q has no .gitattributes equivalent; files it matches get a line each when they are tracked", config.FileName, cr.Line, cr.PathRegex.String())
				continue
			}
			patterns = append(patterns, globs...)
		}
	}
	if len(patterns) == 0 {
		patterns = genericPatterns
	}
	attrPath := filepath.Join(dir, ".gitattributes")
	rel, _ := filepath.Rel(top, attrPath)
	existing, err := os.ReadFile(attrPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return withCode(exitCouldNotRead, fmt.Errorf("cannot read %s: %w", attrPath, unwrapPathErr(err)))
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(existing), "\n") {
		have[strings.Join(strings.Fields(l), " ")] = true
	}
	var added []string
	changed := false
	add := func(p string) {
		line := gitattr.QuotePattern(p) + " " + gitAttrs
		if have[line] {
			return
		}
		have[line] = true
		added = append(added, line)
	}
	for _, p := range patterns {
		add(p)
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
			return withCode(exitCouldNotWrite, fmt.Errorf("cannot write %s: %w", attrPath, unwrapPathErr(err)))
		}
		existing, changed = out, true
		for _, l := range added {
			fmt.Fprintf(r.stdout, "%s: added %q\n", rel, l)
		}
		added = nil
		return nil
	}
	if err := write(); err != nil {
		return err
	}
	// Tracked files that are encrypted but not covered get a line each.
	for _, f := range r.uncoveredEncrypted(dir) {
		add("/" + gitattr.Escape(filepath.ToSlash(f)))
	}
	if err := write(); err != nil {
		return err
	}
	if !changed {
		fmt.Fprintf(r.stdout, "%s: up to date\n", rel)
	}
	return nil
}

var encryptedMarker = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?m)(^sops:\s*$|"mac": "ENC\[|^sops_mac=ENC\[|^\[sops\]\s*$)`)
})

// uncoveredEncrypted lists the tracked files below dir (relative to it)
// that look encrypted and have no diff=hull attribute.
func (r *runner) uncoveredEncrypted(dir string) []string {
	out, err := r.git(dir, "ls-files", "-z")
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
	attrs, err := r.git(dir, append([]string{"check-attr", "-z", "diff", "--"}, enc...)...)
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
