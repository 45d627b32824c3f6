// Package binary is the format of files that are not structured: the whole
// file is one String value under the key "data" (FORMAT.md §4.3, §5.6).
//
// A plaintext file is read as raw bytes, in any encoding and never checked
// for UTF-8, and written back exactly, with no newline added. An encrypted
// binary file is a JSON object {"data": "ENC[…]", "sops": {…}}, read and
// written by package json with the same layout as a JSON file.
package binary

import (
	"errors"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/json"
)

const name = "binary"

// DataKey is the key of the single value of a binary file.
const DataKey = "data"

type format struct{}

// New returns the binary format.
func New() formats.Format { return format{} }

func (format) Name() string { return name }

// Extensions is empty: the binary format is chosen by name, or as the
// fallback for unknown suffixes.
func (format) Extensions() []string { return nil }

const notEncrypted = "not an encrypted binary file? use --input-type to choose another format"

// Parse reads a plaintext file as one value, or an encrypted file as its
// JSON envelope.
func (format) Parse(data []byte, opts formats.ParseOptions) (*formats.File, error) {
	lim := opts.Limits.WithDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return nil, &formats.LimitError{Format: name, What: "size", Limit: lim.MaxBytes}
	}
	if !opts.Encrypted {
		if lim.MaxNodes < 2 {
			return nil, &formats.LimitError{Format: name, What: "nodes", Limit: int64(lim.MaxNodes)}
		}
		doc := &formats.Node{Kind: formats.Mapping, Line: 1, Children: []*formats.Node{
			{Kind: formats.Scalar, Key: DataKey, Type: formats.String, Value: string(data), Line: 1},
		}}
		return &formats.File{Docs: []*formats.Node{doc}}, nil
	}
	f, err := json.ParseFile(name, data, opts)
	if err != nil {
		var se *formats.SyntaxError
		if errors.As(err, &se) {
			return nil, &formats.SyntaxError{Format: name, Line: se.Line, Msg: se.Msg + " (" + notEncrypted + ")"}
		}
		return nil, err
	}
	return f, nil
}

// Emit writes the JSON envelope when f.Meta is set, and otherwise the raw
// bytes of the "data" value.
func (format) Emit(f *formats.File, opts formats.EmitOptions) ([]byte, error) {
	if f != nil && f.Meta != nil {
		return json.EmitFile(name, f, opts)
	}
	if f == nil || len(f.Docs) == 0 || f.Docs[0] == nil {
		return nil, &formats.UnsupportedError{Format: name, Msg: "there is no document to write"}
	}
	d := f.Docs[0].Get(DataKey)
	if d == nil || d.Kind != formats.Scalar || d.Type != formats.String {
		return nil, &formats.UnsupportedError{Format: name,
			Msg: `no string value "data" found: not an encrypted binary file? use --output-type to choose another format`}
	}
	return []byte(d.Value), nil
}

// EmitValue always fails: a binary file has no structure to extract from.
func (format) EmitValue(*formats.Node, formats.EmitOptions) ([]byte, error) {
	return nil, &formats.UnsupportedError{Format: name,
		Msg: "binary files are not structured: a single value cannot be written; use --output-type to choose another format"}
}
