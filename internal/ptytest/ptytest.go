//go:build linux

// Package ptytest runs programs on a pseudo-terminal of their own, for the
// tests of what hull and its key service ask on a terminal: the test reads
// the screen and types as the user would. Only tests import it.
package ptytest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Open returns a new pseudo-terminal: the master side, read and written by
// the test as the user, and the terminal itself. Both are closed when the
// test ends. Without pseudo-terminals the test is skipped.
func Open(t testing.TB) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// Echo reports whether the terminal of master echoes what is typed.
func Echo(t testing.TB, master *os.File) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(master.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}

// Screen collects what the program writes on its terminal.
type Screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *Screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// Count is how many times the screen shows text.
func (s *Screen) Count(text string) int { return strings.Count(s.String(), text) }

// WaitFor waits until the screen shows want n times (once without n).
func (s *Screen) WaitFor(t testing.TB, want string, n ...int) {
	t.Helper()
	times := 1
	if len(n) > 0 {
		times = n[0]
	}
	deadline := time.Now().Add(20 * time.Second)
	for s.Count(want) < times {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q (%d times); it shows %q", want, times, s.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Run is a program started on a pseudo-terminal.
type Run struct {
	Screen         *Screen
	Master         *os.File
	Cmd            *exec.Cmd
	Stdout, Stderr bytes.Buffer
}

// Start starts prog with the environment env in a new session whose
// controlling terminal is a new pseudo-terminal. Its standard input,
// output and error are not the terminal: what it asks must go to
// /dev/tty. It is killed when the test ends, if it still runs.
func Start(t testing.TB, prog string, env []string, args ...string) *Run {
	t.Helper()
	master, tty := Open(t)
	r := &Run{Screen: &Screen{}, Master: master}
	r.Cmd = exec.Command(prog, args...)
	r.Cmd.Env = env
	r.Cmd.Stdout, r.Cmd.Stderr = &r.Stdout, &r.Stderr
	r.Cmd.ExtraFiles = []*os.File{tty} // fd 3
	r.Cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 3}
	if err := r.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	go func() {
		b := make([]byte, 1024)
		for {
			n, err := master.Read(b)
			r.Screen.mu.Lock()
			r.Screen.buf.Write(b[:n])
			r.Screen.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		if r.Cmd.ProcessState == nil {
			r.Cmd.Process.Kill()
			r.Cmd.Wait()
		}
	})
	return r
}

// Type types line and the return key.
func (r *Run) Type(t testing.TB, line string) {
	t.Helper()
	if _, err := r.Master.Write([]byte(line + "\r")); err != nil {
		t.Fatal(err)
	}
}

// Answer waits for prompt and for echo to be off, and types line.
func (r *Run) Answer(t testing.TB, prompt, line string) {
	t.Helper()
	r.Ready(t, prompt)
	r.Type(t, line)
}

// Ready waits, as a person would before typing, for the prompt and for
// the program to turn echo off for a secret.
func (r *Run) Ready(t testing.TB, prompt string) {
	t.Helper()
	r.Screen.WaitFor(t, prompt)
	deadline := time.Now().Add(10 * time.Second)
	for Echo(t, r.Master) {
		if time.Now().After(deadline) {
			t.Fatalf("echo is still on after the prompt %q", prompt)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Wait returns the program's exit code (-1 when a signal ended it).
func (r *Run) Wait(t testing.TB) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.Cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		r.Cmd.Process.Kill()
		t.Fatalf("%s did not exit; terminal: %q, stderr: %q", filepath.Base(r.Cmd.Path), r.Screen.String(), r.Stderr.String())
	}
	return r.Cmd.ProcessState.ExitCode()
}

// Signaled reports whether sig ended the program.
func (r *Run) Signaled(sig syscall.Signal) bool {
	ws, ok := r.Cmd.ProcessState.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}
