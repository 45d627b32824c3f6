// Package editor lets a user edit a plaintext in their own text editor
// without leaving it anywhere it should not be.
//
// # Where the plaintext lives
//
// [NewTempDir] makes a fresh private directory (mode 0700) on /dev/shm when
// it exists and is writable (a tmpfs: nothing reaches a disk), else in
// os.TempDir(), and creates the file inside it with O_EXCL and mode 0600,
// named like the original so that the editor picks the right syntax
// highlighting. [TempDir.Remove] overwrites every file in the directory
// with zeros and removes it. [Edit] removes it on every way out: success,
// failure, and SIGINT, SIGTERM or SIGHUP received while it runs (the signal
// is forwarded to the editor, and Edit returns a [*SignalError] so that the
// caller can exit with 128+n). Only SIGKILL, or a crash of the machine,
// leaves the directory behind.
//
// # The editor
//
// [Resolve] finds the editor: the SOPS_EDITOR value, else the EDITOR value
// (both passed in by the caller, split into words by [SplitWords], so
// "code --wait" works and is never run by a shell), else the first of vim,
// nano and vi found by the caller's lookPath. For vim-like editors (vim,
// nvim, gvim, mvim, rvim, vim.basic…, and vi when it is a link to vim) it
// adds [VimFlags]: -n (no swap file), -i NONE (no viminfo/shada file) and
// 'set nobackup nowritebackup noundofile noswapfile viminfo=' both before
// and after the vimrc (--cmd and -c), so that no backup or undo file is
// written even when the vimrc asks for one; gvim and mvim also get -f so
// that they do not return before the file is saved. While the editor runs, TMPDIR points at the
// private directory, so the temporary files of well-behaved editors land
// there too and are removed with it.
//
// # The edit loop
//
// [Edit] runs the editor, then compares the file with what it wrote
// (SHA-256): unchanged gives [ErrNotModified]. Otherwise the caller's
// Validate function checks the new content. When it fails and the session
// is interactive (the caller says so: stdin is a terminal), the error is
// shown with "press enter to edit again, or Ctrl-C to give up" and the
// editor runs again on the user's text; end of input at that prompt gives
// up. When the session is not interactive, Edit returns the error at once,
// wrapped in a [*ValidationError]: it never loops on its own (sops loops
// forever when stdin is at EOF).
//
// The package reads no environment variables (except through os.TempDir
// when the caller passes no base directory), prints nothing but the prompt
// to the writer it is given, and never exits the process.
package editor

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// DefaultEditors are tried in order when neither SOPS_EDITOR nor EDITOR is
// set (the same list as sops).
var DefaultEditors = []string{"vim", "nano", "vi"}

// VimFlags are added in front of the arguments of vim-like editors: no swap
// file, no viminfo (shada) file, no backup, write-backup or undo file.
//
// The settings are given twice: with --cmd (before the vimrc is read) and
// with -c (after the vimrc and the file are loaded), so that a vimrc that
// asks for swap, backup or undo files does not win; 'noswapfile' set after
// loading also deletes a swap file the vimrc caused. The user's own
// arguments come after these.
var VimFlags = []string{"-n", "-i", "NONE", "--cmd", vimSettings, "-c", vimSettings}

const vimSettings = "set nobackup nowritebackup noundofile noswapfile viminfo="

// DefaultSignals are the signals Edit catches when Options.Signals is nil.
// They are the signals that would otherwise end a Go program (SIGQUIT and
// SIGABRT with a stack dump) and can be caught; SIGKILL cannot, and
// NewTempDir sweeps what a killed run left.
var DefaultSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGABRT}

// DefaultKillDelay is how long Edit waits for the editor to exit after
// forwarding a signal before it kills it.
const DefaultKillDelay = 2 * time.Second

var (
	// ErrNoEditor is wrapped when no editor can be found.
	ErrNoEditor = errors.New("no editor found")
	// ErrEditorFailed is wrapped when the editor cannot start or exits
	// with an error.
	ErrEditorFailed = errors.New("the editor failed")
	// ErrNotModified is returned when the file is byte-identical after the
	// editor exits.
	ErrNotModified = errors.New("file has not changed")
)

// Command is a resolved editor: run Path with Args and then the file.
type Command struct {
	// Path is the program, as lookPath found it.
	Path string
	// Args come before the file name (the vim flags, then the user's).
	Args []string
	// Source says where the editor came from: "SOPS_EDITOR", "EDITOR" or
	// "default".
	Source string
}

// Resolve finds the editor. sopsEditor and editor are the values of
// SOPS_EDITOR and EDITOR ("" when unset): the first that holds a word is
// split like a shell command line (quoting errors are errors) and its first
// word is looked up with lookPath. When both are empty, the first of
// DefaultEditors that lookPath finds is used. lookPath is normally
// exec.LookPath, which never returns a program found through a relative
// PATH entry such as "." (golang.org/x/sys/execabs, GHSA-x5c7-x7m2-rhmf).
func Resolve(sopsEditor, editor string, lookPath func(string) (string, error)) (*Command, error) {
	for _, v := range []struct{ name, val string }{{"SOPS_EDITOR", sopsEditor}, {"EDITOR", editor}} {
		if strings.TrimSpace(v.val) == "" {
			continue
		}
		words, err := SplitWords(v.val)
		if err != nil {
			return nil, fmt.Errorf("%w: invalid $%s: %v", ErrNoEditor, v.name, err)
		}
		if len(words) == 0 {
			continue
		}
		path, err := lookPath(words[0])
		if err != nil {
			return nil, fmt.Errorf("%w: $%s: cannot run %q: %v", ErrNoEditor, v.name, words[0], unwrapExec(err))
		}
		return newCommand(path, words[1:], v.name), nil
	}
	for _, name := range DefaultEditors {
		if path, err := lookPath(name); err == nil {
			return newCommand(path, nil, "default"), nil
		}
	}
	return nil, fmt.Errorf("%w: set SOPS_EDITOR or EDITOR, or install one of %s", ErrNoEditor, strings.Join(DefaultEditors, ", "))
}

func unwrapExec(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

func newCommand(path string, args []string, source string) *Command {
	c := &Command{Path: path, Source: source}
	if vimLike(path) {
		c.Args = append(c.Args, VimFlags...)
		if n := progName(path); n == "gvim" || n == "mvim" {
			c.Args = append(c.Args, "-f")
		}
	}
	c.Args = append(c.Args, args...)
	return c
}

func progName(path string) string {
	return strings.TrimSuffix(strings.ToLower(filepath.Base(path)), ".exe")
}

func vimName(n string) bool {
	switch n {
	case "vim", "nvim", "gvim", "mvim", "rvim", "vimx", "neovim":
		return true
	}
	return strings.HasPrefix(n, "vim.") // Debian: vim.basic, vim.tiny, vim.nox, vim.gtk3
}

// vimLike reports whether the program is vim or neovim, by its name or the
// name of the file a symlink points to (vi is often a link to vim, but
// may also be busybox or nvi, which reject vim's flags).
func vimLike(path string) bool {
	if vimName(progName(path)) {
		return true
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		return vimName(progName(real))
	}
	return false
}

// String describes the command for messages (without the file).
func (c *Command) String() string {
	return filepath.Base(c.Path)
}

// EditorError is returned when the editor cannot be started or exits with
// an error. It wraps ErrEditorFailed and the cause.
type EditorError struct {
	Editor string
	Err    error
}

func (e *EditorError) Error() string {
	return fmt.Sprintf("editor %s failed: %v", e.Editor, unwrapExec(e.Err))
}

// Unwrap makes errors.Is(err, ErrEditorFailed) true.
func (e *EditorError) Unwrap() []error { return []error{ErrEditorFailed, e.Err} }

// SignalError is returned when a signal interrupted the edit. The editor
// has exited and the temporary directory is removed.
type SignalError struct {
	Signal os.Signal
}

func (e *SignalError) Error() string {
	return fmt.Sprintf("interrupted by signal (%v)", e.Signal)
}

// ExitCode is the conventional status of a process ended by the signal,
// 128+n (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP), or 1 when the
// signal has no number.
func (e *SignalError) ExitCode() int {
	if s, ok := e.Signal.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}

// ValidationError is returned when the edited content is rejected by
// Options.Validate and the session is not interactive (or the user gave up
// at the prompt). It wraps the Validate error.
type ValidationError struct {
	Err error
}

func (e *ValidationError) Error() string { return e.Err.Error() }
func (e *ValidationError) Unwrap() error { return e.Err }

// CleanupError is returned, together with the edited content, when the
// edit succeeded but the temporary directory could not be removed.
type CleanupError struct {
	Dir string
	Err error
}

func (e *CleanupError) Error() string {
	return fmt.Sprintf("the plaintext may be left in %s: %v", e.Dir, e.Err)
}
func (e *CleanupError) Unwrap() error { return e.Err }

// Options control Edit.
type Options struct {
	// Command is the editor (see Resolve). Required.
	Command *Command
	// FileName is the name of the original file; the temporary file gets
	// its base name.
	FileName string
	// TempBase is where the private directory is made ("" for /dev/shm,
	// else os.TempDir()).
	TempBase string
	// Env is the editor's whole environment; TMPDIR is replaced by the
	// private directory. A nil Env gives the editor only TMPDIR.
	Env []string
	// Stdin, Stdout and Stderr are the editor's standard streams (the
	// user's terminal). Nil means the null device.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Validate checks the edited content; nil accepts anything. Its error
	// is shown to the user, so it must not quote the content.
	Validate func(content []byte) error
	// Interactive says a person can answer the re-edit prompt (stdin is a
	// terminal). When false, a Validate error is returned at once.
	Interactive bool
	// PromptIn and PromptOut are used for the re-edit prompt (default
	// Stdin and Stderr). PromptPrefix starts the error line ("hull:
	// error: ").
	PromptIn     io.Reader
	PromptOut    io.Writer
	PromptPrefix string
	// Signals are caught while the temporary directory exists (nil:
	// DefaultSignals; an empty non-nil slice catches none).
	Signals []os.Signal
	// KillDelay is how long to wait for the editor after forwarding a
	// signal before killing it (0: DefaultKillDelay).
	KillDelay time.Duration
}

// Edit writes content to a private temporary file, runs the editor on it
// until the result is accepted, removes the temporary directory and returns
// the edited content.
//
// Errors: [ErrNotModified] when the file is unchanged; a [*EditorError]
// (wrapping [ErrEditorFailed]) when the editor fails; a [*ValidationError]
// when the content is rejected and the user cannot or does not edit again;
// a [*SignalError] when a signal interrupted; ctx.Err() when ctx is done.
// When only the removal of the directory failed, the content is returned
// with a [*CleanupError].
//
// While the prompt waits for a line after a signal or cancellation, a
// goroutine stays blocked reading PromptIn until it returns.
func Edit(ctx context.Context, content []byte, o Options) (out []byte, err error) {
	if o.Command == nil {
		return nil, fmt.Errorf("%w: no editor command given", ErrNoEditor)
	}
	sigs := o.Signals
	if sigs == nil {
		sigs = DefaultSignals
	}
	sigc := make(chan os.Signal, 1)
	if len(sigs) > 0 {
		signal.Notify(sigc, sigs...)
		defer signal.Stop(sigc)
	}
	tmp, err := NewTempDir(o.TempBase, o.FileName, content)
	if err != nil {
		return nil, err
	}
	defer func() {
		dir := tmp.Dir
		if rerr := tmp.Remove(); rerr != nil && err == nil {
			err = &CleanupError{Dir: dir, Err: rerr}
		}
	}()
	orig := sha256.Sum256(content)
	for {
		if err := pending(ctx, sigc); err != nil {
			return nil, err
		}
		if err := o.run(ctx, tmp, sigc); err != nil {
			return nil, err
		}
		if err := pending(ctx, sigc); err != nil {
			return nil, err
		}
		edited, err := tmp.Read()
		if err != nil {
			return nil, err
		}
		if sha256.Sum256(edited) == orig {
			return nil, ErrNotModified
		}
		var verr error
		if o.Validate != nil {
			verr = o.Validate(edited)
		}
		if verr == nil {
			return edited, nil
		}
		if !o.Interactive {
			return nil, &ValidationError{Err: verr}
		}
		if err := o.prompt(ctx, verr, sigc); err != nil {
			return nil, err
		}
	}
}

// pending returns the error for a signal or cancellation that arrived
// while the editor was not running.
func pending(ctx context.Context, sigc <-chan os.Signal) error {
	select {
	case s := <-sigc:
		return &SignalError{Signal: s}
	case <-ctx.Done():
		return ctx.Err()
	default:
		return nil
	}
}

// run runs the editor once on the temporary file.
func (o *Options) run(ctx context.Context, tmp *TempDir, sigc <-chan os.Signal) error {
	delay := o.KillDelay
	if delay <= 0 {
		delay = DefaultKillDelay
	}
	args := append(append([]string(nil), o.Command.Args...), tmp.File)
	c := exec.Command(o.Command.Path, args...)
	c.Env = withEnv(o.Env, "TMPDIR", tmp.Dir)
	c.Stdin, c.Stdout, c.Stderr = o.Stdin, o.Stdout, o.Stderr
	c.WaitDelay = delay
	if err := c.Start(); err != nil {
		return &EditorError{Editor: o.Command.String(), Err: err}
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return &EditorError{Editor: o.Command.String(), Err: err}
		}
		return nil
	case s := <-sigc:
		if c.Process.Signal(s) != nil {
			c.Process.Kill()
		}
		select {
		case <-done:
		case <-time.After(delay):
			c.Process.Kill()
			<-done
		}
		return &SignalError{Signal: s}
	case <-ctx.Done():
		c.Process.Kill()
		<-done
		return ctx.Err()
	}
}

// prompt shows a validation error and waits for a line: nil to edit again,
// an error to give up.
func (o *Options) prompt(ctx context.Context, verr error, sigc <-chan os.Signal) error {
	in, out := o.PromptIn, o.PromptOut
	if in == nil {
		in = o.Stdin
	}
	if out == nil {
		out = o.Stderr
	}
	if in == nil {
		return &ValidationError{Err: verr}
	}
	if out != nil {
		fmt.Fprintf(out, "%s%v\npress enter to edit again, or Ctrl-C to give up ", o.PromptPrefix, verr)
	}
	line := make(chan error, 1)
	go func() { line <- readLine(in) }()
	select {
	case err := <-line:
		if err != nil {
			if out != nil {
				fmt.Fprintln(out)
			}
			return &ValidationError{Err: verr}
		}
		return nil
	case s := <-sigc:
		return &SignalError{Signal: s}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readLine reads up to and including a newline, one byte at a time so that
// nothing after it is consumed. End of input is an error.
func readLine(r io.Reader) error {
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n == 1 && b[0] == '\n' {
			return nil
		}
		if err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
}

// withEnv returns env with every entry for key replaced by key=val.
func withEnv(env []string, key, val string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if k, _, ok := strings.Cut(kv, "="); ok && envKeyEqual(k, key) {
			continue
		}
		out = append(out, kv)
	}
	return append(out, key+"="+val)
}

func envKeyEqual(a, b string) bool {
	if filepath.Separator == '\\' {
		return strings.EqualFold(a, b)
	}
	return a == b
}
