//go:build unix

package editor

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestSweepKilledRuns: NewTempDir removes the private directories of runs
// that were killed (their process is gone), and nothing else: not a live
// process's, not another name, not a file.
func TestSweepKilledRuns(t *testing.T) {
	base := t.TempDir()
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Skipf("cannot run true: %v", err)
	}
	dead := strconv.Itoa(c.Process.Pid)
	alive := strconv.Itoa(os.Getppid())
	mk := func(name string, dir bool) string {
		p := filepath.Join(base, name)
		if dir {
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(p, "s.yaml"), []byte("password: hunter2\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gone := mk(TempPrefix+dead+"-123", true)
	keep := []string{
		mk(TempPrefix+alive+"-456", true),
		mk(TempPrefix+"abc", true),
		mk("other-"+dead+"-1", true),
		mk(TempPrefix+dead+"-file", false),
	}
	tmp, err := NewTempDir(base, "s.yaml", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Remove()
	if _, err := os.Lstat(gone); !os.IsNotExist(err) {
		t.Errorf("the directory of a killed run was not swept: %v", err)
	}
	for _, k := range keep {
		if _, err := os.Lstat(k); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(k), err)
		}
	}
	if want := TempPrefix + strconv.Itoa(os.Getpid()) + "-"; filepath.Base(tmp.Dir)[:len(want)] != want {
		t.Errorf("the private directory %s does not carry the pid", tmp.Dir)
	}
}
