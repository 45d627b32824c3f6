package execx

import (
	"errors"
	"fmt"
	"io"

	"github.com/hullsecrets/hull/internal/fserr"
)

// Child is a command to run with decrypted values: PROGRAM and its
// arguments (Argv, found in PathEnv), or a COMMAND string run by Shell
// (Argv nil).
type Child struct {
	Argv    []string
	Command string
	// Env is the environment to start from (the parent's; nil for none).
	Env []string
	// Scrub are names removed from Env (IdentityVars and the user's).
	Scrub []string
	// Set are set on top of Env, before the file's values (HOME, USER
	// and LOGNAME of User).
	Set     []Var
	PathEnv string
	User    *Credential
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
}

// Mode is how RunEnv runs the child.
type Mode int

const (
	// Foreground forwards signals to the child, waits for it and returns
	// its exit code.
	Foreground Mode = iota
	// SameProcess replaces this process with the child (exec); it
	// returns only on failure.
	SameProcess
	// Background starts the child and returns at once.
	Background
)

func (c Child) process(extra []Var, argv []string, command string) (Process, error) {
	p := Process{Env: MergeEnv(c.Env, c.Scrub, append(append([]Var{}, c.Set...), extra...)), Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr, Credential: c.User}
	return p, p.Command(argv, command, c.PathEnv)
}

// RunEnv runs the child with vars in its environment, as mode says. A
// failure to start it is a StartError (ErrNotFound, ErrNotExecutable).
func (c Child) RunEnv(vars []Var, mode Mode) (int, error) {
	p, err := c.process(vars, c.Argv, c.Command)
	if err != nil {
		return 0, err
	}
	switch mode {
	case SameProcess:
		return 0, StartError(p.Path, Exec(p))
	case Background:
		if err := Start(p); err != nil {
			return 0, StartError(p.Path, err)
		}
		return 0, nil
	}
	sigs := Catch()
	defer sigs.Stop()
	return RunForeground(p, sigs)
}

// ErrServe marks a failure to make the private directory or file of
// RunFile.
var ErrServe = errors.New("cannot make the private file")

// RunFile serves content as name (a named pipe, or with fifo false a 0600
// file) in a fresh private directory below base, runs the child in the
// foreground with FileVar naming it (every {} of the arguments replaced by
// the path, or of the COMMAND by a quoted reference to FileVar), and
// removes the directory. A failure to remove it is closeErr, for a
// warning: the child's status stands.
func (c Child) RunFile(base, name string, content []byte, fifo bool) (code int, closeErr, err error) {
	// Catch signals before the directory exists, so that it is always
	// removed.
	sigs := Catch()
	defer sigs.Stop()
	served, err := Serve(base, name, content, ServeOptions{FIFO: fifo, Owner: c.User})
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %v", ErrServe, fserr.Bare(err))
	}
	argv, command := c.Argv, c.Command
	if argv != nil {
		argv = append([]string{argv[0]}, SubstituteArgs(argv[1:], served.Path)...)
	} else {
		command = SubstituteShell(command, FileVar)
	}
	p, err := c.process([]Var{{Name: FileVar, Value: served.Path}}, argv, command)
	if err == nil {
		code, err = RunForeground(p, sigs)
	}
	return code, served.Close(), err
}
