//go:build unix

package execx

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"unsafe"
)

// Forwarded are the signals hull forwards to its child.
var Forwarded = []os.Signal{
	syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2,
}

// Signals are the signals caught for a child, from [Catch] until Stop.
type Signals struct {
	ch chan os.Signal
}

// Catch starts catching the [Forwarded] signals, so that they no longer
// kill hull. Call it before anything that must be undone (a private
// directory), and Stop when done.
func Catch() *Signals {
	s := &Signals{ch: make(chan os.Signal, 16)}
	signal.Notify(s.ch, Forwarded...)
	return s
}

// Stop restores the default handling of the signals.
func (s *Signals) Stop() {
	if s != nil {
		signal.Stop(s.ch)
	}
}

// Status returns the exit code for a finished process, as a shell does:
// its exit code, or 128+n if signal n killed it.
func Status(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

func (p *Process) cmd() *exec.Cmd {
	env := p.Env
	if env == nil {
		env = []string{} // nil would mean "inherit hull's environment"
	}
	c := &exec.Cmd{Path: p.Path, Args: p.Args, Env: env, Stdin: p.Stdin, Stdout: p.Stdout, Stderr: p.Stderr}
	if p.Credential != nil {
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{
			Uid:    p.Credential.UID,
			Gid:    p.Credential.GID,
			Groups: append([]uint32{}, p.Credential.Groups...), // empty clears the supplementary groups
		}}
	}
	return c
}

// Run starts the process, forwards the signals caught by sigs to it until
// it exits, and returns its exit status ([Status]). The error is non-nil
// only when the process could not be started (then the status is 0) or
// when copying a non-file stdin/stdout failed. A signal caught before the
// start means the child is never started: Run returns 128+n.
func Run(p Process, sigs *Signals) (int, error) {
	var ch chan os.Signal
	if sigs != nil {
		ch = sigs.ch
		select {
		case s := <-ch:
			return 128 + signum(s), nil
		default:
		}
	}
	c := p.cmd()
	if err := c.Start(); err != nil {
		return 0, err
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	for {
		select {
		case s := <-ch:
			if (s == syscall.SIGINT || s == syscall.SIGQUIT) && p.foreground() {
				continue // the terminal sent it to the child already
			}
			// An error means the child has exited already: Wait reports it.
			_ = c.Process.Signal(s)
		case err := <-done:
			var ee *exec.ExitError
			if err == nil || errors.As(err, &ee) {
				return Status(c.ProcessState), nil
			}
			if c.ProcessState != nil {
				return Status(c.ProcessState), err
			}
			return 0, err
		}
	}
}

// Start starts the process and returns without waiting for it (sops's
// deprecated --background).
func Start(p Process) error {
	c := p.cmd()
	if err := c.Start(); err != nil {
		return err
	}
	return c.Process.Release()
}

// Exec replaces hull with the process (execve). Stdin, Stdout and Stderr
// are ignored: the new program keeps hull's own file descriptors. It
// returns only on failure; a failure after switching user leaves hull
// running as that user, so the caller must exit.
func Exec(p Process) error {
	env := p.Env
	if env == nil {
		env = []string{}
	}
	if cr := p.Credential; cr != nil {
		groups := make([]int, len(cr.Groups))
		for i, g := range cr.Groups {
			groups[i] = int(g)
		}
		if err := syscall.Setgroups(groups); err != nil {
			return err
		}
		if err := syscall.Setgid(int(cr.GID)); err != nil {
			return err
		}
		if err := syscall.Setuid(int(cr.UID)); err != nil {
			return err
		}
	}
	return syscall.Exec(p.Path, p.Args, env)
}

func signum(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return int(n)
	}
	return 0
}

// foreground reports whether hull's process group is the foreground
// process group of a terminal on its stdin, stdout or stderr: then a
// terminal-generated SIGINT or SIGQUIT reached the child too.
func (p *Process) foreground() bool {
	own := syscall.Getpgrp()
	for _, x := range []any{p.Stdin, p.Stdout, p.Stderr} {
		f, ok := x.(*os.File)
		if !ok || f == nil {
			continue
		}
		if pg, ok := ttyPgrp(f); ok && pg == own {
			return true
		}
	}
	return false
}

func ttyPgrp(f *os.File) (int, bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false
	}
	var pgrp int32
	var errno syscall.Errno
	err = rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(syscall.TIOCGPGRP), uintptr(unsafe.Pointer(&pgrp)))
	})
	if err != nil || errno != 0 {
		return 0, false
	}
	return int(pgrp), true
}
