package editor

import (
	"context"
	"errors"
	"fmt"

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
