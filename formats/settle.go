package formats

import (
	"fmt"
	"unicode/utf8"
)

// Settle replaces the documents of the plaintext file f with what format
// reads back after writing them, so that a tree changed by code (set,
// unset) holds only what the file will hold: a null becomes an empty
// string in dotenv and INI, two comments that meet in an INI section
// become one comment of two lines, a YAML comment moves to where the
// written file puts it. The extended MAC covers the tree as sealed; a file
// written from a tree that did not settle would not read back as what it
// authenticates. A tree the format cannot write is an error, the format's
// own, as the write would fail with it (so that it comes before any other
// check, as in sops); one whose output does not read back is an error too. Trees that come straight from Parse are settled
// already.
func Settle(format Format, f *File) error {
	if f == nil || len(f.Docs) == 0 {
		return nil
	}
	// Bytes that are not UTF-8 (a binary file's data) are kept by the
	// encrypted file, where they are ciphertext, but no text format can
	// write them in clear: writing them out here would replace them.
	for _, d := range f.Docs {
		if !validUTF8(d) {
			return nil
		}
	}
	// Written as an encrypted file is written (a sops block after the
	// documents): a format writes some values of a plaintext file as sops
	// does, which does not keep their type (a YAML float 1.0 as 1).
	meta := &Node{Kind: Mapping, Children: []*Node{NewString("version", "0")}}
	out, err := format.Emit(&File{Docs: f.Docs, Meta: meta}, EmitOptions{})
	if err != nil {
		// A value the plaintext cannot hold (a JSON infinity) is kept
		// by the encrypted file, where it is ciphertext: only a tree
		// whose shape the format cannot hold is an error here.
		shape := make([]*Node, len(f.Docs))
		for i, d := range f.Docs {
			shape[i] = d.Clone()
			blank(shape[i])
		}
		if _, serr := format.Emit(&File{Docs: shape, Meta: meta}, EmitOptions{}); serr == nil {
			return nil
		}
		return err
	}
	back, err := format.Parse(out, ParseOptions{Encrypted: true})
	if err != nil {
		return fmt.Errorf("the %s output does not read back: %w", format.Name(), err)
	}
	if len(back.Docs) != len(f.Docs) {
		return fmt.Errorf("the %s output does not read back: %d documents written, %d read", format.Name(), len(f.Docs), len(back.Docs))
	}
	f.Docs = back.Docs
	return nil
}

// validUTF8 reports whether every key, value and comment under n is UTF-8.
func validUTF8(n *Node) bool {
	if !utf8.ValidString(n.Key) || !utf8.ValidString(n.Value) {
		return false
	}
	for _, c := range n.Children {
		if !validUTF8(c) {
			return false
		}
	}
	return true
}

// blank makes every scalar under n an empty string, keeping the shape.
func blank(n *Node) {
	if n.Kind == Scalar {
		n.Type, n.Value = String, ""
	}
	for _, c := range n.Children {
		blank(c)
	}
}
