//go:build unix

package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReadme runs the shell commands of README.md as a new user would,
// so that every command the README shows works as written.
//
// Rules for README.md (checked here):
//
//   - Every fenced block needs a language. Blocks in ```sh (or bash,
//     shell) and ```console are runnable; other languages (yaml, …) are
//     not commands and are left alone.
//   - A runnable block runs unless the line before it (blank lines aside)
//     is a marker:
//     <!-- readme-test: skip (WHY) -->  not run; the reason is required
//     (a cloud account, a cluster, an interactive editor, the network);
//     <!-- readme-test: checkout -->  run in a copy of the source checkout
//     (for make targets) instead of the user's repository; not run
//     with -short.
//     Any other "readme-test:" marker, or one not followed by a runnable
//     block, is an error.
//   - All runnable blocks run in README order in one bash script
//     (bash -euo pipefail), so a block can use files and variables of the
//     blocks before it. The script's line N is README.md's line N, so a
//     failing command is reported with its README line.
//   - A runnable command may not contain the placeholder "…": write
//     "$RECIPIENT" for your age public key. The quick start sets it
//     (RECIPIENT=$(hull keygen)); for the blocks before that, the test
//     sets it to the public key of a throwaway identity outside HOME.
//   - ```console blocks: lines starting with "$ " are commands (one line
//     each); the other lines are their output, checked loosely: each
//     non-empty shown line must match a line of the command's output
//     (stdout and stderr), in order, where "…" matches anything and
//     leading and trailing spaces are ignored. Output lines not shown may
//     appear anywhere.
//
// The script runs in a git repository (git init, a fixed committer)
// holding a copy of examples/ (its files and k8s/), with hull (this test binary under the name
// hull, as testscript.Main runs it) first on PATH, HOME, XDG_CONFIG_HOME,
// TMPDIR and GOBIN in the test's temporary directory, and none of the
// user's SOPS_*, HULL_*, VAULT_* or cloud variables.
func TestReadme(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not found")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc, errs := parseReadme(string(readme))
	for _, e := range errs {
		t.Error(e)
	}
	if len(errs) > 0 {
		t.FailNow()
	}
	var ran, skipped int
	for _, b := range doc.blocks {
		switch {
		case b.skip != "":
			skipped++
			t.Logf("README.md:%d: skipped: %s", b.line, b.skip)
		case b.checkout && testing.Short():
			skipped++
			t.Logf("README.md:%d: skipped with -short: runs in a copy of the checkout", b.line)
		default:
			ran++
		}
	}
	t.Logf("README.md: %d runnable blocks, %d skipped", ran, skipped)

	tmp := t.TempDir()
	dirs := map[string]string{}
	for _, d := range []string{"bin", "home", "work", "out", "tmp", "gobin", "checkout"} {
		dirs[d] = filepath.Join(tmp, d)
		if err := os.MkdirAll(dirs[d], 0o700); err != nil {
			t.Fatal(err)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	hullBin := filepath.Join(dirs["bin"], "hull")
	if err := os.Symlink(exe, hullBin); err != nil {
		t.Fatal(err)
	}
	if err := copyTree(filepath.Join(root, "examples"), dirs["work"], onlyTourExamples); err != nil {
		t.Fatal(err)
	}
	needCheckout := false
	for _, b := range doc.blocks {
		needCheckout = needCheckout || (b.checkout && b.skip == "" && !testing.Short())
	}
	if needCheckout {
		if err := copyTree(root, dirs["checkout"], skipInCheckoutCopy); err != nil {
			t.Fatal(err)
		}
	}

	env := []string{
		"PATH=" + dirs["bin"] + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + dirs["home"],
		"XDG_CONFIG_HOME=" + filepath.Join(dirs["home"], ".config"),
		"TMPDIR=" + dirs["tmp"],
		"GOBIN=" + dirs["gobin"],
		"LC_ALL=C.UTF-8",
		goraceEnv(),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=README test", "GIT_AUTHOR_EMAIL=readme@example.com",
		"GIT_COMMITTER_NAME=README test", "GIT_COMMITTER_EMAIL=readme@example.com",
		"READMETEST_OUT=" + dirs["out"],
		"READMETEST_CHECKOUT=" + dirs["checkout"],
	}
	// The Go build cache and module cache of the user, so that make targets
	// in the checkout build offline and fast. -trimpath keeps the copy's
	// directory out of the cache keys: its packages are then compiled once
	// for make build, go install and make demo, and later runs find them
	// in the cache (without it every run recompiled all of hull).
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOFLAGS", "GOTOOLCHAIN", "GOPROXY", "GONOSUMDB", "GOPRIVATE", "GOSUMDB"} {
		v, ok := os.LookupEnv(k)
		if !ok {
			if out, err := exec.Command("go", "env", k).Output(); err == nil {
				v = string(bytes.TrimSpace(out))
			}
		}
		if k == "GOFLAGS" && !strings.Contains(v, "-trimpath") {
			v = strings.TrimSpace(v + " -trimpath")
		}
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	run := func(dir string, name string, args ...string) string {
		t.Helper()
		c := exec.Command(name, args...)
		c.Dir, c.Env = dir, env
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run(dirs["work"], "git", "init", "-q")
	// A throwaway identity outside HOME, for the blocks before the quick
	// start's own hull keygen.
	recipient := run(tmp, hullBin, "keygen", filepath.Join(tmp, "readme-test-key.txt"))
	env = append(env, "RECIPIENT="+recipient)

	script := filepath.Join(tmp, "readme.sh")
	if err := os.WriteFile(script, []byte(doc.script(testing.Short())), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-euo", "pipefail", script)
	c.Dir, c.Env = dirs["work"], env
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	c.WaitDelay = 10 * time.Second
	runErr := c.Run()
	if runErr != nil {
		where := "README.md"
		if b, err := os.ReadFile(filepath.Join(dirs["out"], "failed")); err == nil {
			if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				where = fmt.Sprintf("README.md:%d: %s", n, strings.TrimSpace(doc.lines[n-1]))
			}
		}
		t.Errorf("%s: command failed: %v\noutput of the script:\n%s", where, runErr, out.String())
	} else {
		t.Logf("output of the script:\n%s", out.String())
	}
	for _, b := range doc.blocks {
		for _, cmd := range b.commands {
			got, err := os.ReadFile(filepath.Join(dirs["out"], strconv.Itoa(cmd.line)))
			if err != nil {
				continue // not reached: the failure is reported above
			}
			if msg := matchShownOutput(cmd.output, string(got)); msg != "" {
				t.Errorf("README.md:%d: $ %s\n%s\ngot:\n%s", cmd.line, cmd.text, msg, got)
			}
		}
	}
}

// readmeDoc is README.md split into lines, with its runnable blocks.
type readmeDoc struct {
	lines  []string
	blocks []*readmeBlock
}

type readmeBlock struct {
	line, end int    // the opening and closing fence (1-based)
	lang      string // sh or console
	indent    string // of the opening fence (a block in a list), cut from each line
	skip      string // the reason, when skipped
	checkout  bool
	commands  []consoleCommand // console blocks only
}

type consoleCommand struct {
	line   int
	text   string
	output []string
}

var (
	readmeMarker = regexp.MustCompile(`^<!--\s*readme-test:\s*(.*?)\s*-->$`)
	skipMarker   = regexp.MustCompile(`^skip \((.+)\)$`)
)

// parseReadme finds the fenced blocks and their markers; errs lists every
// violation of the rules of TestReadme, with line numbers.
func parseReadme(text string) (*readmeDoc, []string) {
	doc := &readmeDoc{lines: strings.Split(strings.TrimSuffix(text, "\n"), "\n")}
	var errs []string
	bad := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("README.md:%d: ", line)+fmt.Sprintf(format, args...))
	}
	type marker struct {
		line int
		text string
		used bool
	}
	var markers []*marker
	var pending *marker // the last marker, if only blank lines followed it
	var cur *readmeBlock
	inOther := false // inside a fenced block that is not runnable
	for i, raw := range doc.lines {
		n := i + 1
		line := strings.TrimSpace(raw)
		switch {
		case cur != nil || inOther:
			if line == "```" {
				if cur != nil {
					cur.end = n
					doc.blocks = append(doc.blocks, cur)
				}
				cur, inOther = nil, false
				continue
			}
			if cur != nil {
				raw = strings.TrimPrefix(raw, cur.indent)
				if cur.lang == "console" {
					if cmd, ok := strings.CutPrefix(raw, "$ "); ok {
						cur.commands = append(cur.commands, consoleCommand{line: n, text: cmd})
					} else if len(cur.commands) > 0 {
						last := &cur.commands[len(cur.commands)-1]
						last.output = append(last.output, raw)
					} else if line != "" {
						bad(n, "console block: output before the first \"$ \" command")
					}
				}
				if cur.skip == "" && strings.Contains(raw, "…") && (cur.lang != "console" || strings.HasPrefix(raw, "$ ")) {
					bad(n, "placeholder … in a command that runs: write $RECIPIENT, or mark the block <!-- readme-test: skip (why) -->")
				}
			}
		case strings.HasPrefix(line, "```"):
			lang := strings.TrimSpace(strings.TrimPrefix(line, "```"))
			var m *marker
			if pending != nil {
				m, pending = pending, nil
				m.used = true
			}
			switch lang {
			case "":
				bad(n, "fenced block without a language (use sh or console for commands, text for anything else)")
				inOther = true
			case "sh", "bash", "shell", "console":
				b := &readmeBlock{line: n, lang: lang, indent: raw[:len(raw)-len(strings.TrimLeft(raw, " \t"))]}
				if lang != "console" {
					b.lang = "sh"
				}
				if m != nil {
					switch sm := skipMarker.FindStringSubmatch(m.text); {
					case sm != nil:
						b.skip = sm[1]
					case m.text == "checkout":
						b.checkout = true
					default:
						bad(m.line, "unknown marker %q (want skip (WHY) or checkout)", m.text)
					}
				}
				cur = b
			default:
				if m != nil {
					bad(m.line, "marker before a %s block, which never runs", lang)
				}
				inOther = true
			}
		case readmeMarker.MatchString(line):
			pending = &marker{line: n, text: readmeMarker.FindStringSubmatch(line)[1]}
			markers = append(markers, pending)
		case line != "":
			pending = nil
		}
	}
	if cur != nil || inOther {
		bad(len(doc.lines), "unclosed fenced block")
	}
	for _, m := range markers {
		if !m.used {
			bad(m.line, "marker not followed by a fenced block")
		}
	}
	for _, b := range doc.blocks {
		if b.lang == "console" && len(b.commands) == 0 && b.skip == "" {
			bad(b.line, "console block without a \"$ \" command")
		}
	}
	return doc, errs
}

// script is the bash script of the runnable blocks: its line N is
// README.md's line N (or empty), so that $LINENO is the README line. The
// first line, the README's title, installs the trap that records the line
// of a failing command.
func (d *readmeDoc) script(short bool) string {
	lines := make([]string, len(d.lines))
	lines[0] = `trap '[ -e "$READMETEST_OUT/failed" ] || echo "$LINENO" >"$READMETEST_OUT/failed"' ERR`
	for _, b := range d.blocks {
		if b.skip != "" || (b.checkout && short) {
			continue
		}
		if b.checkout {
			lines[b.line-1] = `pushd "$READMETEST_CHECKOUT" >/dev/null`
			lines[b.end-1] = `popd >/dev/null`
		}
		if b.lang == "console" {
			for _, c := range b.commands {
				// exit inside { } skips the ERR trap: the line is recorded here.
				lines[c.line-1] = fmt.Sprintf(`{ %s ; } >"$READMETEST_OUT/%d" 2>&1 || { __rc=$?; cat "$READMETEST_OUT/%[2]d"; [ -e "$READMETEST_OUT/failed" ] || echo %[2]d >"$READMETEST_OUT/failed"; exit $__rc; }`, c.text, c.line)
			}
			continue
		}
		for n := b.line + 1; n < b.end; n++ {
			lines[n-1] = strings.TrimPrefix(d.lines[n-1], b.indent)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// matchShownOutput checks the output a console block shows against what
// the command printed: each shown line, "…" matching anything, must match
// a printed line, in order. It returns "" when it does.
func matchShownOutput(shown []string, got string) string {
	gotLines := strings.Split(got, "\n")
	i := 0
	for _, s := range shown {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		parts := strings.Split(s, "…")
		for j := range parts {
			parts[j] = regexp.QuoteMeta(parts[j])
		}
		re := regexp.MustCompile(`^` + strings.Join(parts, `.*`) + `$`)
		for ; i < len(gotLines) && !re.MatchString(strings.TrimSpace(gotLines[i])); i++ {
		}
		if i == len(gotLines) {
			return fmt.Sprintf("shown output line %q not printed (in this order)", s)
		}
		i++
	}
	return ""
}

// onlyTourExamples leaves out the subdirectories of examples/ that the
// README's tour does not use (k8s/ is used), so that examples added for
// other documents do not change what hull check and hull scan find.
func onlyTourExamples(rel string, d fs.DirEntry) bool {
	return d.IsDir() && rel != "k8s"
}

// skipInCheckoutCopy leaves out of the copy of the checkout what git
// ignores or does not need for a build: version control, pinned tools,
// build outputs and profiles.
func skipInCheckoutCopy(rel string, d fs.DirEntry) bool {
	switch rel {
	case ".git", ".tools", "bin", "dist", "hull", "cmd/hull/hull":
		return true
	}
	return !d.IsDir() && (strings.HasSuffix(rel, ".test") || strings.HasSuffix(rel, ".prof"))
}

// copyTree copies the regular files and directories under src into dst,
// leaving out what skip reports (a path relative to src).
func copyTree(src, dst string, skip func(rel string, d fs.DirEntry) bool) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != "." && skip != nil && skip(rel, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, filepath.FromSlash(rel))
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, info.Mode().Perm())
		}
		return nil // symbolic links and special files are not copied
	})
}

// TestReadmeRules checks the parser of TestReadme on small documents.
func TestReadmeRules(t *testing.T) {
	for _, c := range []struct {
		name, text string
		errs       []string // substrings, one per expected error
	}{
		{"runnable", "# t\n```sh\nhull --version\n```\n", nil},
		{"skip", "# t\n<!-- readme-test: skip (needs a cluster) -->\n\n```sh\nkubectl apply -f …\n```\n", nil},
		{"skip without reason", "# t\n<!-- readme-test: skip -->\n```sh\ntrue\n```\n", []string{"unknown marker"}},
		{"placeholder", "# t\n```sh\nhull encrypt --age age1… f\n```\n", []string{":3: placeholder"}},
		{"placeholder in output", "# t\n```console\n$ hull encrypt f\nmac: ENC[…]\n```\n", nil},
		{"no language", "# t\n```\nls\n```\n", []string{":2: fenced block without a language"}},
		{"stray marker", "# t\n<!-- readme-test: checkout -->\ntext\n```sh\ntrue\n```\n", []string{":2: marker not followed"}},
		{"marker before yaml", "# t\n<!-- readme-test: checkout -->\n```yaml\na: 1\n```\n", []string{"never runs"}},
		{"unclosed", "# t\n```sh\ntrue\n", []string{"unclosed"}},
		{"console without command", "# t\n```console\nfoo\n```\n", []string{"output before", "without a \"$ \" command"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, errs := parseReadme(c.text)
			if len(errs) != len(c.errs) {
				t.Fatalf("errors %q, want %d", errs, len(c.errs))
			}
			for i, e := range c.errs {
				if !strings.Contains(errs[i], e) {
					t.Errorf("error %q, want %q in it", errs[i], e)
				}
			}
		})
	}
	doc, _ := parseReadme("# t\n\n```console\n$ echo a\na\n```\n<!-- readme-test: checkout -->\n```sh\nmake build\n```\n")
	got := strings.Split(doc.script(false), "\n")
	if !strings.HasPrefix(got[3], "{ echo a ; }") || got[7] != `pushd "$READMETEST_CHECKOUT" >/dev/null` || got[8] != "make build" || got[9] != "popd >/dev/null" {
		t.Errorf("script lines do not follow the README lines:\n%s", strings.Join(got, "\n"))
	}
	if msg := matchShownOutput([]string{"a: …", "  c"}, "x\na: 1\nb\nc\n"); msg != "" {
		t.Error(msg)
	}
	if msg := matchShownOutput([]string{"c", "a: …"}, "a: 1\nc\n"); msg == "" {
		t.Error("out-of-order output matched")
	}
}
