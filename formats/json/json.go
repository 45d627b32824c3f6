// Package json reads and writes JSON files as sops does (FORMAT.md §5.3).
//
// # Reading
//
// Only a top-level object is accepted. Key order is kept. Unlike sops,
// duplicate keys are rejected at every depth (SECURITY C26): two values
// for one key would let a reader and a writer disagree on which one is the
// secret. Strings are unescaped per RFC 8259; input that is not UTF-8,
// a lone UTF-16 surrogate escape, or a raw control character is a syntax
// error.
//
// Numbers keep their exact text. An integer literal that fits int64 is an
// Int; every other number (fraction, exponent, or an integer beyond int64)
// is a Float whose Value is the literal as written, so that it is
// encrypted as written. A plaintext file is written as sops writes it: a
// float through float64 and encoding/json (1.0 as 1, 1e+21 as 1e+21); in
// an encrypted file a float left in clear keeps its literal. The literal -0 is read as the Int 0, which is what
// sops encrypts for it (type int, plaintext "0"). A number beyond the
// float64 range (1e400) is a syntax error, since sops could not decrypt it.
//
// A top-level "sops" entry is returned as the file's metadata and removed
// from the document.
//
// # Writing
//
// Output is byte-identical to sops: the document object with the metadata
// appended as its last key, laid out as encoding/json's Indent lays it out
// (a tab by default) and ending in a newline. Strings are escaped exactly
// as encoding/json's Marshal escapes them, HTML characters included.
//
// # Performance
//
// The scanner is hand written: scalars without escapes are substrings of
// one copy of the input, nodes are allocated in slabs and children are
// collected on a shared stack, so nesting never uses the goroutine stack.
// On a generated 14 MB file with 500,000 values (5,000 objects of 100
// values), on the shared 2-core build machine with Go 1.26, Parse takes
// about 55-65 ms (65 MB allocated in 55,000 allocations, mostly the nodes)
// and Emit about 35 ms (one 16 MB buffer); encoding/json's token decoder,
// which sops uses, takes about 370-400 ms just to tokenize the same input.
// See bench_test.go.
package json

import (
	"github.com/hullsecrets/hull/formats"
)

const name = "json"

type format struct{}

// New returns the JSON format.
func New() formats.Format { return format{} }

func (format) Name() string { return name }

func (format) Extensions() []string { return []string{".json"} }

// Parse reads a JSON file whose top level is an object.
func (format) Parse(data []byte, opts formats.ParseOptions) (*formats.File, error) {
	return ParseFile(name, data, opts)
}

// ParseFile is Parse with errors reported under the given format name, so
// that the binary format can read its JSON envelope with its own name.
func ParseFile(formatName string, data []byte, opts formats.ParseOptions) (*formats.File, error) {
	lim := opts.Limits.WithDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return nil, &formats.LimitError{Format: formatName, What: "size", Limit: lim.MaxBytes}
	}
	p := newParser(formatName, data, lim, opts.Borrow)
	root, err := p.parse()
	if err != nil {
		return nil, err
	}
	f := &formats.File{Docs: []*formats.Node{root}}
	if m := root.Get("sops"); m != nil {
		root.Remove("sops")
		f.Meta = m
	}
	return f, nil
}

// Emit writes the first document, with f.Meta appended as its last key
// "sops" when it is not nil.
func (format) Emit(f *formats.File, opts formats.EmitOptions) ([]byte, error) {
	return EmitFile(name, f, opts)
}

// EmitFile is Emit with errors reported under the given format name.
func EmitFile(formatName string, f *formats.File, opts formats.EmitOptions) ([]byte, error) {
	if f == nil || len(f.Docs) == 0 || f.Docs[0] == nil {
		return nil, &formats.UnsupportedError{Format: formatName, Msg: "there is no document to write"}
	}
	doc := f.Docs[0]
	if doc.Kind != formats.Mapping {
		return nil, &formats.UnsupportedError{Format: formatName,
			Msg: "the document is a " + doc.Kind.String() + ": only a top-level object can be written"}
	}
	if f.Meta != nil && doc.Get("sops") != nil {
		return nil, &formats.UnsupportedError{Format: formatName,
			Msg: `the document already has a top-level key "sops"`}
	}
	e, err := newEncoder(formatName, opts, doc, f.Meta)
	if err != nil {
		return nil, err
	}
	e.plain = f.Meta == nil
	if err := e.mapping(doc, f.Meta, 0); err != nil {
		return nil, err
	}
	e.buf = append(e.buf, '\n')
	return e.buf, nil
}

// EmitValue writes one value as JSON, laid out like a file but without the
// final newline, as sops does for decrypt --extract.
func (format) EmitValue(n *formats.Node, opts formats.EmitOptions) ([]byte, error) {
	return MarshalNode(n, opts)
}

// MarshalNode writes any node (mapping, sequence or scalar) as JSON with
// the layout of Emit and no final newline. Comments inside it are skipped.
func MarshalNode(n *formats.Node, opts formats.EmitOptions) ([]byte, error) {
	if n == nil {
		return nil, &formats.UnsupportedError{Format: name, Msg: "there is no value to write"}
	}
	e, err := newEncoder(name, opts, n)
	if err != nil {
		return nil, err
	}
	e.plain = true
	if err := e.value(n, 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}
