package bulk

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWalkSelects(t *testing.T) {
	dir := t.TempDir()
	age := "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m"
	write(t, dir, ".sops.yaml", "creation_rules:\n  - path_regex: ^s/\n    age: "+age+"\n")
	write(t, dir, "s/a.yaml", "a: 1\n")
	write(t, dir, "s/sub/b.bin", "xx")     // explicit path_regex: any name
	write(t, dir, "s/.git/c.yaml", "c: 1") // VCS directory
	write(t, dir, "s/big.yaml", strings.Repeat("x", 100))
	write(t, dir, "other/d.yaml", "d: 1\n") // no rule
	write(t, dir, "k/.sops.yaml", "creation_rules:\n  - age: "+age+"\n")
	write(t, dir, "k/e.yaml", "e: 1\n")
	write(t, dir, "k/logo.png", "png") // catch-all rule: known formats only
	if err := os.Symlink(filepath.Join(dir, "s/a.yaml"), filepath.Join(dir, "s/link.yaml")); err != nil {
		t.Fatal(err)
	}
	known := func(n string) bool { return strings.HasSuffix(n, ".yaml") }
	files, err := Walk([]string{dir}, &Selector{}, Options{MaxSize: 50, Known: known})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range Selected(files) {
		rel, _ := filepath.Rel(dir, f.Path)
		if f.Skip != "" {
			rel += " (skip)"
		}
		got = append(got, rel)
	}
	want := []string{"k/e.yaml", "s/a.yaml", "s/big.yaml (skip)", "s/sub/b.bin"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("selected %v, want %v", got, want)
	}
	// An explicitly named file skips the extension test.
	files, err = Walk([]string{filepath.Join(dir, "k/logo.png")}, &Selector{}, Options{Known: known})
	if err != nil || len(Selected(files)) != 1 {
		t.Fatalf("explicit file: %v %v", files, err)
	}
}

func TestRunOrder(t *testing.T) {
	items := make([]int, 100)
	for i := range items {
		items[i] = i
	}
	var running, peak atomic.Int32
	var order []int
	lastDone := 0
	out := Run(items, 4, func(_ int, v int) int {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(time.Duration(100-v) * time.Microsecond)
		running.Add(-1)
		return v * 2
	}, Hooks[int]{
		Done:     func(i int, r int) { order = append(order, i) },
		Progress: func(done, total int) { lastDone = done },
	})
	for i, v := range out {
		if v != i*2 {
			t.Fatalf("out[%d] = %d", i, v)
		}
		if order[i] != i {
			t.Fatalf("Done order %v", order)
		}
	}
	if peak.Load() > 4 || lastDone != 100 {
		t.Fatalf("peak %d workers, progress %d", peak.Load(), lastDone)
	}
}

func TestSummary(t *testing.T) {
	var s Summary
	for _, o := range []Outcome{Changed, Changed, Unchanged, Failed, Skipped} {
		s.Add(o)
	}
	if got, want := s.String(), "5 files: 2 changed, 1 unchanged, 1 failed, 1 skipped"; got != want {
		t.Fatalf("%q, want %q", got, want)
	}
}

// TestConfigNeverSelected: .sops.yaml is not a secrets file even when a
// rule matches its name and it is named explicitly (pre-commit hook).
func TestConfigNeverSelected(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, ".sops.yaml")
	if err := os.WriteFile(cfg, []byte("creation_rules:\n  - path_regex: \\.yaml$\n    age: age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := Walk([]string{cfg}, &Selector{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Rule != nil {
			t.Errorf("%s selected by a creation rule", f.Path)
		}
	}
}

func TestProgress(t *testing.T) {
	var b strings.Builder
	p := NewProgress(&b, "enc", true)
	p.Draw(1, 2)
	if got := b.String(); got != "\renc [===============>              ] 1/2" {
		t.Errorf("half: %q", got)
	}
	b.Reset()
	p.Draw(2, 2)
	if got := b.String(); !strings.HasSuffix(got, "2/2\r\033[K") {
		t.Errorf("done: %q", got)
	}
	b.Reset()
	off := NewProgress(&b, "enc", false)
	off.Draw(1, 2)
	off.Clear()
	if b.Len() != 0 {
		t.Errorf("off: %q", b.String())
	}
}
