package hull

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/json"
)

// ErrInvalidValue is wrapped by errors about a value given to set that is
// not valid JSON (sops exit code 7, "Value for --set is not valid JSON").
var ErrInvalidValue = errors.New("invalid value")

// ErrPathConflict is wrapped when a tree path needs a mapping where the
// tree has a list, or a list where it has a mapping. sops panics or does
// nothing in these cases; hull refuses rather than replace a whole branch.
var ErrPathConflict = errors.New("the path does not match the tree")

// Set sets the value at path in doc, a document (mapping) of a plaintext
// tree, with the semantics of sops's Tree.Set:
//
//   - an existing mapping key or list element is replaced in place, so its
//     position and the comments around it are kept;
//   - a missing key is appended at the end of its mapping, creating the
//     intermediate mappings (and lists, for index components) as needed;
//   - a list index at or beyond the length of the list appends one element;
//     lists are never padded;
//   - a scalar (or null) in the way of the path is replaced by a new
//     mapping or list.
//
// Unlike sops, a path that asks for a key inside a list, or for an index
// inside a mapping, is an error wrapping [ErrPathConflict] (sops panics or
// silently does nothing).
//
// changed is false when the new value equals the old one ([formats.Equal]:
// kinds, keys, types, values and comments; line numbers are ignored); the
// tree is then not modified at all. value is copied, never shared with doc.
//
// Set works on one document; sops's set and unset edit the first document
// of a multi-document YAML file and leave the others as they are.
func Set(doc *formats.Node, path []PathStep, value *formats.Node) (changed bool, err error) {
	if doc == nil || doc.Kind != formats.Mapping {
		return false, fmt.Errorf("%w: the document is not a mapping", ErrPathConflict)
	}
	if len(path) == 0 {
		return false, fmt.Errorf("%w: empty path", ErrTreePath)
	}
	if err := checkValue(value); err != nil {
		return false, err
	}
	cur := doc
	for i, st := range path {
		rest := path[i+1:]
		idx, mismatch := childIndex(cur, path[:i], st, rest)
		if mismatch != nil {
			return false, fmt.Errorf("%w: %s", ErrPathConflict, mismatch.msg)
		}
		if idx < 0 {
			// Missing key, or an index at or past the end: append.
			cur.Children = append(cur.Children, build(st, rest, value))
			return true, nil
		}
		child := cur.Children[idx]
		if len(rest) == 0 {
			n := value.Clone()
			n.Key = child.Key
			if formats.Equal(child, n) {
				return false, nil
			}
			cur.Children[idx] = n
			return true, nil
		}
		if child.Kind == formats.Scalar {
			// A scalar in the way becomes the branch the path needs.
			cur.Children[idx] = build(st, rest, value)
			return true, nil
		}
		cur = child
	}
	panic("unreachable")
}

// Unset removes the mapping item or list element at path from doc. A
// comment written on the same line as the removed value goes with it;
// comments on lines of their own are kept, as sops keeps them. A path that
// does not exist is an error wrapping [ErrNotFound]; changed is true
// whenever err is nil.
func Unset(doc *formats.Node, path []PathStep) (changed bool, err error) {
	if doc == nil || doc.Kind != formats.Mapping {
		return false, fmt.Errorf("%w: the document is not a mapping", ErrPathConflict)
	}
	if len(path) == 0 {
		return false, fmt.Errorf("%w: empty path", ErrTreePath)
	}
	parent, err := lookup(doc, path, len(path)-1)
	if err != nil {
		return false, err
	}
	last := path[len(path)-1]
	idx, mismatch := childIndex(parent, path[:len(path)-1], last, nil)
	if mismatch != nil {
		// A key asked of a list, or an index of a mapping: not there.
		return false, fmt.Errorf("%s: %w", mismatch.msg, ErrNotFound)
	}
	if idx < 0 {
		if last.IsKey {
			return false, fmt.Errorf("component %s %w", component(last), ErrNotFound)
		}
		return false, fmt.Errorf("component %s is out of bounds: %w", component(last), ErrNotFound)
	}
	start := idx
	for start > 0 && parent.Children[start-1].Kind == formats.Comment && parent.Children[start-1].Inline {
		start--
	}
	parent.Children = append(parent.Children[:start], parent.Children[idx+1:]...)
	return true, nil
}

// ParseJSONValue parses the value argument of set. It must be one JSON
// value (RFC 8259), surrounded by optional whitespace; a leading UTF-8 byte
// order mark is ignored. hull keeps more of the JSON than sops does:
//
//   - an integer that fits in 64 bits is an Int (sops stores every top-level
//     number as a float); other numbers are Floats kept exactly as written;
//   - arrays are accepted and become lists (sops rejects them);
//   - objects keep their key order and reject duplicate keys;
//   - true and false are Bools, null is Null, strings are Strings.
//
// Invalid JSON is an error wrapping [ErrInvalidValue] that never quotes the
// value. The result carries no line numbers.
func ParseJSONValue(s string) (*formats.Node, error) {
	s = strings.TrimPrefix(s, "\ufeff")
	// The value is parsed as the only member of an object by the JSON
	// format's own parser: anything that is not exactly one value makes
	// the wrapper invalid, or gives it other members, and is refused.
	var b bytes.Buffer
	b.Grow(len(s) + 8)
	b.WriteString("{\"v\":\n")
	b.WriteString(s)
	b.WriteString("\n}")
	f, err := json.ParseFile("json", b.Bytes(), formats.ParseOptions{})
	if err != nil {
		var se *formats.SyntaxError
		if errors.As(err, &se) {
			line := se.Line - 1
			if line < 1 {
				line = 1
			}
			return nil, fmt.Errorf("%w: not valid JSON: line %d: %s", ErrInvalidValue, line, se.Msg)
		}
		if errors.Is(err, formats.ErrLimit) {
			return nil, fmt.Errorf("value: %w", err)
		}
		return nil, fmt.Errorf("%w: not valid JSON", ErrInvalidValue)
	}
	root := f.Docs[0]
	if f.Meta != nil || len(root.Children) != 1 || root.Children[0].Key != "v" {
		return nil, fmt.Errorf("%w: not valid JSON: more than one value", ErrInvalidValue)
	}
	v := root.Children[0].Clone()
	v.Key = ""
	clearLines(v)
	return v, nil
}

// SetValueFor returns value as set stores it in a file of the named
// format. sops reads a number given alone as a 64-bit float, and the dotenv
// and INI formats write a float with a decimal point ("-5" as "-5.0"); so
// does hull there, for an integer a float64 holds exactly. A larger integer
// is kept as written (sops would round it), and in the other formats an
// integer stays an integer (README, numbers-not-rounded).
func SetValueFor(format string, value *formats.Node) *formats.Node {
	if format != "dotenv" && format != "ini" || value == nil || value.Kind != formats.Scalar || value.Type != formats.Int {
		return value
	}
	n, err := strconv.ParseInt(value.Value, 10, 64)
	if err != nil || n > 1<<53 || n < -(1<<53) {
		return value
	}
	v := value.Clone()
	v.Type = formats.Float
	return v
}

func clearLines(n *formats.Node) {
	n.Line = 0
	for _, c := range n.Children {
		clearLines(c)
	}
}

// checkValue refuses what cannot be stored as a value.
func checkValue(v *formats.Node) error {
	if v == nil {
		return fmt.Errorf("%w: no value", ErrInvalidValue)
	}
	switch v.Kind {
	case formats.Mapping, formats.Sequence, formats.Scalar:
		return nil
	}
	return fmt.Errorf("%w: a %s cannot be set as a value", ErrInvalidValue, v.Kind)
}

// kindMismatch says that a path step does not fit the node it is applied to.
type kindMismatch struct{ msg string }

// childIndex returns the index in n.Children of the child that step names,
// or -1 when the key is missing or the index is at or past the end of the
// list. at is the path of n, for errors; rest is the path after st
// (keyIndex).
func childIndex(n *formats.Node, at []PathStep, st PathStep, rest []PathStep) (int, *kindMismatch) {
	if st.IsKey {
		if n.Kind != formats.Mapping {
			return 0, &kindMismatch{fmt.Sprintf("component %s is a key, but %s is a %s", component(st), where(at), n.Kind)}
		}
		return keyIndex(n, st.Key, rest), nil
	}
	if n.Kind != formats.Sequence {
		return 0, &kindMismatch{fmt.Sprintf("component %s is an index, but %s is a %s", component(st), where(at), n.Kind)}
	}
	k := 0
	for i, c := range n.Children {
		if c.Kind == formats.Comment {
			continue
		}
		if k == st.Index {
			return i, nil
		}
		k++
	}
	return -1, nil
}

// build makes the node that step st holds when it is created: value itself
// at the end of the path, else a new mapping or list holding the rest.
func build(st PathStep, rest []PathStep, value *formats.Node) *formats.Node {
	var n *formats.Node
	if len(rest) == 0 {
		n = value.Clone()
	} else {
		inner := build(rest[0], rest[1:], value)
		kind := formats.Sequence
		if rest[0].IsKey {
			kind = formats.Mapping
		}
		n = &formats.Node{Kind: kind, Children: []*formats.Node{inner}}
	}
	n.Key = ""
	if st.IsKey {
		n.Key = st.Key
	}
	return n
}

// component writes one path step as in a tree path: ["key"] or [0].
func component(st PathStep) string {
	if st.IsKey {
		return "[" + strconv.Quote(st.Key) + "]"
	}
	return "[" + strconv.Itoa(st.Index) + "]"
}

// where names a position in the tree for errors.
func where(path []PathStep) string {
	if len(path) == 0 {
		return "the top level"
	}
	var b strings.Builder
	for _, st := range path {
		b.WriteString(component(st))
	}
	return b.String()
}
