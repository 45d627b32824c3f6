package formats

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The separators of flattened metadata keys (FORMAT.md §4.3), as sops's
// stores/flatten.go writes them.
const (
	mapSeparator  = "__map_"
	listSeparator = "__list_"
)

// maxFlatDepth bounds how deep a flattened key may nest, whatever the
// caller's limits: metadata is never more than five levels deep.
var maxFlatDepth = DefaultLimits.MaxDepth

// Flatten turns the metadata mapping meta into flat String scalars for the
// dotenv and INI formats. Each leaf becomes one item keyed prefix + path,
// where the path is the top-level key followed by "__map_<key>" for each
// mapping descent and "__list_<i>" for each list descent:
//
//	sops_age__list_0__map_enc
//	sops_key_groups__list_1__map_age__list_0__map_recipient
//	sops_kms__list_0__map_context__map_a
//
// Empty lists and mappings, comments and null values produce no item, as in
// sops. Non-string scalars become text: Bool "True" becomes "true", Int,
// Float and Time keep their canonical text. The items are sorted bytewise
// by key, which is the order sops writes them in.
//
// A key that would not read back as the same path (because it contains a
// separator, or is empty at the top level) is an error.
func Flatten(meta *Node, prefix string) ([]*Node, error) {
	if meta == nil {
		return nil, nil
	}
	if meta.Kind != Mapping {
		return nil, fmt.Errorf("cannot flatten metadata: it is a %s, not a mapping", meta.Kind)
	}
	var out []*Node
	var walk func(n *Node, path string, toks []token) error
	walk = func(n *Node, path string, toks []token) error {
		if len(toks) > maxFlatDepth {
			return fmt.Errorf("cannot flatten metadata key %q: nested too deeply", toks[0].key)
		}
		switch n.Kind {
		case Mapping:
			for _, c := range n.Children {
				if c.Kind == Comment {
					continue
				}
				t := append(toks[:len(toks):len(toks)], token{key: c.Key})
				if err := walk(c, path+mapSeparator+c.Key, t); err != nil {
					return err
				}
			}
		case Sequence:
			i := 0
			for _, c := range n.Children {
				if c.Kind == Comment {
					continue
				}
				t := append(toks[:len(toks):len(toks)], token{isList: true, index: i})
				if err := walk(c, path+listSeparator+strconv.Itoa(i), t); err != nil {
					return err
				}
				i++
			}
		case Scalar:
			if n.Type == Null {
				return nil
			}
			// The key must read back as the path it came from: a key
			// that contains a separator, or ends so that it runs into
			// the next one, would not.
			got, err := tokenize(path)
			if err != nil || !sameTokens(got, toks) {
				return fmt.Errorf("cannot flatten metadata key %q: a key in it cannot be told apart from the separators", toks[0].key)
			}
			v := n.Value
			if n.Type == Bool {
				v = strings.ToLower(v)
			}
			out = append(out, &Node{Kind: Scalar, Type: String, Key: path, Value: v})
		}
		return nil
	}
	seen := map[string]bool{}
	for _, c := range meta.Children {
		if c.Kind == Comment {
			continue
		}
		if c.Key == "" {
			return nil, fmt.Errorf("cannot flatten metadata: empty key")
		}
		if seen[c.Key] {
			return nil, fmt.Errorf("cannot flatten metadata: duplicate key %q", c.Key)
		}
		seen[c.Key] = true
		if err := walk(c, c.Key, []token{{key: c.Key}}); err != nil {
			return nil, err
		}
	}
	for _, it := range out {
		it.Key = prefix + it.Key
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	for i := 1; i < len(out); i++ {
		if out[i].Key == out[i-1].Key {
			return nil, fmt.Errorf("cannot flatten metadata: two values flatten to key %q", out[i].Key)
		}
	}
	return out, nil
}

// token is one step of a flattened path: a mapping key, or a list index
// when isList is set.
type token struct {
	isList bool
	key    string
	index  int
}

func sameTokens(a, b []token) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// tokenize splits a flattened key (without prefix) into its path, as sops's
// stores/flatten.go does, except that a list index must be a canonical
// non-negative decimal number.
func tokenize(path string) ([]token, error) {
	var toks []token
	start, i := 0, 0
	list := false
	finish := func() error {
		seg := path[start:i]
		if !list {
			toks = append(toks, token{key: seg})
			return nil
		}
		n, err := strconv.Atoi(seg)
		if err != nil || n < 0 || strconv.Itoa(n) != seg {
			return fmt.Errorf("invalid list index")
		}
		toks = append(toks, token{isList: true, index: n})
		return nil
	}
	for i < len(path) {
		switch {
		case strings.HasPrefix(path[i:], mapSeparator):
			if err := finish(); err != nil {
				return nil, err
			}
			list = false
			i += len(mapSeparator)
			start = i
		case strings.HasPrefix(path[i:], listSeparator):
			if err := finish(); err != nil {
				return nil, err
			}
			list = true
			i += len(listSeparator)
			start = i
		default:
			i++
		}
	}
	if err := finish(); err != nil {
		return nil, err
	}
	if toks[0].key == "" {
		return nil, fmt.Errorf("empty key")
	}
	return toks, nil
}

// UnflattenError reports a flattened metadata item that cannot be read
// back. Key names the item (keys are not secret); Line is its source line
// when the format knows it.
type UnflattenError struct {
	Key  string
	Line int
	Msg  string
}

func (e *UnflattenError) Error() string {
	return fmt.Sprintf("metadata key %q: %s", e.Key, e.Msg)
}

// Unwrap makes errors.Is(err, ErrSyntax) true.
func (e *UnflattenError) Unwrap() error { return ErrSyntax }

// flat is a node of the tree Unflatten builds before it turns it into Nodes.
type flat struct {
	kind  Kind // Mapping, Sequence or Scalar; 0 while undecided
	value string
	keys  map[string]*flat
	elems map[int]*flat
}

func (f *flat) child(t token) *flat {
	if t.isList {
		c := f.elems[t.index]
		if c == nil {
			c = &flat{}
			f.elems[t.index] = c
		}
		return c
	}
	c := f.keys[t.key]
	if c == nil {
		c = &flat{}
		f.keys[t.key] = c
	}
	return c
}

// Unflatten is the reverse of Flatten. Every item must be a scalar whose key
// starts with prefix; its value is kept as a String scalar. Lists must hold
// every index from 0 ("incomplete list"), a path cannot be both a value and
// a container, or both a mapping and a list ("type mismatch"), and a path
// cannot be given twice ("duplicate value"). Mapping keys come out sorted
// bytewise. The result is a Mapping with an empty Key. Errors are
// *UnflattenError.
func Unflatten(items []*Node, prefix string) (*Node, error) {
	root := &flat{kind: Mapping, keys: map[string]*flat{}}
	for _, it := range items {
		fail := func(msg string) error {
			return &UnflattenError{Key: it.Key, Line: it.Line, Msg: msg}
		}
		if it.Kind != Scalar {
			return nil, fail("not a scalar")
		}
		if !strings.HasPrefix(it.Key, prefix) {
			return nil, fail("missing prefix " + strconv.Quote(prefix))
		}
		toks, err := tokenize(it.Key[len(prefix):])
		if err != nil {
			return nil, fail(err.Error())
		}
		if len(toks) > maxFlatDepth {
			return nil, fail("nested too deeply")
		}
		cur := root
		for i, t := range toks {
			if t.isList && t.index >= len(items) {
				// More elements than items can never be complete.
				return nil, fail("incomplete list")
			}
			want := Mapping
			if t.isList {
				want = Sequence
			}
			if cur.kind != want {
				return nil, fail("type mismatch")
			}
			next := cur.child(t)
			if i == len(toks)-1 {
				if next.kind != 0 {
					if next.kind == Scalar {
						return nil, fail("duplicate value")
					}
					return nil, fail("type mismatch")
				}
				next.kind = Scalar
				next.value = it.Value
				break
			}
			if next.kind == 0 {
				if toks[i+1].isList {
					next.kind = Sequence
					next.elems = map[int]*flat{}
				} else {
					next.kind = Mapping
					next.keys = map[string]*flat{}
				}
			}
			cur = next
		}
	}
	return build(root, "", prefix, true)
}

// build turns a flat tree into Nodes. path is the flat key of f, used in
// error messages; top is set for the root, whose keys are not preceded by a
// separator.
func build(f *flat, key, path string, top bool) (*Node, error) {
	switch f.kind {
	case Scalar:
		return &Node{Kind: Scalar, Type: String, Key: key, Value: f.value}, nil
	case Mapping:
		n := &Node{Kind: Mapping, Key: key}
		keys := make([]string, 0, len(f.keys))
		for k := range f.keys {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := path + mapSeparator + k
			if top {
				p = path + k
			}
			c, err := build(f.keys[k], k, p, false)
			if err != nil {
				return nil, err
			}
			n.Children = append(n.Children, c)
		}
		return n, nil
	default: // Sequence
		n := &Node{Kind: Sequence, Key: key}
		for i := 0; i < len(f.elems); i++ {
			e, ok := f.elems[i]
			if !ok {
				return nil, &UnflattenError{Key: path, Msg: "incomplete list"}
			}
			c, err := build(e, "", path+listSeparator+strconv.Itoa(i), false)
			if err != nil {
				return nil, err
			}
			n.Children = append(n.Children, c)
		}
		return n, nil
	}
}
