//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	out, errf := filepath.Join(dir, "out"), filepath.Join(dir, "err")
	// A shell that holds a 16 MB string shows it in its peak RSS.
	us, kib, err := run([]string{"sh", "-c", `printf '%s' "$BENCHRUN_X"; x=$(head -c 16000000 /dev/zero | tr '\0' a); echo oops >&2`},
		[]string{"BENCHRUN_X=hello"}, out, errf)
	if err != nil {
		t.Fatal(err)
	}
	if us <= 0 {
		t.Errorf("time %d µs, want > 0", us)
	}
	if kib < 15000 {
		t.Errorf("peak RSS %d KiB, want the 16 MB string's", kib)
	}
	if b, _ := os.ReadFile(out); string(b) != "hello" {
		t.Errorf("stdout %q, want the environment's hello", b)
	}
	if b, _ := os.ReadFile(errf); strings.TrimSpace(string(b)) != "oops" {
		t.Errorf("stderr %q, want oops", b)
	}

	if _, _, err := run([]string{"sh", "-c", "exit 3"}, nil, out, errf); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("failing command: err = %v, want exit status 3", err)
	}
	if _, _, err := run([]string{filepath.Join(dir, "missing")}, nil, out, errf); err == nil {
		t.Error("missing command: no error")
	}
}
