package hull

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hullsecrets/hull/formats"
)

// PathStep is one component of a tree path: a mapping key or a list index.
type PathStep struct {
	Key   string
	Index int
	IsKey bool
}

// ErrTreePath is wrapped by errors about a malformed tree path.
var ErrTreePath = errors.New("invalid tree path")

// ErrNotFound is wrapped when a tree path does not exist in a document.
var ErrNotFound = errors.New("not found")

// ParseTreePath parses a sops tree path such as ["a"]["b"][0] or ['a'][0]
// (as sops parses them). Unlike sops, hull requires matching quotes and brackets
// and rejects anything between components.
func ParseTreePath(s string) ([]PathStep, error) {
	var steps []PathStep
	rest := s
	for rest != "" {
		if rest[0] != '[' {
			return nil, fmt.Errorf("%w %q: expected [ at offset %d", ErrTreePath, s, len(s)-len(rest))
		}
		rest = rest[1:]
		if rest != "" && (rest[0] == '"' || rest[0] == '\'') {
			q := rest[0]
			end := strings.IndexByte(rest[1:], q)
			if end < 0 || len(rest) < end+3 || rest[end+2] != ']' {
				return nil, fmt.Errorf("%w %q: unterminated key", ErrTreePath, s)
			}
			steps = append(steps, PathStep{Key: rest[1 : end+1], IsKey: true})
			rest = rest[end+3:]
			continue
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, fmt.Errorf("%w %q: missing ]", ErrTreePath, s)
		}
		n, err := strconv.Atoi(rest[:end])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%w %q: %q is neither a quoted key nor a list index", ErrTreePath, s, rest[:end])
		}
		steps = append(steps, PathStep{Index: n})
		rest = rest[end+1:]
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("%w %q: empty path", ErrTreePath, s)
	}
	return steps, nil
}

// Lookup returns the node at path in doc.
func Lookup(doc *formats.Node, path []PathStep) (*formats.Node, error) {
	return lookup(doc, path, len(path))
}

// lookup returns the node at the first n steps of path; the steps after
// them choose between equal keys (keyIndex).
func lookup(doc *formats.Node, path []PathStep, n int) (*formats.Node, error) {
	cur := doc
	for i, st := range path[:n] {
		if st.IsKey {
			if cur.Kind != formats.Mapping {
				return nil, fmt.Errorf("component [%q] is a key, but that part of the tree is a %s: %w", st.Key, cur.Kind, ErrNotFound)
			}
			var next *formats.Node
			if j := keyIndex(cur, st.Key, path[i+1:]); j >= 0 {
				next = cur.Children[j]
			}
			if next == nil {
				return nil, fmt.Errorf("component [%q] %w", st.Key, ErrNotFound)
			}
			cur = next
			continue
		}
		if cur.Kind != formats.Sequence {
			return nil, fmt.Errorf("component [%d] is an index, but that part of the tree is a %s: %w", st.Index, cur.Kind, ErrNotFound)
		}
		i := 0
		var next *formats.Node
		for _, c := range cur.Children {
			if c.Kind == formats.Comment {
				continue
			}
			if i == st.Index {
				next = c
				break
			}
			i++
		}
		if next == nil {
			return nil, fmt.Errorf("component [%d] is out of bounds: %w", st.Index, ErrNotFound)
		}
		cur = next
	}
	return cur, nil
}

// keyIndex returns the index of the mapping child with the given key, or
// -1. A key appears twice only in an INI document with an explicit
// [DEFAULT] section besides the implicit one (keys before any header):
// then the section that holds the next key of the path is chosen, else the
// first.
func keyIndex(n *formats.Node, key string, rest []PathStep) int {
	first := -1
	for i, c := range n.Children {
		if c.Kind == formats.Comment || c.Key != key {
			continue
		}
		if first < 0 {
			first = i
		}
		if len(rest) > 0 && rest[0].IsKey && c.Kind == formats.Mapping && c.Get(rest[0].Key) != nil {
			return i
		}
	}
	return first
}
