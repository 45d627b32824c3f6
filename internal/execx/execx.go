// Package execx runs a child process for hull's exec-env and exec-file
// commands: it forwards signals to the child, waits for it and turns its
// status into an exit code, and it serves a plaintext to the child through
// a named pipe (or a private file) that is always removed afterwards.
//
// The package reads no environment variables and prints nothing: the
// caller passes in the environment, the credentials and the directory to
// use, and reports errors itself.
//
// # Exit status
//
// [Status] maps a finished child to an exit code as a shell does: its exit
// code, or 128+n when it was killed by signal n.
//
// # Signals
//
// [Catch] starts catching the signals hull forwards ([Forwarded]). [Run]
// starts the child, forwards each caught signal to it and returns only
// when the child has exited. SIGINT and SIGQUIT are not forwarded while
// hull is the foreground job of a terminal: the terminal has already sent
// them to the child, which is in the same process group, and a second
// copy would turn a graceful interrupt into a forced one for programs
// such as terraform or docker compose.
//
// # Serving a file
//
// [Serve] makes a fresh private directory (mode 0700) and in it either a
// named pipe (mode 0600) that is written once per open for as long as the
// child runs, or a regular file (mode 0600). [Served.Close] stops serving
// without ever blocking and removes the directory.
package execx

import (
	"errors"
	"io"
)

// ErrUnsupported is returned on systems without the needed primitives.
var ErrUnsupported = errors.New("not supported on this system")

// Credential is the user a child runs as.
type Credential struct {
	UID, GID uint32
	Groups   []uint32
}

// Process describes a child to run.
type Process struct {
	// Path is the program to run (absolute, or found by the caller).
	Path string
	// Args is the whole argv, Args[0] included.
	Args []string
	// Env is the whole environment of the child, "KEY=VALUE" entries.
	Env []string
	// Stdin, Stdout and Stderr are inherited when they are *os.File, and
	// copied through pipes otherwise (as os/exec does).
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Credential, if set, is the user the child runs as (needs root).
	Credential *Credential
}

// ServeOptions tell [Serve] how to offer the plaintext.
type ServeOptions struct {
	// FIFO serves it through a named pipe instead of a regular file.
	FIFO bool
	// Owner, if set, owns the directory and the file (for a child that
	// runs as another user).
	Owner *Credential
}
