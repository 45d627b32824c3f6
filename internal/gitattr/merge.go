package gitattr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/conflict"
)

// MergeDriver is one run of hull's git merge driver (hull merge BASE OURS
// THEIRS PATH, git's %O %A %B %P).
type MergeDriver struct {
	// Base, Ours and Theirs are the paths git gave; the result is written
	// to Ours. Display is the file's name in the repository (git's %P,
	// else Ours), for messages.
	Base, Ours, Theirs, Display string
	// Read reads a version (with the caller's limits); Format gives, from
	// the content of Ours, the format of the versions and the name
	// creation rules match. Their errors are returned as they are.
	Read   func(path string) ([]byte, error)
	Format func(ours []byte) (formats.Format, string, error)
	// Open and Policy open a version and give the policy, as in
	// hull.MergeVersions.
	Open   func(side string, data []byte, stash *hull.Stash) (*formats.File, *hull.Opened, error)
	Policy func() (*hull.Policy, error)
	// Out gets git merge-file's output when the versions are merged as
	// text.
	Out io.Writer
}

// MergeOutcome is a merge that wrote Ours.
type MergeOutcome struct {
	// Conflicts are the places both sides changed differently: Ours holds
	// both encrypted versions between conflict markers.
	Conflicts []hull.MergeConflict
	// Text: no version was encrypted and they were merged as text (git
	// merge-file), leaving TextConflicts conflicts.
	Text          bool
	TextConflicts int
}

// NotMergedError is a merge that left Ours as it was: the versions cannot
// be merged (only some encrypted, different data keys or metadata
// changes, documents added on both sides) or the result breaks the
// policy (Err wraps a *hull.MergeRefusedError).
type NotMergedError struct {
	Display, Ours string
	Err           error
}

func (e *NotMergedError) Error() string {
	return fmt.Sprintf("%s: not merged: %v; %s was left as it is", e.Display, e.Err, e.Ours)
}

func (e *NotMergedError) Unwrap() error { return e.Err }

// Merge is the whole merge of the driver: the versions read, the
// encrypted versions merged
// key by key (hull.MergeEncrypted) and written to Ours, or, when none is
// encrypted, the versions merged as text as git does (MergeText). Ours is
// written only when the merge succeeds, possibly with conflicts
// (MergeOutcome). It fails with the errors of Read and Format, a
// *NotMergedError, an error that wraps the
// error of Versions.Open or Versions.Policy (Ours left as it is, said
// first), an error wrapping ErrMergeFile for a text merge that could not
// run, a *FileError when Ours cannot be written, and other errors of
// hull.MergeEncrypted prefixed with Display.
func Merge(ctx context.Context, d MergeDriver) (*MergeOutcome, error) {
	var data [3][]byte
	for i, p := range []string{d.Base, d.Ours, d.Theirs} {
		var err error
		if data[i], err = d.Read(p); err != nil {
			return nil, err
		}
	}
	format, name, err := d.Format(data[1])
	if err != nil {
		return nil, err
	}
	res, err := hull.MergeEncrypted(hull.MergeVersions{Base: data[0], Ours: data[1], Theirs: data[2], Format: format, Name: name, Open: d.Open, Policy: d.Policy})
	var ie *hull.MergeInputError
	switch {
	case errors.As(err, &ie):
		return nil, fmt.Errorf("not merged, %s was left as it is: %w", d.Ours, ie.Err)
	case errors.Is(err, hull.ErrNotEncrypted):
		n, err := MergeText(ctx, d.Base, d.Ours, d.Theirs, d.Out)
		if err != nil {
			return nil, fmt.Errorf("%s is not encrypted, and %w", d.Display, err)
		}
		return &MergeOutcome{Text: true, TextConflicts: n}, nil
	case errors.As(err, new(*hull.PartlyEncryptedError)), errors.Is(err, hull.ErrMetadataConflict), errors.Is(err, hull.ErrMergeDocuments),
		errors.As(err, new(*hull.MergeRefusedError)), errors.Is(err, hull.ErrDifferentKeys):
		return nil, &NotMergedError{Display: d.Display, Ours: d.Ours, Err: err}
	case err != nil:
		return nil, fmt.Errorf("%s: %w", d.Display, err)
	}
	if err := hull.WriteFile(d.Ours, res.Data, hull.WriteOptions{}); err != nil {
		return nil, writeErr("cannot write %s: %v", err, d.Ours)
	}
	return &MergeOutcome{Conflicts: res.Conflicts}, nil
}

// ConflictPlaces lists where both sides changed differently, for a
// message ("a.b, c").
func (o *MergeOutcome) ConflictPlaces() string {
	var where []string
	for _, cf := range o.Conflicts {
		where = append(where, cf.String())
	}
	return strings.Join(where, ", ")
}

// Resolution is 'hull merge --resolve': one side of every conflict that a
// conflicting merge left in a file.
type Resolution struct {
	// Path is the file, which Read reads (its error is returned as it
	// is); Ours takes our side of each conflict, else theirs.
	Path string
	Read func(path string) ([]byte, error)
	Ours bool
	// Format is told the resolved content first (to choose its format);
	// Verify then opens it (it must decrypt, MAC included).
	Format, Verify func(resolved []byte) error
}

// Resolve takes the side of every conflict, checks the result and writes
// it to Path. It fails with Read's error, when the file has no conflict
// markers or malformed ones, with Format's error as it is, with an error wrapping Verify's
// (nothing is written) and with a *FileError when Path cannot be written.
func Resolve(r Resolution) error {
	data, err := r.Read(r.Path)
	if err != nil {
		return err
	}
	out, n, err := conflict.PickSide(data, r.Ours)
	if err != nil {
		return fmt.Errorf("%s: %w", r.Path, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: no conflict markers found", r.Path)
	}
	if err := r.Format(out); err != nil {
		return err
	}
	if err := r.Verify(out); err != nil {
		side := "theirs"
		if r.Ours {
			side = "ours"
		}
		return fmt.Errorf("%s: the %s side does not decrypt, nothing was written (were the conflict markers edited?): %w", r.Path, side, err)
	}
	if err := hull.WriteFile(r.Path, out, hull.WriteOptions{}); err != nil {
		return writeErr("cannot write %s: %v", err, r.Path)
	}
	return nil
}
