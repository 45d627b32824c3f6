//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// scanRepo is a throwaway git repository and a PATH whose first entry holds
// hull (the test binary under that name, which TestMain runs as hull).
type scanRepo struct {
	dir string
	env []string
}

func newScanRepo(t *testing.T) *scanRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed for this test")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(bin, "hull")); err != nil {
		t.Fatal(err)
	}
	r := &scanRepo{dir: filepath.Join(tmp, "repo")}
	key, err := filepath.Abs("../../testdata/interop/keys/age1.txt")
	if err != nil {
		t.Fatal(err)
	}
	r.env = append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+tmp, "XDG_CONFIG_HOME="+filepath.Join(tmp, ".config"),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=A U Thor", "GIT_AUTHOR_EMAIL=author@example.org",
		"GIT_COMMITTER_NAME=A U Thor", "GIT_COMMITTER_EMAIL=author@example.org",
		"SOPS_AGE_KEY_FILE="+key,
	)
	r.run(t, 0, "git", "init", "-q", "-b", "main", r.dir)
	return r
}

// run runs a command in the repository and checks its exit code.
func (r *scanRepo) run(t *testing.T, want int, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = r.dir, r.env
	if name == "git" && len(args) > 0 && args[0] == "init" {
		cmd.Dir = filepath.Dir(r.dir)
	}
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	if code != want {
		t.Fatalf("%s %s: exit %d, want %d\n%s", name, strings.Join(args, " "), code, want, out)
	}
	return string(out)
}

func (r *scanRepo) write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const scanTestToken = "ghp_Zr8Kq2Vn5Xm9Lp3Wt7BcYh4Jd6Fs1Ga0Ue8Ri"

// TestScanGitHistoryAndHook: a plaintext secret committed by mistake and
// then removed is found by scan --history with its commit; with the hook
// installed, a commit that stages a secret is refused and one that stages
// an encrypted file goes through.
func TestScanGitHistoryAndHook(t *testing.T) {
	t.Parallel()
	r := newScanRepo(t)
	r.write(t, "README.md", "# demo\n")
	r.write(t, "deploy.env", "GITHUB_TOKEN="+scanTestToken+"\n")
	r.run(t, 0, "git", "add", ".")
	r.run(t, 0, "git", "commit", "-q", "-m", "add deploy config")
	bad := strings.TrimSpace(r.run(t, 0, "git", "rev-parse", "HEAD"))
	r.write(t, "deploy.env", "GITHUB_TOKEN=${GITHUB_TOKEN}\n")
	r.run(t, 0, "git", "commit", "-q", "-am", "remove the token")

	// The work tree is clean now; history is not.
	r.run(t, 0, "hull", "scan")
	out := r.run(t, exitSecretsFound, "hull", "scan", "--history")
	if !strings.Contains(out, bad[:12]+":deploy.env:1:14: github-token ghp_…") {
		t.Fatalf("scan --history did not report the commit and place:\n%s", out)
	}
	if strings.Contains(out, scanTestToken[4:12]) {
		t.Fatalf("the secret was printed:\n%s", out)
	}
	out = r.run(t, exitSecretsFound, "hull", "scan", "--history", "--json")
	if !strings.Contains(out, `"commit": "`+bad+`"`) {
		t.Fatalf("--json has no full commit:\n%s", out)
	}

	// The pre-commit hook.
	r.run(t, 0, "hull", "hooks", "install")
	hook := filepath.Join(r.dir, ".git", "hooks", "pre-commit")
	if fi, err := os.Stat(hook); err != nil || fi.Mode().Perm() != 0o755 {
		t.Fatalf("hook: %v, %v", fi, err)
	}
	r.run(t, 0, "hull", "hooks", "install") // idempotent

	r.write(t, "prod.env", "API_TOKEN="+scanTestToken+"\n")
	r.run(t, 0, "git", "add", "prod.env")
	out = r.run(t, 1, "git", "commit", "-q", "-m", "oops")
	if !strings.Contains(out, "prod.env:1:11: github-token ghp_…") || !strings.Contains(out, "possible secret(s) found in the staged changes") {
		t.Fatalf("the hook did not report the staged secret:\n%s", out)
	}
	// The staged content counts, not the work tree.
	r.write(t, "prod.env", "API_TOKEN=${API_TOKEN}\n")
	r.run(t, 1, "git", "commit", "-q", "-m", "oops")

	// Encrypted, it goes through.
	r.write(t, "prod.env", "API_TOKEN="+scanTestToken+"\n")
	r.run(t, 0, "hull", "encrypt", "-i", "--age", "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m", "prod.env")
	r.run(t, 0, "git", "add", "prod.env")
	r.run(t, 0, "git", "commit", "-q", "-m", "encrypted")

	// A hook hull did not write is kept unless --force.
	if err := os.WriteFile(hook, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out = r.run(t, exitCouldNotWrite, "hull", "hooks", "install")
	if !strings.Contains(out, "not written by hull") {
		t.Fatalf("install over a foreign hook: %s", out)
	}
	r.run(t, exitCouldNotWrite, "hull", "hooks", "uninstall")
	r.run(t, 0, "hull", "hooks", "install", "--force")
	r.run(t, 0, "hull", "hooks", "uninstall")
	if b, err := os.ReadFile(hook); err != nil || string(b) != "#!/bin/sh\nexit 0\n" {
		t.Fatalf("uninstall did not put back the user's hook: %q, %v", b, err)
	}
}

// TestScanBaseline: --update-baseline accepts the current findings without
// storing them; a new secret is still reported.
func TestScanBaseline(t *testing.T) {
	r := newScanRepo(t)
	r.write(t, "fixture.env", "API_TOKEN="+scanTestToken+"\n")
	r.run(t, exitSecretsFound, "hull", "scan")
	r.run(t, 0, "hull", "scan", "--update-baseline")
	b, err := os.ReadFile(filepath.Join(r.dir, ".hullscan.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), scanTestToken[:8]) || !strings.Contains(string(b), "fingerprint:") {
		t.Fatalf("baseline:\n%s", b)
	}
	r.run(t, 0, "hull", "scan")
	r.write(t, "other.env", "API_TOKEN="+scanTestToken+"\n") // same secret, another file
	out := r.run(t, exitSecretsFound, "hull", "scan")
	if !strings.Contains(out, "other.env:1:11") || strings.Contains(out, "fixture.env") {
		t.Fatalf("baseline applied wrongly:\n%s", out)
	}
}
