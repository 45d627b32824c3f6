package editor

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/metadata"
)

// Errors of Document.Validate.
var (
	ErrSopsKey = errors.New("the top-level key 'sops' is reserved for the metadata (in dotenv the keys sops_…, in INI the section [sops]): rename it")
	ErrMeta    = errors.New("the sops metadata was changed or removed: 'edit -s' shows it read-only; undo the change to it")
)

// Document is a structured file being edited: the format the text is
// written in and, when the metadata is shown read-only, the metadata
// shown. Validate (an Options.Validate) keeps the last valid edit in
// Edited.
type Document struct {
	Format formats.Format
	// Shown is the metadata shown in the editor (edit -s), or nil.
	Shown  *metadata.Metadata
	Edited *formats.File
}

// Text is the text the editor starts with: f's documents (and the shown
// metadata) written in the format.
func (d *Document) Text(f *formats.File, o formats.EmitOptions) ([]byte, error) {
	shown := &formats.File{Docs: f.Docs}
	if d.Shown != nil {
		shown.Meta = d.Shown.Node()
	}
	return d.Format.Emit(shown, o)
}

// Validate parses the edited text in the format. It refuses a metadata
// block (or, with Shown, any change to it) and a file without a document.
// Its errors name the line, never the content.
func (d *Document) Validate(b []byte) error {
	f, err := d.Format.Parse(b, formats.ParseOptions{Encrypted: d.Shown != nil})
	if err != nil {
		return err
	}
	if d.Shown != nil {
		m, lerr := metadata.Load(f.Meta)
		if f.Meta == nil || lerr != nil || !formats.Equal(m.Node(), d.Shown.Node()) {
			return ErrMeta
		}
		f.Meta = nil
	} else if f.Meta != nil {
		return ErrSopsKey
	}
	if len(f.Docs) == 0 {
		return hull.ErrEmpty
	}
	d.Edited = f
	return nil
}

// Unchanged reports whether the edit left every value of f as it was
// (only formatting may differ).
func (d *Document) Unchanged(f *formats.File) bool {
	a, b := f, d.Edited
	if len(a.Docs) != len(b.Docs) {
		return false
	}
	for i := range a.Docs {
		if !formats.Equal(a.Docs[i], b.Docs[i]) {
			return false
		}
	}
	return true
}

// Keep saves an edit (sealed: encrypted as it would have been written)
// that could not be written to path because someone else changed or
// created it meanwhile: mode 0600, next to path, under a new name that
// keeps the extension (NAME.hull-edit-TIME.EXT), so that it decrypts as
// path does. It returns the name it used.
func Keep(path string, sealed []byte, now time.Time) (string, error) {
	dir, base := filepath.Split(path)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	stamp := now.UTC().Format("20060102T150405Z")
	var kept string
	var err error
	for i := 0; i < 100; i++ {
		name := stem + ".hull-edit-" + stamp
		if i > 0 {
			name += fmt.Sprintf("-%d", i)
		}
		kept = filepath.Join(dir, name+ext)
		if err = hull.WriteFile(kept, sealed, hull.WriteOptions{Perm: 0o600, NoClobber: true}); !errors.Is(err, hull.ErrExists) {
			break
		}
	}
	return kept, err
}

const welcome = "Welcome to SOPS! Edit this file as you please!"

// Template is the example document a new file starts with: the trees sops
// uses (stores.ExampleComplexTree for YAML and JSON, ExampleSimpleTree for
// INI, ExampleFlatTree for dotenv, and the welcome line for binary files).
func Template(format string) *formats.File {
	str := func(key, v string) *formats.Node { return formats.NewString(key, v) }
	comment := func(v string) *formats.Node { return &formats.Node{Kind: formats.Comment, Value: v} }
	var doc *formats.Node
	switch format {
	case "binary":
		doc = &formats.Node{Kind: formats.Mapping, Children: []*formats.Node{str("data", welcome)}}
	case "ini":
		doc = &formats.Node{Kind: formats.Mapping, Children: []*formats.Node{
			{Kind: formats.Mapping, Key: "Welcome!", Children: []*formats.Node{
				comment(" This is an example file."),
				str("hello", welcome),
				str("example_key", "example_value"),
			}},
		}}
	case "dotenv":
		doc = &formats.Node{Kind: formats.Mapping, Children: []*formats.Node{
			comment(" This is an example file."),
			str("hello", welcome),
			str("example_key", "example_value"),
			str("example_multiline", "foo\nbar\nbaz"),
		}}
	default:
		doc = &formats.Node{Kind: formats.Mapping, Children: []*formats.Node{
			str("hello", welcome),
			str("example_key", "example_value"),
			comment(" Example comment"),
			{Kind: formats.Sequence, Key: "example_array", Children: []*formats.Node{
				str("", "example_value1"),
				str("", "example_value2"),
			}},
			{Kind: formats.Scalar, Key: "example_number", Type: formats.Float, Value: "1234.56789"},
			{Kind: formats.Sequence, Key: "example_booleans", Children: []*formats.Node{
				{Kind: formats.Scalar, Type: formats.Bool, Value: "True"},
				{Kind: formats.Scalar, Type: formats.Bool, Value: "False"},
			}},
		}}
	}
	return &formats.File{Docs: []*formats.Node{doc}}
}

// KeptError says that an edit could not be written to Path because
// someone else changed or created it (What: "changed", "created") while
// the editor was open, and that KeepEdit kept it in Kept.
type KeptError struct{ Path, Kept, What string }

func (e *KeptError) Error() string {
	return fmt.Sprintf("%s was %s by someone else while the editor was open, so hull did not write it; your edit is kept, encrypted, in %s", e.Path, e.What, e.Kept)
}

// KeepEdit keeps an edit that lost the race for path (Keep) and returns
// the error that says so: a *KeptError, or, when the edit could not be
// kept either, an error that says why.
func KeepEdit(path string, sealed []byte, what string, now time.Time) error {
	kept, err := Keep(path, sealed, now)
	if err != nil {
		return fmt.Errorf("%s was %s by someone else while the editor was open, so it was not written, and your edit could not be kept either: %v", path, what, err)
	}
	return &KeptError{Path: path, Kept: kept, What: what}
}
