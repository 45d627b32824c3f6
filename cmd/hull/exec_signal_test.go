//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// execFixture is a real hull process (the test binary under the name
// "hull", which testscript.Main runs as hull) and an encrypted file.
type execFixture struct {
	bin, dir, file string
	env            []string
}

func newExecFixture(t *testing.T) *execFixture {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := &execFixture{bin: filepath.Join(dir, "hull"), dir: dir, file: filepath.Join(dir, "s.enc.yaml")}
	if err := os.Symlink(exe, f.bin); err != nil {
		t.Fatal(err)
	}
	key, err := filepath.Abs("../../testdata/interop/keys/age1.txt")
	if err != nil {
		t.Fatal(err)
	}
	f.env = append(os.Environ(), "SOPS_AGE_KEY_FILE="+key, "TMPDIR="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"))
	plain := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(plain, []byte("SECRET: hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	enc := exec.Command(f.bin, "encrypt", "--age", "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m", "--output", f.file, plain)
	enc.Env = f.env
	if out, err := enc.CombinedOutput(); err != nil {
		t.Fatalf("encrypt: %v\n%s", err, out)
	}
	return f
}

// start runs hull with args; its stdout goes to a file, read by output.
func (f *execFixture) start(t *testing.T, args ...string) (*exec.Cmd, string) {
	t.Helper()
	out := filepath.Join(f.dir, "stdout")
	o, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	c := exec.Command(f.bin, args...)
	c.Env, c.Stdout, c.Stderr, c.Dir = f.env, o, o, f.dir
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill() })
	return c, out
}

// waitFor waits until the file exists.
func waitFor(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s never appeared", path)
}

// execExitCode waits for hull and returns its exit code (a signal that
// killed hull itself is a failure).
func execExitCode(t *testing.T, c *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err == nil {
			return 0
		}
		if !errors.As(err, &ee) {
			t.Fatal(err)
		}
		if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
			t.Fatalf("hull itself was killed by %v", ws.Signal())
		}
		return ee.ExitCode()
	case <-time.After(20 * time.Second):
		t.Fatal("hull did not exit")
	}
	return -1
}

// SIGTERM, SIGINT, SIGHUP… sent to hull reach the child; hull waits for it
// and exits with its status (SECURITY.md checklist row 58).
func TestExecForwardsSignals(t *testing.T) {
	t.Parallel()
	f := newExecFixture(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2} {
		name := map[syscall.Signal]string{syscall.SIGTERM: "TERM", syscall.SIGINT: "INT", syscall.SIGHUP: "HUP", syscall.SIGQUIT: "QUIT", syscall.SIGUSR1: "USR1", syscall.SIGUSR2: "USR2"}[sig]
		t.Run(name, func(t *testing.T) {
			ready, done := filepath.Join(f.dir, "ready-"+name), filepath.Join(f.dir, "done-"+name)
			script := `trap 'kill $!; sleep 0.3; echo "$SECRET" > ` + done + `; exit 9' ` + name + `; sleep 30 & touch ` + ready + `; wait`
			c, _ := f.start(t, "exec-env", f.file, script)
			waitFor(t, ready)
			c.Process.Signal(sig)
			if code := execExitCode(t, c); code != 9 {
				t.Errorf("hull exited %d, want the child's 9", code)
			}
			// hull waited for the child to finish its trap
			if data, err := os.ReadFile(done); err != nil || string(data) != "hunter2\n" {
				t.Errorf("the child did not finish before hull exited: %q %v", data, err)
			}
		})
	}
}

// A child killed by a signal: hull exits 128+n (sops exits 255).
func TestExecChildKilled(t *testing.T) {
	f := newExecFixture(t)
	ready := filepath.Join(f.dir, "ready")
	c, _ := f.start(t, "exec-env", f.file, "--", "/bin/sh", "-c", `echo $$ > `+ready+`.tmp; mv `+ready+`.tmp `+ready+`; exec sleep 30`)
	waitFor(t, ready)
	data, _ := os.ReadFile(ready)
	var pid int
	for _, ch := range strings.TrimSpace(string(data)) {
		pid = pid*10 + int(ch-'0')
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := execExitCode(t, c); code != 137 {
		t.Errorf("hull exited %d, want 137", code)
	}
}

// exec-file: SIGTERM while the child runs still removes the private
// directory, and the child's status is hull's.
func TestExecFileSignalCleanup(t *testing.T) {
	for _, mode := range []string{"fifo", "no-fifo"} {
		t.Run(mode, func(t *testing.T) {
			f := newExecFixture(t)
			ready := filepath.Join(f.dir, "ready")
			args := []string{"exec-file", f.file, `trap 'kill $!; exit 4' TERM; cat {} > ` + filepath.Join(f.dir, "read") + `; dirname {} > ` + ready + `.tmp; mv ` + ready + `.tmp ` + ready + `; sleep 30 & wait`}
			if mode == "no-fifo" {
				args = append(args, "--no-fifo")
			}
			c, _ := f.start(t, args...)
			waitFor(t, ready)
			priv, _ := os.ReadFile(ready)
			privDir := strings.TrimSpace(string(priv))
			if !strings.HasPrefix(privDir, f.dir+"/") {
				t.Fatalf("private directory %q is not under TMPDIR", privDir)
			}
			c.Process.Signal(syscall.SIGTERM)
			if code := execExitCode(t, c); code != 4 {
				t.Errorf("hull exited %d, want 4", code)
			}
			if _, err := os.Stat(privDir); !os.IsNotExist(err) {
				t.Errorf("private directory left behind: %v", err)
			}
			if data, _ := os.ReadFile(filepath.Join(f.dir, "read")); !bytes.Contains(data, []byte("SECRET: hunter2")) {
				t.Errorf("the child read %q", data)
			}
		})
	}
}

// --user sets exactly the user's uid, gid and groups, and HOME, USER and
// LOGNAME (SECURITY.md).
func TestExecUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("--user needs root")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody on this system")
	}
	gids, err := u.GroupIds()
	if err != nil {
		t.Fatal(err)
	}
	f := newExecFixture(t)
	for _, form := range [][]string{
		{"id -u; id -g; id -G; echo \"$HOME $USER $LOGNAME $SECRET\""},
		{"--same-process", "id -u; id -g; id -G; echo \"$HOME $USER $LOGNAME $SECRET\""},
	} {
		c := exec.Command(f.bin, append([]string{"exec-env", "--user", "nobody", f.file}, form...)...)
		c.Env = f.env
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", form, err, out)
		}
		want := u.Uid + "\n" + u.Gid + "\n" + strings.Join(gids, " ") + "\n" + u.HomeDir + " nobody nobody hunter2\n"
		if string(out) != want {
			t.Errorf("%v: got\n%s\nwant\n%s", form, out, want)
		}
	}
}
