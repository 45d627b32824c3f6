package atomicfile

import (
	"errors"
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
	os.WriteFile(filepath.Join(dir, TempPrefix+"x-1"), nil, 0o600)
	os.WriteFile(filepath.Join(dir, "keep"), nil, 0o600)
	n, err := Sweep(dir)
	if err != nil || n != 1 {
		t.Fatalf("n=%d err=%v", n, err)
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
