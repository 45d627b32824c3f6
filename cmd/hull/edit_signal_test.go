//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// editFixture makes a work directory with the test identity and an
// encrypted s.yaml, and returns the directory, the file and its bytes.
func editFixture(t *testing.T) (dir, file string, before []byte) {
	t.Helper()
	dir = t.TempDir()
	key := filepath.Join(dir, "key.txt")
	keyData, err := os.ReadFile(filepath.Join("..", "..", "testdata", "interop", "keys", "age1.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, keyData, 0o600); err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(file, []byte("user: admin\npassword: hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SOPS_AGE_RECIPIENTS": "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m",
		"HOME":                dir,
	}
	var stderr bytes.Buffer
	code := Main([]string{"hull", "encrypt", "-i", file}, strings.NewReader(""), &bytes.Buffer{}, &stderr,
		func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if code != 0 {
		t.Fatalf("encrypt: %d %s", code, stderr.String())
	}
	before, err = os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return dir, file, before
}

// editCmd is 'hull edit FILE' as a subprocess with the fake editor.
func editCmd(t *testing.T, dir, file string, extraEnv ...string) *exec.Cmd {
	t.Helper()
	hullBin, err := exec.LookPath("hull") // installed by testscript.Main
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("fake-editor"); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(hullBin, "edit", file)
	cmd.Env = append(os.Environ(),
		"SOPS_AGE_KEY_FILE="+filepath.Join(dir, "key.txt"),
		"HOME="+dir,
		"XDG_CONFIG_HOME="+filepath.Join(dir, ".config"),
		"SOPS_EDITOR=",
		"EDITOR=fake-editor",
		"FAKE_EDITOR_RECORD="+filepath.Join(dir, "rec.txt"),
	)
	cmd.Env = append(cmd.Env, extraEnv...)
	return cmd
}

func exitStatus(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

// assertEditClean checks that the file is byte-identical and that the
// editor's private directory is gone.
func assertEditClean(t *testing.T, dir, file string, before []byte) {
	t.Helper()
	now, err := os.ReadFile(file)
	if err != nil || !bytes.Equal(now, before) {
		t.Errorf("the file changed (%v)", err)
	}
	rec, err := os.ReadFile(filepath.Join(dir, "rec.txt"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(string(rec), "\n") {
		if p, ok := strings.CutPrefix(l, "path="); ok {
			n++
			if _, err := os.Lstat(filepath.Dir(p)); !os.IsNotExist(err) {
				t.Errorf("the private directory %s is still there (%v)", filepath.Dir(p), err)
			}
		}
	}
	if n != 1 {
		t.Errorf("the editor ran %d times", n)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		switch e.Name() {
		case "key.txt", "s.yaml", "rec.txt", "ready", ".config":
		default:
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestEditSignals: SIGINT, SIGTERM, SIGHUP, SIGQUIT or SIGABRT sent to hull while the editor
// is open (after the editor changed the text) ends the editor, removes the
// private directory and leaves the file untouched; hull exits 128+n
// (SECURITY.md row 57).
func TestEditSignals(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{
		{syscall.SIGINT, exitEditSIGINT},
		{syscall.SIGTERM, exitEditSIGTERM},
		{syscall.SIGHUP, exitEditSIGHUP},
		{syscall.SIGQUIT, exitEditSIGQUIT},
		{syscall.SIGABRT, exitEditSIGABRT},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			dir, file, before := editFixture(t)
			ready := filepath.Join(dir, "ready")
			cmd := editCmd(t, dir, file,
				"FAKE_EDITOR_FROM=password: hunter2",
				"FAKE_EDITOR_TO=password: never-written",
				"FAKE_EDITOR_READY="+ready,
				"FAKE_EDITOR_WAIT=1",
			)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				if _, err := os.Stat(ready); err == nil {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("the editor never started: %s", stderr.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
			start := time.Now()
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			code := exitStatus(t, cmd.Wait())
			if code != tc.code {
				t.Errorf("exit status %d, want %d; stderr: %s", code, tc.code, stderr.String())
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("hull took %v to exit", d)
			}
			if !strings.Contains(stderr.String(), "interrupted by signal") || strings.Contains(stderr.String(), "hunter2") ||
				strings.Contains(stderr.String(), "never-written") || stdout.Len() != 0 {
				t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
			}
			assertEditClean(t, dir, file, before)
		})
	}
}

// TestEditInvalidAtEOF: stdin is /dev/null, a character device but not a
// terminal; hull gives up after one editor run (exit 2, file untouched),
// instead of looping (C23), and does not offer to edit again.
func TestEditInvalidAtEOF(t *testing.T) {
	dir, file, before := editFixture(t)
	cmd := editCmd(t, dir, file,
		"FAKE_EDITOR_FROM=password: hunter2",
		"FAKE_EDITOR_TO=password: [bad",
	)
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("hull edit did not give up")
	}
	if code := exitStatus(t, err); code != exitCouldNotRead {
		t.Errorf("exit status %d, want %d; stderr: %s", code, exitCouldNotRead, stderr.String())
	}
	se := stderr.String()
	if strings.Contains(se, "press enter to edit again") || strings.Count(se, "the edited text is not valid") != 1 ||
		strings.Contains(se, "hunter2") || strings.Contains(se, "[bad") {
		t.Errorf("stderr %q", se)
	}
	assertEditClean(t, dir, file, before)
}
