// Package formats defines the document tree that every file format parses
// into and emits from, and the small contract each format implements.
//
// The tree keeps what the SOPS v3 format needs: ordered mappings, lists,
// typed scalars and comments. Mapping items carry their key on the child
// node; comments are ordinary children with Kind Comment, so that order is
// kept exactly. Formats never know about keys or cryptography: an encrypted
// value is just a String scalar whose text is an ENC[…] envelope.
package formats

import (
	"errors"
	"strconv"
	"strings"
)

// Kind is the kind of a Node.
type Kind uint8

const (
	// Mapping is an ordered list of keyed children (and comments).
	Mapping Kind = iota + 1
	// Sequence is an ordered list of elements (and comments).
	Sequence
	// Scalar is a leaf value; see Type.
	Scalar
	// Comment is a comment line; Value holds the text after the '#'.
	Comment
)

func (k Kind) String() string {
	switch k {
	case Mapping:
		return "mapping"
	case Sequence:
		return "sequence"
	case Scalar:
		return "scalar"
	case Comment:
		return "comment"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Type is the type of a Scalar value.
type Type uint8

const (
	// Null is an absent value (YAML null, ~ or nothing; JSON null).
	Null Type = iota
	// String holds arbitrary bytes (not necessarily UTF-8 for binary files).
	String
	// Int holds a decimal integer that fits in int64.
	Int
	// Float holds a number literal that Go's strconv.ParseFloat accepts.
	Float
	// Bool holds "True" or "False".
	Bool
	// Time holds a timestamp in RFC 3339 with nanoseconds as needed.
	Time
)

func (t Type) String() string {
	switch t {
	case Null:
		return "null"
	case String:
		return "str"
	case Int:
		return "int"
	case Float:
		return "float"
	case Bool:
		return "bool"
	case Time:
		return "time"
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// Node is one node of a document tree.
//
// The Value of a Scalar is its canonical plaintext, the exact bytes that the
// SOPS format encrypts for its type (FORMAT.md §1.3):
//
//   - String: the raw string
//   - Int: decimal digits with an optional '-' ("42", "-7")
//   - Float: a literal accepted by strconv.ParseFloat, kept as written where
//     the source format allows it ("0.75", "1.0", "12345678901234567890",
//     "+Inf", "NaN"), so that numbers are never rounded
//   - Bool: "True" or "False"
//   - Time: time.Time.MarshalText output ("2024-01-01T00:00:00Z")
//   - Null: ""
type Node struct {
	// Key is the node's key when it is an item of a Mapping. It is empty
	// for sequence elements, comments and document roots.
	Key string
	// Value is the canonical plaintext of a Scalar or the text of a
	// Comment (everything after the comment marker, leading space kept).
	Value string
	// Children are the items of a Mapping or the elements of a Sequence,
	// in order, comments included.
	Children []*Node
	// Line is the 1-based source line, when the format knows it (0 if not).
	// It is used in error messages; it never holds content.
	Line int
	// Kind is what the node is.
	Kind Kind
	// Type is the type of a Scalar.
	Type Type
	// Inline marks a Comment written on the same line as the value before
	// it (YAML "a: 1 # note").
	Inline bool

	// The one-byte fields come last so that a Node takes 72 bytes, not
	// 88 with padding after each: a large file's tree is mostly nodes.
}

// NewMapping returns an empty mapping node.
func NewMapping() *Node { return &Node{Kind: Mapping} }

// NewString returns a String scalar with the given key.
func NewString(key, value string) *Node {
	return &Node{Kind: Scalar, Key: key, Type: String, Value: value}
}

// Get returns the first non-comment child of a mapping with the given key.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != Mapping {
		return nil
	}
	for _, c := range n.Children {
		if c.Kind != Comment && c.Key == key {
			return c
		}
	}
	return nil
}

// Remove deletes every non-comment child of a mapping with the given key and
// reports whether one was found.
func (n *Node) Remove(key string) bool {
	if n == nil || n.Kind != Mapping {
		return false
	}
	found := false
	kept := n.Children[:0]
	for _, c := range n.Children {
		if c.Kind != Comment && c.Key == key {
			found = true
			continue
		}
		kept = append(kept, c)
	}
	for i := len(kept); i < len(n.Children); i++ {
		n.Children[i] = nil
	}
	n.Children = kept
	return found
}

// Clone returns a deep copy of n.
func (n *Node) Clone() *Node {
	if n == nil {
		return nil
	}
	c := *n
	if n.Children != nil {
		c.Children = make([]*Node, len(n.Children))
		for i, ch := range n.Children {
			c.Children[i] = ch.Clone()
		}
	}
	return &c
}

// Equal reports whether two trees hold the same kinds, keys, types, values
// and comments in the same order. Line numbers are ignored.
func Equal(a, b *Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind || a.Key != b.Key || a.Type != b.Type || a.Value != b.Value ||
		a.Inline != b.Inline || len(a.Children) != len(b.Children) {
		return false
	}
	for i := range a.Children {
		if !Equal(a.Children[i], b.Children[i]) {
			return false
		}
	}
	return true
}

// File is a parsed file: one or more documents (mappings) and, for an
// encrypted file, the metadata block as a generic mapping.
type File struct {
	// Docs are the documents, each a Mapping. Only YAML has more than one.
	Docs []*Node
	// Meta is the "sops" metadata block, unflattened, or nil when the file
	// has none. Formats remove it from the documents when parsing and
	// append it to every document when emitting.
	Meta *Node
	// Warnings are things the parser did that the user should know about
	// (YAML aliases expanded into copies). They name lines, never values.
	Warnings []string
}

// FloatText is how sops writes a Float value as text (its stores'
// ValueToString, used by the dotenv and INI formats): the float64 in Go's
// 'G' format, with ".0" added to a whole number (1.0 as "1.0", 1e3 as
// "1000.0", 1.5e300 as "1.5E+300", 1.5e-7 as "1.5E-07"). A value that is
// not a number is returned as it is.
func FloatText(v string) string {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return v
	}
	s := strconv.FormatFloat(f, 'G', -1, 64)
	if !strings.ContainsAny(s, ".EIN") {
		s += ".0"
	}
	return s
}
