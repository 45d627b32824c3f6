package editor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
)

// Session is one edit of a structured file: the editor's settings (its
// Validate is set by Document.Edit), the name of the file in messages,
// the output settings of the text, and where warnings go.
type Session struct {
	Options
	// Path names the file in errors and warnings.
	Path string
	// Emit are the settings the documents are written with.
	Emit formats.EmitOptions
	// New says f is a template for a new file: any edit is kept, also
	// one that changes only formatting.
	New bool
	// Warn, when set, is told what is worth knowing but not an error: the
	// edited text's warnings, a temporary directory that could not be
	// removed.
	Warn func(msg string)
}

func (s *Session) warn(format string, args ...any) {
	if s.Warn != nil {
		s.Warn(fmt.Sprintf(format, args...))
	}
}

// Edit runs the editor on f's documents written in d's format (and the
// metadata, when d.Shown) and validates the result (d.Validate; an error
// names s.Path, never the content). It reports whether a value changed:
// the edited documents are then in d.Edited. An edit that changes only
// formatting changes nothing, unless s.New.
//
// Its errors name s.Path and say that nothing was written, and wrap
// those of the editor (ErrNotModified, ErrEditorFailed, *SignalError,
// *ValidationError), which a caller maps to its exit status.
func (d *Document) Edit(ctx context.Context, f *formats.File, s Session) (bool, error) {
	text, err := d.Text(f, s.Emit)
	if err != nil {
		return false, fmt.Errorf("%s: %w", s.Path, err)
	}
	o := s.Options
	o.Validate = func(b []byte) error {
		if err := d.Validate(b); err != nil {
			return fmt.Errorf("%s: the edited text is not valid: %w", s.Path, err)
		}
		return nil
	}
	_, err = Edit(ctx, text, o)
	var ce *CleanupError
	if errors.As(err, &ce) {
		s.warn("%v", ce)
		err = nil
	}
	var se *SignalError
	var ve *ValidationError
	switch {
	case err == nil:
	case errors.Is(err, ErrNotModified):
		return false, fmt.Errorf("%s: %w, nothing was written", s.Path, err)
	case errors.As(err, &se), errors.Is(err, ErrEditorFailed), errors.Is(err, ErrNoEditor):
		return false, fmt.Errorf("%s: %w; the file was not changed", s.Path, err)
	case errors.As(err, &ve):
		return false, fmt.Errorf("%w; nothing was written", ve)
	default:
		return false, fmt.Errorf("%s: %w", s.Path, err)
	}
	if !s.New && d.Unchanged(f) {
		return false, nil
	}
	for _, w := range d.Edited.Warnings {
		s.warn("%s: %s", s.Path, w)
	}
	return true, nil
}

// Create edits the example document of format fm (Template) with s (a
// new file: any edit is kept) and gives the result to create, which
// encrypts it and creates s.Path (hull.CreateFile: only if s.Path does not
// exist by then; when someone else created it meanwhile, its error matches
// hull.ErrExists and sealed is the encrypted edit, for the caller to keep
// with KeepEdit). A directory of s.Path that does not exist is refused
// before the editor starts (the error matches hull.ErrWrite).
func Create(ctx context.Context, fm formats.Format, s Session, create func(*formats.File) (sealed []byte, err error)) ([]byte, error) {
	if fi, err := os.Stat(filepath.Dir(s.Path)); err != nil || !fi.IsDir() {
		return nil, &noDirError{s.Path}
	}
	doc := &Document{Format: fm}
	s.New = true
	if _, err := doc.Edit(ctx, Template(fm.Name()), s); err != nil {
		return nil, err
	}
	return create(doc.Edited)
}

// noDirError is Create's error for a file whose directory does not exist.
type noDirError struct{ path string }

func (e *noDirError) Error() string {
	return fmt.Sprintf("cannot create %s: directory %s does not exist", e.path, filepath.Dir(e.path))
}
func (e *noDirError) Unwrap() error { return hull.ErrWrite }
