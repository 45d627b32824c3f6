package execx

import (
	"errors"
	"fmt"
	"io"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
)

// Request is one run of exec-env or exec-file as the command line gives
// it.
type Request struct {
	// Command is "exec-env" or "exec-file"; Args are its arguments (FILE
	// 'COMMAND', or FILE -- PROGRAM ARG...; ParseArgs).
	Command string
	Args    []string
	// Env is the environment the child starts from (Environ) and PathEnv
	// the PATH its program is found in.
	Env     []string
	PathEnv string
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	// Scrub are names removed from the child's environment besides
	// IdentityVars.
	Scrub []string
	// Resolve is told the FILE argument once the arguments parsed (to
	// find the file and its format); its error is returned as it is.
	Resolve func(file string) error
	// Extract is the --extract tree path ("": the whole file); User runs
	// the child as that user ("": as this process).
	Extract, User string
}

// Prepared is a parsed Request: the child to run and the part of the file it
// gets.
type Prepared struct {
	Child   *Child
	Extract []hull.PathStep
}

// Prepare parses the request: its arguments (an error wrapping ErrUsage),
// then Resolve, --extract (an error wrapping hull.ErrTreePath) and --user
// (LookupUser's error, which wraps nothing).
func Prepare(req Request) (*Prepared, error) {
	file, argv, command, err := ParseArgs(req.Command, req.Args)
	if err != nil {
		return nil, err
	}
	ch := &Child{Argv: argv, Command: command, Env: req.Env, PathEnv: req.PathEnv, Stdin: req.Stdin, Stdout: req.Stdout, Stderr: req.Stderr}
	ch.Scrub = append(append([]string{}, IdentityVars...), req.Scrub...)
	if err := req.Resolve(file); err != nil {
		return nil, err
	}
	run := &Prepared{Child: ch}
	if req.Extract != "" {
		if run.Extract, err = hull.ParseTreePath(req.Extract); err != nil {
			return nil, err
		}
	}
	if req.User != "" {
		if ch.User, ch.Set, err = LookupUser(req.User); err != nil {
			return nil, err
		}
	}
	return run, nil
}

// ChildError is a child that could not be run (a StartError, or wrapping
// ErrServe); its exit status is the shell's.
type ChildError struct{ Err error }

func (e *ChildError) Error() string { return e.Err.Error() }
func (e *ChildError) Unwrap() error { return e.Err }

// ErrDotenvOnly is EnvRun.Unquote given for a file that is not dotenv.
var ErrDotenvOnly = errors.New("--dotenv-unquote applies to dotenv files only")

// EnvRun is what exec-env does with the file.
type EnvRun struct {
	// Background and SameProcess choose the mode (ModeOf).
	Background, SameProcess bool
	// Unquote removes one level of quotes from dotenv values; Format is
	// the file's format name and Display its name in messages.
	Unquote         bool
	Format, Display string
	// Allow are names the file may define although they change how the
	// child or hull runs (VarsAt).
	Allow []string
	// Pristine starts the child with only the file's values.
	Pristine bool
	// Open decrypts the file.
	Open func() (*formats.File, error)
}

// VarsError is an error of VarsAt for the file Display names (wrapping
// hull.ErrPolicy for a refused name).
type VarsError struct {
	Display string
	Err     error
}

func (e *VarsError) Error() string { return e.Display + ": " + e.Err.Error() }
func (e *VarsError) Unwrap() error { return e.Err }

// RunEnv runs the child with the top-level values of the file (or of the
// mapping at Extract) in its environment and returns its exit status. It
// fails with ErrModes, ErrDotenvOnly, Open's error as it is, a *VarsError
// and a *ChildError.
func (run *Prepared) RunEnv(o EnvRun) (int, error) {
	mode, err := ModeOf(o.Background, o.SameProcess)
	if err != nil {
		return 0, err
	}
	if o.Unquote && o.Format != "dotenv" {
		return 0, fmt.Errorf("%w; %s is read as %s", ErrDotenvOnly, o.Display, o.Format)
	}
	f, err := o.Open()
	if err != nil {
		return 0, err
	}
	vars, err := VarsAt(f, run.Extract, o.Unquote, o.Allow)
	if err != nil {
		return 0, &VarsError{Display: o.Display, Err: err}
	}
	ch := *run.Child
	if o.Pristine {
		ch.Env = nil
	}
	code, err := ch.RunEnv(vars, mode)
	return code, childErr(err)
}

// FileRun is what exec-file does with the file.
type FileRun struct {
	// Name is the --filename of the served file ("": from the format's
	// Extensions) and Display the file's name in messages.
	Name       string
	Extensions []string
	Display    string
	// Base is where the private directory is made (TempBase); FIFO serves
	// a named pipe, else a 0600 file.
	Base string
	FIFO bool
	// Open decrypts the file; Emit makes the content to serve from it
	// (the part at extract, as the format writes it).
	Open func() (*formats.File, error)
	Emit func(f *formats.File, extract []hull.PathStep) ([]byte, error)
	// Warn gets a failure to remove the private directory.
	Warn func(error)
}

// RunFile serves the content and runs the child in the foreground
// (Child.RunFile) and returns its exit status. It fails with a --filename
// error, Open's error as it is, Emit's prefixed with Display and a
// *ChildError.
func (run *Prepared) RunFile(o FileRun) (int, error) {
	name, err := FileName(o.Name, o.Extensions)
	if err != nil {
		return 0, fmt.Errorf("--filename %q: %v", name, err)
	}
	f, err := o.Open()
	if err != nil {
		return 0, err
	}
	content, err := o.Emit(f, run.Extract)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", o.Display, err)
	}
	code, closeErr, err := run.Child.RunFile(o.Base, name, content, o.FIFO)
	if closeErr != nil {
		o.Warn(closeErr)
	}
	return code, childErr(err)
}

func childErr(err error) error {
	if err == nil {
		return nil
	}
	return &ChildError{err}
}
