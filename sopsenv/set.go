package sopsenv

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/fserr"
)

// ErrReadValue is matched by SetSource.Value's error when the value file
// or stdin cannot be read (not when the value is too large: that is a
// *formats.LimitError).
var ErrReadValue = errors.New("cannot read the value")

// SetSource is where the value of set comes from, as sops's flags say:
// the VALUE argument, or the file it names (--value-file), or Stdin
// (--value-stdin), read up to Limit bytes; with Literal (--string) it is
// taken as a string, else parsed as JSON.
type SetSource struct {
	Arg      string
	FromFile bool
	Stdin    io.Reader
	Literal  bool
	Limit    int64
}

// ErrSetArgs is matched by SetSource.Args's error for a wrong number of
// arguments.
var ErrSetArgs = errors.New("wrong number of arguments")

// setArgsError is a usage error that matches ErrSetArgs; its message is
// its own.
type setArgsError string

func (e setArgsError) Error() string        { return string(e) }
func (e setArgsError) Is(target error) bool { return target == ErrSetArgs }

// Args reads set's arguments as sops does: FILE, PATH and VALUE, which
// names the value file with FromFile and is not given when the value comes
// from Stdin (--value-stdin). A "--" among them only ends the flags (set
// F P -- -5). It returns the file and the path as given, and sets Arg.
func (s *SetSource) Args(args []string) (file, path string, err error) {
	if s.FromFile && s.Stdin != nil {
		return "", "", errors.New("--value-file and --value-stdin cannot be used together")
	}
	want := 3
	if s.Stdin != nil {
		want = 2
	}
	if i := slices.Index(args, "--"); i >= 0 {
		args = slices.Delete(slices.Clone(args), i, i+1)
	}
	if len(args) != want {
		msg := "usage: hull set FILE PATH VALUE (or FILE PATH --value-file VALUEFILE, or FILE PATH --value-stdin)"
		if s.Stdin != nil && len(args) == 3 {
			msg = "--value-stdin reads the value from stdin: give FILE and PATH only"
		}
		return "", "", setArgsError(fmt.Sprintf("%s; got %d arguments", msg, len(args)))
	}
	if s.Stdin == nil {
		s.Arg = args[2]
	}
	return args[0], args[1], nil
}

// Value reads and parses the value (hull.ReadSetValue,
// hull.ParseSetValue). Invalid JSON has sops's sentence.
func (s SetSource) Value() (*formats.Node, error) {
	raw := s.Arg
	switch {
	case s.Stdin != nil:
		b, err := read(s.Stdin, "stdin", s.Limit)
		if err != nil {
			return nil, err
		}
		raw = string(b)
	case s.FromFile:
		f, err := os.Open(s.Arg)
		if err != nil {
			return nil, fmt.Errorf("%w file %s: %w", ErrReadValue, s.Arg, fserr.Bare(err))
		}
		b, err := read(f, s.Arg, s.Limit)
		f.Close()
		if err != nil {
			return nil, err
		}
		raw = string(b)
	}
	return SetValue(raw, s.Literal)
}

func read(src io.Reader, name string, limit int64) ([]byte, error) {
	b, err := hull.ReadSetValue(src, name, limit)
	var le *formats.LimitError
	if err != nil && !errors.As(err, &le) {
		return nil, &readValueError{err}
	}
	return b, err
}

// readValueError is a read error that matches ErrReadValue; its message
// is the error's own.
type readValueError struct{ err error }

func (e *readValueError) Error() string        { return e.err.Error() }
func (e *readValueError) Unwrap() error        { return e.err }
func (e *readValueError) Is(target error) bool { return target == ErrReadValue }

// SetValue is hull.ParseSetValue with sops's sentence for invalid JSON
// (its error wraps hull.ErrInvalidValue).
func SetValue(raw string, literal bool) (*formats.Node, error) {
	v, err := hull.ParseSetValue(raw, literal)
	if err != nil && !literal && errors.Is(err, hull.ErrInvalidValue) {
		return nil, Says("Value for --set is not valid JSON", err)
	}
	return v, err
}

// Unset is the change of unset in the first document of f, written in
// fm (hull.UnsetIn): a path that is not there is nothing to do when
// idempotent, else an error naming display and spec (the path as given)
// with sops's sentence, "Key not found" or "Index N out of bounds".
func Unset(f *formats.File, fm formats.Format, path []hull.PathStep, display, spec string, idempotent bool) (changed bool, err error) {
	err = hull.UnsetIn(f, fm, path)
	switch {
	case errors.Is(err, hull.ErrNotFound) && idempotent:
		return false, nil
	case errors.Is(err, hull.ErrNotFound):
		err = fmt.Errorf("%s: cannot unset %s: %w", display, spec, err)
		sentence := "Key not found"
		if last := path[len(path)-1]; !last.IsKey {
			sentence = fmt.Sprintf("Index %d out of bounds", last.Index)
		}
		return false, Says(sentence, err)
	case err != nil:
		return false, fmt.Errorf("%s: %w", display, err)
	}
	return true, nil
}
