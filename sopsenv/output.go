package sopsenv

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
)

// ErrUnreadable is matched (errors.Is) by ParseEncrypted's error for an
// encrypted file that cannot be read as one: it does not parse (cut short,
// broken) or its metadata has no version. sops stops there, before it
// looks at keys or the MAC, with its generic error.
var ErrUnreadable = errors.New("unreadable encrypted file")

// unreadable marks err with ErrUnreadable; its message is err's.
type unreadable struct{ err error }

func (e *unreadable) Error() string        { return e.err.Error() }
func (e *unreadable) Unwrap() error        { return e.err }
func (e *unreadable) Is(target error) bool { return target == ErrUnreadable }

// ParseEncrypted is hull.ParseEncrypted with the sentence sops prints
// first (Says) for a file that does not parse as the format fm or whose
// metadata has no version; those errors match ErrUnreadable. A duplicate
// key is a plain syntax error, as for a file to encrypt.
func ParseEncrypted(fm formats.Format, data []byte, display string) (*formats.File, error) {
	f, err := hull.ParseEncrypted(fm, data, display, formats.Limits{})
	switch {
	case errors.Is(err, hull.ErrNoVersion):
		return nil, Says("Version string empty", &unreadable{err})
	case errors.Is(err, formats.ErrSyntax) && !strings.Contains(err.Error(), "duplicate"):
		switch fm.Name() {
		case "json", "binary", "ini":
			err = Says("Could not unmarshal input data", err)
		case "yaml":
			// sops's YAML store says this where a document is not what it
			// can read (a scalar, for example); a plain syntax error it
			// prints without a sentence.
			err = Says("Error unmarshaling input YAML", err)
		}
		return nil, &unreadable{err}
	}
	return f, err
}

// Extract is what decrypt writes of f in format fm: with no path the
// whole file, else the part path names (hull.Extract); a value fm cannot
// write alone is sops's "Error dumping tree".
func Extract(f *formats.File, path []hull.PathStep, fm formats.Format, emit formats.EmitOptions) ([]byte, error) {
	if path == nil {
		return fm.Emit(f, emit)
	}
	out, err := hull.Extract(f, path, fm, emit)
	if errors.Is(err, hull.ErrEmit) {
		return nil, Says("Error dumping tree", err)
	}
	return out, err
}

// Dump is Extract with sops's sentences, naming the file display: "error
// truncating tree" for a path that is not there, "Error dumping tree" for
// a value written alone, else "Error dumping file". guessedBinary says
// that fm is binary only because nothing named the format of the input:
// the error then says that the input's type is what to give.
func Dump(f *formats.File, path []hull.PathStep, fm formats.Format, emit formats.EmitOptions, display string, guessedBinary bool) ([]byte, error) {
	out, err := Extract(f, path, fm, emit)
	if err == nil {
		return out, nil
	}
	dumping := "Error dumping file"
	if s, ok := Sentence(err); ok {
		dumping = s
	}
	switch {
	case errors.Is(err, hull.ErrNotFound):
		return nil, Says("error truncating tree", fmt.Errorf("%s: %w", display, err))
	case guessedBinary:
		return nil, Says(dumping, &explained{fmt.Sprintf("%s: read as a binary file because no --input-type or file extension names its format, "+
			"but it is a structured file (it has no \"data\" value); give --input-type json, yaml, dotenv or ini (the output format follows it)", display), err})
	}
	return nil, Says(dumping, fmt.Errorf("%s: %w", display, err))
}

// explained is err told in other words (msg): it still matches what err
// matches.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// Indent parses --indent for output in the format named out: the zero
// options when s is empty, else s spaces (-1: none, tabs for JSON, not for
// YAML).
func Indent(s, out string) (formats.EmitOptions, error) {
	if s == "" {
		return formats.EmitOptions{}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return formats.EmitOptions{}, fmt.Errorf("--indent %q is not a number", s)
	}
	if n < -1 || (n < 0 && out == "yaml") {
		return formats.EmitOptions{}, fmt.Errorf("--indent %d is out of range", n)
	}
	return formats.EmitOptions{Indent: n, IndentSet: true}, nil
}
