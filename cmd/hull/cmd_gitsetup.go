package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
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
			globs, ok := regexToGlobs(cr.PathRegex.String())
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
		line := p + " " + gitAttrs
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
		add("/" + escapeGlob(filepath.ToSlash(f)))
	}
	if err := write(); err != nil {
		return err
	}
	if !changed {
		fmt.Fprintf(r.stdout, "%s: up to date\n", rel)
	}
	return nil
}

var encryptedMarker = regexp.MustCompile(`(?m)(^sops:\s*$|"mac": "ENC\[|^sops_mac=ENC\[|^\[sops\]\s*$)`)

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
		if err != nil || !bytes.Contains(data, []byte("ENC[AES256_GCM,")) || !encryptedMarker.Match(data) {
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

// escapeGlob escapes the characters that are special in a gitattributes
// pattern; a space (which would end the pattern) becomes "?".
func escapeGlob(s string) string {
	var b strings.Builder
	for _, ch := range s {
		switch ch {
		case '*', '?', '[', ']', '\\', '!', '#':
			b.WriteByte('\\')
			b.WriteRune(ch)
		case ' ', '\t':
			b.WriteByte('?')
		default:
			b.WriteRune(ch)
		}
	}
	return b.String()
}

// A glob token: literal text, "*" within a path segment, or anything
// (slashes included).
type gtok struct {
	lit  string
	kind byte // 'l' literal, 's' segment star, 'a' any
}

const maxGlobAlts = 16

// regexToGlobs turns a path_regex into gitattributes patterns that match
// at least the paths it matches (more is harmless: hull diff prints a
// plaintext file as it is, and hull merge merges it as text). ok is false
// when the regex uses something that cannot be expressed, or matches every
// path.
func regexToGlobs(expr string) ([]string, bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, false
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	startAnchored, endAnchored := false, false
	if len(subs) > 0 && (subs[0].Op == syntax.OpBeginText || subs[0].Op == syntax.OpBeginLine) {
		startAnchored, subs = true, subs[1:]
	}
	if len(subs) > 0 && (subs[len(subs)-1].Op == syntax.OpEndText || subs[len(subs)-1].Op == syntax.OpEndLine) {
		endAnchored, subs = true, subs[:len(subs)-1]
	}
	alts, ok := globConcat(subs)
	if !ok {
		return nil, false
	}
	var out []string
	seen := map[string]bool{}
	for _, a := range alts {
		if !startAnchored {
			a = append([]gtok{{kind: 'a'}}, a...)
		}
		if !endAnchored {
			a = append(a, gtok{kind: 'a'})
		}
		for _, g := range renderGlob(mergeToks(a)) {
			if g == "*" || g == "**" || g == "" || g == "**/*" {
				return nil, false // every path
			}
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		}
	}
	return out, len(out) > 0
}

func globConcat(subs []*syntax.Regexp) ([][]gtok, bool) {
	alts := [][]gtok{nil}
	for _, s := range subs {
		sa, ok := globAlts(s)
		if !ok {
			return nil, false
		}
		var next [][]gtok
		for _, a := range alts {
			for _, b := range sa {
				next = append(next, append(append([]gtok(nil), a...), b...))
			}
		}
		if len(next) > maxGlobAlts {
			return nil, false
		}
		alts = next
	}
	return alts, true
}

func classHasSlash(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return true
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= '/' && '/' <= re.Rune[i+1] {
				return true
			}
		}
		return false
	case syntax.OpLiteral:
		return strings.ContainsRune(string(re.Rune), '/')
	}
	return true
}

func globAlts(re *syntax.Regexp) ([][]gtok, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil, false
		}
		return [][]gtok{{{lit: string(re.Rune), kind: 'l'}}}, true
	case syntax.OpEmptyMatch:
		return [][]gtok{nil}, true
	case syntax.OpCapture:
		return globAlts(re.Sub[0])
	case syntax.OpConcat:
		return globConcat(re.Sub)
	case syntax.OpAlternate:
		var out [][]gtok
		for _, s := range re.Sub {
			a, ok := globAlts(s)
			if !ok {
				return nil, false
			}
			out = append(out, a...)
		}
		return out, len(out) <= maxGlobAlts
	case syntax.OpQuest:
		if re.Sub[0].Op == syntax.OpLiteral || re.Sub[0].Op == syntax.OpConcat || re.Sub[0].Op == syntax.OpCapture {
			a, ok := globAlts(re.Sub[0])
			if ok {
				return append(a, nil), true
			}
		}
		fallthrough
	case syntax.OpStar, syntax.OpPlus, syntax.OpRepeat, syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		inner := re
		if len(re.Sub) > 0 {
			inner = re.Sub[0]
		}
		if re.Op == syntax.OpCharClass && len(re.Rune) == 2 && re.Rune[0] == re.Rune[1] {
			return [][]gtok{{{lit: string(re.Rune[0]), kind: 'l'}}}, true
		}
		if classHasSlash(inner) {
			return [][]gtok{{{kind: 'a'}}}, true
		}
		return [][]gtok{{{kind: 's'}}}, true
	}
	return nil, false
}

// mergeToks joins adjacent literals and adjacent wildcards.
func mergeToks(in []gtok) []gtok {
	var out []gtok
	for _, t := range in {
		if t.kind == 'l' && t.lit == "" {
			continue
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.kind == 'l' && t.kind == 'l' {
				last.lit += t.lit
				continue
			}
			if last.kind != 'l' && t.kind != 'l' {
				if t.kind == 'a' {
					last.kind = 'a'
				}
				continue
			}
		}
		out = append(out, t)
	}
	return out
}

// renderGlob writes the tokens as gitattributes patterns; a wildcard that
// may cross directories can need two patterns.
func renderGlob(toks []gtok) []string {
	outs := []string{""}
	for i, t := range toks {
		var variants []string
		switch t.kind {
		case 'l':
			variants = []string{escapeGlob(t.lit)}
		case 's':
			variants = []string{"*"}
		case 'a':
			prevSlash := i > 0 && strings.HasSuffix(toks[i-1].lit, "/")
			nextSlash := i+1 < len(toks) && strings.HasPrefix(toks[i+1].lit, "/")
			restHasSlash := false
			for _, u := range toks[i+1:] {
				if strings.Contains(u.lit, "/") || u.kind == 'a' {
					restHasSlash = true
				}
			}
			switch {
			case i == 0 && !restHasSlash:
				variants = []string{"*"} // a pattern without '/' matches at any depth
			case i == 0 && nextSlash:
				variants = []string{"**"}
			case i == 0:
				variants = []string{"**/*"}
			case i+1 == len(toks) && prevSlash:
				variants = []string{"**"}
			case i+1 == len(toks):
				variants = []string{"*", "*/**"}
			case prevSlash && nextSlash:
				variants = []string{"**"}
			case prevSlash:
				variants = []string{"**/*"}
			case nextSlash:
				variants = []string{"*/**"}
			default:
				variants = []string{"*", "*/**/*"}
			}
		}
		var next []string
		for _, o := range outs {
			for _, v := range variants {
				next = append(next, o+v)
			}
		}
		outs = next
	}
	return outs
}
