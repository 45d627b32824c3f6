package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteNewFileIs0600(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out")
	if err := Write(p, []byte("x"), Options{}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestWriteKeepsMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out")
	os.WriteFile(p, []byte("old"), 0o640)
	os.Chmod(p, 0o640)
	if err := Write(p, []byte("new"), Options{}); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode().Perm())
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("content %q", b)
	}
}

func TestFailureLeavesTargetUntouched(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out")
	os.WriteFile(p, []byte("original"), 0o600)
	boom := errors.New("injected crash")
	err := Write(p, []byte("new"), Options{BeforeRename: func(string) error { return boom }})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "original" {
		t.Errorf("target changed: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("leftover files: %v", entries)
	}
}

func TestNoClobber(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out")
	os.WriteFile(p, []byte("original"), 0o600)
	if err := Write(p, []byte("new"), Options{NoClobber: true}); !errors.Is(err, ErrExists) {
		t.Fatalf("err = %v, want ErrExists", err)
	}
	link := filepath.Join(dir, "link")
	os.Symlink(filepath.Join(dir, "elsewhere"), link)
	if err := Write(link, []byte("new"), Options{NoClobber: true}); !errors.Is(err, ErrExists) {
		t.Fatalf("dangling symlink: err = %v, want ErrExists", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "elsewhere")); err == nil {
		t.Error("wrote through a dangling symlink")
	}
}

func TestSymlinkTargetReplaced(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	os.WriteFile(real, []byte("old"), 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink("real", link)
	if err := Write(link, []byte("new"), Options{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Errorf("target %q", b)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("symlink was replaced by a file")
	}
}

func TestSweep(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, TempPrefix+"x-1")
	os.WriteFile(old, nil, 0o600)
	os.Chtimes(old, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour))
	os.WriteFile(filepath.Join(dir, TempPrefix+"y-2"), nil, 0o600) // a write in progress
	os.WriteFile(filepath.Join(dir, "keep"), nil, 0o600)
	n, err := Sweep(dir, StaleAge)
	if err != nil || n != 1 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if _, err := os.Stat(filepath.Join(dir, TempPrefix+"y-2")); err != nil {
		t.Error("removed a recent temporary file (a write in progress)")
	}
	// Write sweeps stale ones too.
	os.WriteFile(old, nil, 0o600)
	os.Chtimes(old, time.Now().Add(-time.Hour), time.Now().Add(-time.Hour))
	if err := Write(filepath.Join(dir, "out"), []byte("x"), Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); err == nil {
		t.Error("Write did not sweep a stale temporary file")
	}
	if _, err := os.Stat(filepath.Join(dir, "keep")); err != nil {
		t.Error("removed a file it does not own")
	}
}

func TestLockDirSerializes(t *testing.T) {
	dir := t.TempDir()
	unlock, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{})
	go func() {
		u, err := LockDir(dir)
		if err == nil {
			u()
		}
		close(got)
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case <-got:
		t.Fatal("second lock taken while the first is held")
	default:
	}
	unlock()
	<-got
}

// TestFaultAtEveryStep fails each step of a write in turn: the target
// keeps its content and mode, and no temporary file is left.
func TestFaultAtEveryStep(t *testing.T) {
	for _, step := range []string{"create", "write", "chmod", "sync", "close", "rename"} {
		for _, exists := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/exists=%v", step, exists), func(t *testing.T) {
				dir := t.TempDir()
				p := filepath.Join(dir, "secrets.yaml")
				if exists {
					if err := os.WriteFile(p, []byte("original"), 0o640); err != nil {
						t.Fatal(err)
					}
					os.Chmod(p, 0o640)
				}
				boom := errors.New("injected fault at " + step)
				testOnlyFault = func(s string) error {
					if s == step {
						return boom
					}
					return nil
				}
				defer func() { testOnlyFault = nil }()
				if err := Write(p, []byte("new content"), Options{}); !errors.Is(err, boom) {
					t.Fatalf("err = %v, want the injected fault", err)
				}
				entries, _ := os.ReadDir(dir)
				if exists {
					if b, _ := os.ReadFile(p); string(b) != "original" {
						t.Errorf("target changed: %q", b)
					}
					if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
						t.Errorf("mode changed: %v", fi.Mode().Perm())
					}
					if len(entries) != 1 {
						t.Errorf("leftover files: %v", entries)
					}
				} else if len(entries) != 0 {
					t.Errorf("files left behind: %v", entries)
				}
			})
		}
	}
}
