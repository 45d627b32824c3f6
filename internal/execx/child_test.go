//go:build unix

package execx

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestChildRunEnv(t *testing.T) {
	var out bytes.Buffer
	c := Child{Command: `echo "$A:$SOPS_AGE_KEY:$HOME"; exit 3`, Env: []string{"SOPS_AGE_KEY=secret", "HOME=/h", "PATH=" + os.Getenv("PATH")}, Scrub: IdentityVars, Stdout: &out, Stderr: &out}
	code, err := c.RunEnv([]Var{{Name: "A", Value: "1"}}, Foreground)
	if err != nil || code != 3 || out.String() != "1::/h\n" {
		t.Errorf("RunEnv = %d, %v, output %q", code, err, out.String())
	}
	c.Argv = []string{"no-such-program-hull"}
	if _, err := c.RunEnv(nil, Foreground); !errors.Is(err, ErrNotFound) {
		t.Errorf("a missing program: %v", err)
	}
}

func TestChildRunFile(t *testing.T) {
	var out bytes.Buffer
	base := t.TempDir()
	c := Child{Argv: []string{"/bin/sh", "-c", `cat "$1"; test "$1" = "$HULL_FILE"`, "sh", "{}"}, Stdout: &out, Stderr: &out}
	code, closeErr, err := c.RunFile(base, "s.yaml", []byte("a: 1\n"), false)
	if err != nil || closeErr != nil || code != 0 || out.String() != "a: 1\n" {
		t.Errorf("RunFile = %d, %v, %v, output %q", code, closeErr, err, out.String())
	}
	if left, _ := os.ReadDir(base); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	if _, _, err := c.RunFile(base+"/missing/dir", "s.yaml", nil, false); !errors.Is(err, ErrServe) || !strings.Contains(err.Error(), "cannot make the private file") {
		t.Errorf("no base directory: %v", err)
	}
}
