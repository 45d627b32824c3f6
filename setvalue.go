package hull

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hullsecrets/hull/formats"
)

// ParseSetValue parses the value of set: JSON (ParseJSONValue), or with
// literal the exact text as a string, which must be UTF-8 to be written
// as YAML or JSON text. Errors wrap ErrInvalidValue.
func ParseSetValue(raw string, literal bool) (*formats.Node, error) {
	if literal {
		if !utf8.ValidString(raw) {
			return nil, fmt.Errorf("--string: %w: the value is not valid UTF-8", ErrInvalidValue)
		}
		return &formats.Node{Kind: formats.Scalar, Type: formats.String, Value: raw}, nil
	}
	v, err := ParseJSONValue(raw)
	if errors.Is(err, ErrInvalidValue) {
		return nil, fmt.Errorf("%w (to store text as it is, use --string)", err)
	}
	return v, err
}

// ReadSetValue reads a whole value from src (a value file, stdin; name
// says which), refusing one over limit bytes (a *formats.LimitError).
func ReadSetValue(src io.Reader, name string, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(src, limit+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the value from %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, &formats.LimitError{Format: "value", What: "size", Limit: limit}
	}
	return b, nil
}

// SplitLegacySet splits the argument of sops's top-level --set '<path>
// <json>' after the first "] ", as sops does; ok is false when there is
// none.
func SplitLegacySet(spec string) (path, value string, ok bool) {
	i := strings.Index(spec, "] ")
	if i < 0 {
		return "", "", false
	}
	return strings.TrimRight(spec[:i+1], " "), spec[i+2:], true
}

// SetIn sets value at path in the first document of f (Set), then settles
// the tree as fm will hold it (a null in dotenv is an empty string), or it
// would not match its extended MAC once sealed.
func SetIn(f *formats.File, fm formats.Format, path []PathStep, value *formats.Node) (bool, error) {
	if len(f.Docs) == 0 {
		return false, ErrEmpty
	}
	// A number is a float to sops (-5.0 in dotenv and INI).
	changed, err := Set(f.Docs[0], path, SetValueFor(fm.Name(), value))
	if err != nil {
		return false, err
	}
	return changed, formats.Settle(fm, f)
}

// UnsetIn removes path from the first document of f (Unset; a missing
// path wraps ErrNotFound), then settles the tree as fm will hold it (the
// comments around a removed key meet).
func UnsetIn(f *formats.File, fm formats.Format, path []PathStep) error {
	if len(f.Docs) == 0 {
		return ErrEmpty
	}
	if _, err := Unset(f.Docs[0], path); err != nil {
		return err
	}
	return formats.Settle(fm, f)
}

// Extract is the part of the first document of f at path as sops's
// --extract writes it: a mapping as a whole file in format fm, a string as
// its raw bytes, anything else through the format's value writer.
func Extract(f *formats.File, path []PathStep, fm formats.Format, o formats.EmitOptions) ([]byte, error) {
	if len(f.Docs) == 0 {
		return nil, ErrEmpty
	}
	n, err := Lookup(f.Docs[0], path)
	if err != nil {
		return nil, err
	}
	switch {
	case n.Kind == formats.Mapping:
		doc := n.Clone()
		doc.Key = ""
		return fm.Emit(&formats.File{Docs: []*formats.Node{doc}}, o)
	case n.Kind == formats.Scalar && n.Type == formats.String:
		return []byte(n.Value), nil
	}
	out, err := fm.EmitValue(n, o)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrEmit, err)
	}
	return out, nil
}

// ErrEmit is Extract's error for a value its format cannot write.
var ErrEmit = errors.New("cannot write the extracted value")
