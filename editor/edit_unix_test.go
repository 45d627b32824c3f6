//go:build unix

package editor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// script writes an executable shell script and returns its path. The file
// to edit is the script's last argument, available as $f.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fake-editor")
	src := "#!/bin/sh\nfor a; do f=$a; done\n" + body + "\n"
	if err := os.WriteFile(p, []byte(src), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// run edits content with the script and returns the result, the error and
// the base directory (which must be empty again).
func run(t *testing.T, body string, content string, mod func(*Options)) ([]byte, error, string) {
	t.Helper()
	base := t.TempDir()
	o := Options{
		Command:  &Command{Path: script(t, body)},
		FileName: "/some/where/secrets.yaml",
		TempBase: base,
		Env:      []string{"PATH=/usr/bin:/bin", "TMPDIR=/should/be/replaced", "LOG=" + filepath.Join(base, "..", "log")},
		Signals:  []os.Signal{}, // tests that need signals set them
	}
	if mod != nil {
		mod(&o)
	}
	out, err := Edit(context.Background(), []byte(content), o)
	assertEmpty(t, base)
	return out, err, base
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left behind in the temp base: %s", e.Name())
	}
}

func TestEditChanges(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	body := fmt.Sprintf(`{
  stat -c '%%a' "$f"; stat -c '%%a' "$(dirname "$f")"
  basename "$f"; echo "tmpdir=$TMPDIR"; dirname "$f"; echo "args=$*"
} > %s
sed -i 's/old/new/' "$f"`, log)
	out, err, base := run(t, body, "a: old\n", func(o *Options) {
		o.Command.Args = []string{"--wait"}
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "a: new\n" {
		t.Fatalf("got %q", out)
	}
	rec, _ := os.ReadFile(log)
	lines := strings.Split(strings.TrimSpace(string(rec)), "\n")
	if len(lines) != 6 {
		t.Fatalf("log: %q", rec)
	}
	if lines[0] != "600" || lines[1] != "700" {
		t.Errorf("file mode %s, dir mode %s; want 600 and 700", lines[0], lines[1])
	}
	if lines[2] != "secrets.yaml" {
		t.Errorf("file name %q", lines[2])
	}
	if lines[3] != "tmpdir="+lines[4] || !strings.HasPrefix(lines[4], filepath.Join(base, TempPrefix)) {
		t.Errorf("TMPDIR %q, dir %q, base %q", lines[3], lines[4], base)
	}
	if !strings.HasPrefix(lines[5], "args=--wait ") {
		t.Errorf("args %q", lines[5])
	}
}

func TestEditUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	log := filepath.Join(t.TempDir(), "log")
	_, err, _ := run(t, fmt.Sprintf(`stat -c '%%a %%a' "$f" > %s; stat -c '%%a' "$(dirname "$f")" >> %s; echo x >> "$f"`, log, log), "a: 1\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := os.ReadFile(log)
	if string(rec) != "600 600\n700\n" {
		t.Fatalf("modes with umask 0: %q", rec)
	}
}

func TestEditNotModified(t *testing.T) {
	// The editor rewrites the same bytes: not a change.
	_, err, _ := run(t, `cp "$f" "$f.bak"; cat "$f.bak" > "$f"; rm "$f.bak"`, "a: 1\n", nil)
	if !errors.Is(err, ErrNotModified) {
		t.Fatalf("err = %v", err)
	}
}

func TestEditEditorFails(t *testing.T) {
	_, err, _ := run(t, `echo changed > "$f"; exit 3`, "a: 1\n", nil)
	var ee *EditorError
	if !errors.As(err, &ee) || !errors.Is(err, ErrEditorFailed) || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("err = %v", err)
	}
}

func TestEditEditorCannotStart(t *testing.T) {
	_, err, _ := run(t, "", "a: 1\n", func(o *Options) {
		o.Command = &Command{Path: filepath.Join(t.TempDir(), "missing")}
	})
	if !errors.Is(err, ErrEditorFailed) {
		t.Fatalf("err = %v", err)
	}
}

func TestEditNoCommand(t *testing.T) {
	_, err := Edit(context.Background(), nil, Options{})
	if !errors.Is(err, ErrNoEditor) {
		t.Fatalf("err = %v", err)
	}
}

var errInvalid = errors.New("line 1: invalid")

func validYAML(b []byte) error {
	if bytes.Contains(b, []byte("bad")) {
		return errInvalid
	}
	return nil
}

// counting is a script body that counts its runs in a file next to the
// temp base and then runs body.
func counting(count, body string) string {
	return fmt.Sprintf("echo run >> %s\n%s", count, body)
}

func runs(t *testing.T, count string) int {
	b, _ := os.ReadFile(count)
	return strings.Count(string(b), "run")
}

func TestEditInvalidNonInteractive(t *testing.T) {
	count := filepath.Join(t.TempDir(), "count")
	_, err, _ := run(t, counting(count, `echo bad >> "$f"`), "a: 1\n", func(o *Options) {
		o.Validate = validYAML
		o.Interactive = false
		o.Stdin = strings.NewReader("\n\n\n") // even with input, never loop
	})
	var ve *ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, errInvalid) {
		t.Fatalf("err = %v", err)
	}
	if n := runs(t, count); n != 1 {
		t.Fatalf("editor ran %d times", n)
	}
}

func TestEditInvalidInteractiveRetry(t *testing.T) {
	count := filepath.Join(t.TempDir(), "count")
	// First run writes something invalid; the second fixes it.
	body := counting(count, fmt.Sprintf(`if [ "$(grep -c run %s)" = 1 ]; then echo bad >> "$f"; else sed -i 's/bad/good/' "$f"; fi`, count))
	var prompt bytes.Buffer
	out, err, _ := run(t, body, "a: 1\n", func(o *Options) {
		o.Validate = validYAML
		o.Interactive = true
		o.PromptIn = strings.NewReader("\n")
		o.PromptOut = &prompt
		o.PromptPrefix = "hull: error: "
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "a: 1\ngood\n" {
		t.Fatalf("got %q", out)
	}
	if n := runs(t, count); n != 2 {
		t.Fatalf("editor ran %d times", n)
	}
	if want := "hull: error: line 1: invalid\npress enter to edit again, or Ctrl-C to give up "; prompt.String() != want {
		t.Fatalf("prompt %q", prompt.String())
	}
}

func TestEditInvalidInteractiveEOF(t *testing.T) {
	count := filepath.Join(t.TempDir(), "count")
	_, err, _ := run(t, counting(count, `echo bad >> "$f"`), "a: 1\n", func(o *Options) {
		o.Validate = validYAML
		o.Interactive = true
		o.Stdin = strings.NewReader("") // at EOF: give up, never loop (C23)
		o.Stderr = &bytes.Buffer{}
	})
	if !errors.Is(err, errInvalid) {
		t.Fatalf("err = %v", err)
	}
	if n := runs(t, count); n != 1 {
		t.Fatalf("editor ran %d times", n)
	}
}

// signalWhenReady sends sig to this process once the editor created ready.
func signalWhenReady(t *testing.T, ready string, sig syscall.Signal) {
	go func() {
		for i := 0; i < 500; i++ {
			if _, err := os.Stat(ready); err == nil {
				syscall.Kill(os.Getpid(), sig)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
}

func TestEditSignal(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
	}{
		{"editor exits on the signal", `echo changed >> "$f"; touch %s; exec sleep 30`},
		{"editor ignores the signal", `echo changed >> "$f"; trap '' USR1; touch %s; while :; do sleep 0.05; done`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ready := filepath.Join(t.TempDir(), "ready")
			signalWhenReady(t, ready, syscall.SIGUSR1)
			start := time.Now()
			_, err, _ := run(t, fmt.Sprintf(tc.body, ready), "a: 1\n", func(o *Options) {
				o.Signals = []os.Signal{syscall.SIGUSR1}
				o.KillDelay = 200 * time.Millisecond
			})
			var se *SignalError
			if !errors.As(err, &se) || se.Signal != syscall.SIGUSR1 || se.ExitCode() != 128+int(syscall.SIGUSR1) {
				t.Fatalf("err = %v", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
}

func TestEditSignalAtPrompt(t *testing.T) {
	pr, pw, err := os.Pipe() // a prompt that never answers
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	defer pr.Close()
	ready := filepath.Join(t.TempDir(), "ready")
	signalWhenReady(t, ready, syscall.SIGUSR1)
	_, err, _ = run(t, fmt.Sprintf(`echo bad >> "$f"; touch %s`, ready), "a: 1\n", func(o *Options) {
		o.Signals = []os.Signal{syscall.SIGUSR1}
		o.Validate = validYAML
		o.Interactive = true
		o.PromptIn = pr
		o.PromptOut = &bytes.Buffer{}
	})
	var se *SignalError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v", err)
	}
}

func TestEditContextCancel(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "ready")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for i := 0; i < 500; i++ {
			if _, err := os.Stat(ready); err == nil {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	base := t.TempDir()
	_, err := Edit(ctx, []byte("x"), Options{
		Command:  &Command{Path: script(t, fmt.Sprintf(`touch %s; exec sleep 30`, ready))},
		FileName: "x",
		TempBase: base,
		Signals:  []os.Signal{},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	assertEmpty(t, base)
}

func TestTempDirDefaultBaseAndRemove(t *testing.T) {
	td, err := NewTempDir("", "a/b/c.env", []byte("SECRET=1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(td.File) != "c.env" || filepath.Dir(td.File) != td.Dir {
		t.Fatalf("file %s in %s", td.File, td.Dir)
	}
	if fi, err := os.Stat(ShmDir); err == nil && fi.IsDir() && unix_writable(ShmDir) {
		if filepath.Dir(td.Dir) != ShmDir {
			t.Errorf("dir %s is not on %s", td.Dir, ShmDir)
		}
	}
	// O_EXCL: a second file of that name cannot be created by us.
	if _, err := os.OpenFile(td.File, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		t.Fatal("file created twice")
	}
	// Remove zeroes files before unlinking: a hard link elsewhere shows it.
	keep := filepath.Join(t.TempDir(), "link")
	if err := os.Link(td.File, keep); err == nil {
		dir := td.Dir
		if err := td.Remove(); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(keep)
		if !bytes.Equal(b, make([]byte, len("SECRET=1\n"))) {
			t.Errorf("not zeroed: %q", b)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s still exists", dir)
		}
	} else if err := td.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := td.Remove(); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
}

func unix_writable(dir string) bool {
	return syscall.Access(dir, 2) == nil
}

// TestRealVim checks that vim with VimFlags leaves no swap, backup, undo or
// viminfo file anywhere (it runs only where vim is installed).
func TestRealVim(t *testing.T) {
	vim, err := exec.LookPath("vim")
	if err != nil {
		t.Skip("vim not installed")
	}
	home := t.TempDir()
	base := t.TempDir()
	cmd, err := Resolve("", "vim", exec.LookPath)
	if err != nil || cmd.Path != vim {
		t.Fatalf("resolve: %v %v", cmd, err)
	}
	// Ex mode, scripted: change the value and save. A vimrc that asks for
	// every kind of file is overridden by the flags.
	vimrc := filepath.Join(home, ".vimrc")
	hostile := fmt.Sprintf("set swapfile backup undofile writebackup updatecount=1\nset directory=%[1]s// backupdir=%[1]s// undodir=%[1]s viminfofile=%[1]s/viminfo viminfo='10\n", home)
	if err := os.WriteFile(vimrc, []byte(hostile), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd.Args = append(cmd.Args, "-u", vimrc, "-Es", "-c", "%s/old/new/", "-c", "wq")
	out, err := Edit(context.Background(), []byte("a: old\n"), Options{
		Command:  cmd,
		FileName: "s.yaml",
		TempBase: base,
		Env:      []string{"HOME=" + home, "PATH=/usr/bin:/bin", "TERM=dumb"},
		Signals:  []os.Signal{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "a: new\n" {
		t.Fatalf("got %q", out)
	}
	assertEmpty(t, base)
	ents, _ := os.ReadDir(home)
	for _, e := range ents {
		if e.Name() != ".vimrc" {
			t.Errorf("vim left %s in HOME", e.Name())
		}
	}
}
