//go:build unix

package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const gitTestRecipient = "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m"

// gitRepo is a real git repository whose drivers run this test binary as
// "hull" (first on PATH).
type gitRepo struct {
	t   *testing.T
	dir string
	env []string
}

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatalf("git is needed for this test: %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(bin, "hull")); err != nil {
		t.Fatal(err)
	}
	key, err := filepath.Abs("../../testdata/interop/keys/age1.txt")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	g := &gitRepo{t: t, dir: t.TempDir()}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SOPS_") || strings.HasPrefix(kv, "GIT_") || strings.HasPrefix(kv, "HULL_") {
			continue
		}
		g.env = append(g.env, kv)
	}
	g.env = append(g.env,
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
		"GIT_PAGER=cat", "PAGER=cat", "LC_ALL=C",
		"SOPS_AGE_KEY_FILE="+key,
	)
	g.must("git", "init", "-q", "-b", "main")
	g.write(".sops.yaml", "creation_rules:\n  - path_regex: \\.enc\\.(yaml|json)$\n    age: "+gitTestRecipient+"\n")
	return g
}

// run runs a command in the repository and returns its combined output.
func (g *gitRepo) run(env []string, name string, args ...string) (string, error) {
	g.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = g.dir, append(append([]string(nil), g.env...), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (g *gitRepo) must(name string, args ...string) string {
	g.t.Helper()
	out, err := g.run(nil, name, args...)
	if err != nil {
		g.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

func (g *gitRepo) write(name, content string) {
	g.t.Helper()
	if err := os.WriteFile(filepath.Join(g.dir, name), []byte(content), 0o644); err != nil {
		g.t.Fatal(err)
	}
}

func (g *gitRepo) read(name string) string {
	g.t.Helper()
	b, err := os.ReadFile(filepath.Join(g.dir, name))
	if err != nil {
		g.t.Fatal(err)
	}
	return string(b)
}

// encrypt writes plaintext to name and encrypts it in place.
func (g *gitRepo) encrypt(name, plain string) {
	g.t.Helper()
	g.write(name, plain)
	g.must("hull", "encrypt", "-i", name)
}

func (g *gitRepo) commitAll(msg string) {
	g.t.Helper()
	g.must("git", "add", "-A")
	g.must("git", "commit", "-q", "-m", msg)
}

// noPlaintext fails if a secret appears in any file of the working tree or
// of .git, or in any git object (decompressed).
func (g *gitRepo) noPlaintext(secrets ...string) {
	g.t.Helper()
	err := filepath.WalkDir(g.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				g.t.Errorf("plaintext %q found in %s", s, p)
			}
		}
		return nil
	})
	if err != nil {
		g.t.Fatal(err)
	}
	objects := g.must("git", "cat-file", "--batch-all-objects", "--batch")
	for _, s := range secrets {
		if strings.Contains(objects, s) {
			g.t.Errorf("plaintext %q found in a git object", s)
		}
	}
	if out, _ := g.run(nil, "git", "for-each-ref", "refs/notes/"); strings.TrimSpace(out) != "" {
		g.t.Errorf("git has notes (a textconv cache?): %s", out)
	}
}

const gitTestYAML = `db:
    # the primary database
    user: admin
    password: pw-base-1
api:
    token: tok-base-1
`

func TestGitDiffAndMerge(t *testing.T) {
	t.Parallel()
	g := newGitRepo(t)
	out := g.must("hull", "git", "setup")
	for _, want := range []string{`.gitattributes: added "*.enc.yaml diff=hull merge=hull"`, `set diff.hull.cachetextconv = "false"`, `set merge.hull.driver = "hull merge %O %A %B %P"`} {
		if !strings.Contains(out, want) {
			t.Errorf("git setup output lacks %q:\n%s", want, out)
		}
	}
	// Idempotent.
	out = g.must("hull", "git", "setup")
	if strings.Contains(out, "added") || strings.Contains(out, "set ") {
		t.Errorf("second git setup changed something:\n%s", out)
	}
	if got := g.read(".gitattributes"); strings.Count(got, "diff=hull") != 2 {
		t.Errorf(".gitattributes:\n%s", got)
	}
	if v := g.must("git", "config", "diff.hull.textconv"); v != "hull diff\n" {
		t.Errorf("diff.hull.textconv = %q", v)
	}

	g.encrypt("s.enc.yaml", gitTestYAML)
	g.commitAll("base")
	g.must("hull", "set", "s.enc.yaml", `["db"]["password"]`, `"pw-main-2"`)

	// git diff shows the decrypted change.
	diff := g.must("git", "diff")
	if !strings.Contains(diff, "-    password: pw-base-1") || !strings.Contains(diff, "+    password: pw-main-2") {
		t.Errorf("git diff does not show the decrypted change:\n%s", diff)
	}
	if strings.Contains(diff, "ENC[") || strings.Contains(diff, "mac") {
		t.Errorf("git diff shows ciphertext or the MAC:\n%s", diff)
	}
	g.commitAll("change password")

	// git log -p too.
	log := g.must("git", "log", "-p")
	if !strings.Contains(log, "+    password: pw-main-2") || !strings.Contains(log, "+    token: tok-base-1") {
		t.Errorf("git log -p does not show decrypted changes:\n%s", log)
	}
	// Without a key, git log -p still works and shows shortened values.
	nokey, err := g.run([]string{"SOPS_AGE_KEY_FILE=", "SOPS_AGE_KEY=AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQPVGRKD"}, "git", "log", "-p")
	if err != nil || !strings.Contains(nokey, "# hull: cannot decrypt") || !strings.Contains(nokey, "ENC[…") || strings.Contains(nokey, "pw-main-2") {
		t.Errorf("git log -p without a key (err %v):\n%s", err, nokey)
	}
	g.noPlaintext("pw-base-1", "pw-main-2", "tok-base-1", "the primary database")

	// Two branches change different keys: the merge succeeds.
	g.must("git", "checkout", "-q", "-b", "feature")
	g.must("hull", "set", "s.enc.yaml", `["api"]["token"]`, `"tok-feature-3"`)
	g.commitAll("feature: token")
	g.must("git", "checkout", "-q", "main")
	before := g.read("s.enc.yaml")
	g.must("hull", "set", "s.enc.yaml", `["db"]["user"]`, `"root"`)
	g.commitAll("main: user")
	out = g.must("git", "merge", "-q", "--no-edit", "feature")
	merged := g.must("hull", "decrypt", "s.enc.yaml")
	for _, want := range []string{"user: root", "password: pw-main-2", "token: tok-feature-3", "# the primary database"} {
		if !strings.Contains(merged, want) {
			t.Errorf("merged file lacks %q:\n%s", want, merged)
		}
	}
	// The value nobody changed kept its ciphertext.
	pw := regexp.MustCompile(`password: (ENC\[[^\]]*\])`)
	if a, b := pw.FindStringSubmatch(before), pw.FindStringSubmatch(g.read("s.enc.yaml")); a == nil || b == nil || a[1] != b[1] {
		t.Errorf("unchanged password got new ciphertext")
	}
	g.noPlaintext("pw-main-2", "tok-feature-3", "root\n")

	// Both change the same key: a conflict with encrypted values only.
	g.must("git", "checkout", "-q", "-b", "other")
	g.must("hull", "set", "s.enc.yaml", `["db"]["password"]`, `"pw-theirs-5"`)
	g.commitAll("other: password")
	g.must("git", "checkout", "-q", "main")
	g.must("hull", "set", "s.enc.yaml", `["db"]["password"]`, `"pw-ours-4"`)
	g.must("hull", "set", "s.enc.yaml", `["api"]["token"]`, `"tok-ours-4"`)
	g.commitAll("main: password")
	out, err = g.run(nil, "git", "merge", "--no-edit", "other")
	if err == nil || !strings.Contains(out, "CONFLICT") {
		t.Fatalf("conflicting merge did not report a conflict (err %v):\n%s", err, out)
	}
	if !strings.Contains(out, `merge conflict: both sides changed ["db"]["password"]`) {
		t.Errorf("hull merge did not name the conflicting key:\n%s", out)
	}
	conflicted := g.read("s.enc.yaml")
	if !regexp.MustCompile(`(?m)^<<<<<<< ours\n    password: ENC\[AES256_GCM,[^\n]*\n=======\n    password: ENC\[AES256_GCM,[^\n]*\n>>>>>>> theirs\n`).MatchString(conflicted) {
		t.Errorf("conflict markers around the encrypted values missing:\n%s", conflicted)
	}
	g.noPlaintext("pw-ours-4", "pw-theirs-5", "tok-ours-4")
	out, err = g.run(nil, "hull", "decrypt", "s.enc.yaml")
	if err == nil || strings.Contains(out, "pw-") {
		t.Errorf("hull decrypt of a conflicted file: err %v\n%s", err, out)
	}
	// Resolve: their side of the conflict, our other change kept.
	g.must("hull", "merge", "--resolve", "theirs", "s.enc.yaml")
	resolved := g.must("hull", "decrypt", "s.enc.yaml")
	if !strings.Contains(resolved, "password: pw-theirs-5") || !strings.Contains(resolved, "token: tok-ours-4") {
		t.Errorf("resolved file:\n%s", resolved)
	}
	g.commitAll("merge other")
}

func TestGitMergeJSON(t *testing.T) {
	g := newGitRepo(t)
	g.must("hull", "git", "setup")
	g.encrypt("c.enc.json", `{"a": "one", "b": {"c": 1, "d": true}, "e": ["x", "y"]}`)
	g.commitAll("base")
	g.must("git", "checkout", "-q", "-b", "feature")
	g.must("hull", "set", "c.enc.json", `["b"]["c"]`, `2`)
	g.must("hull", "set", "c.enc.json", `["new"]`, `"added-on-feature"`)
	g.commitAll("feature")
	g.must("git", "checkout", "-q", "main")
	g.must("hull", "set", "c.enc.json", `["a"]`, `"two"`)
	g.commitAll("main")
	g.must("git", "merge", "-q", "--no-edit", "feature")
	got := g.must("hull", "decrypt", "c.enc.json")
	for _, want := range []string{`"a": "two"`, `"c": 2`, `"d": true`, `"new": "added-on-feature"`, `"x"`} {
		if !strings.Contains(got, want) {
			t.Errorf("merged JSON lacks %s:\n%s", want, got)
		}
	}
	g.noPlaintext("added-on-feature")
}
