package hull

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hullsecrets/hull/formats"
)

// ErrMergeDocuments is returned by Merge3 when both sides changed the
// number of documents of a multi-document YAML file differently.
var ErrMergeDocuments = errors.New("both sides added or removed documents")

// MergeConflict is a place both sides changed differently.
type MergeConflict struct {
	// Doc is the index of the document.
	Doc int
	// Path is the tree path of the place, e.g. ["db"]["password"]; for the
	// comments at the end of a mapping it ends in "(comments)". It holds
	// keys only, never values.
	Path string
}

func (c MergeConflict) String() string {
	p := c.Path
	if p == "" {
		p = "the top level"
	}
	if c.Doc > 0 {
		return fmt.Sprintf("document %d, %s", c.Doc+1, p)
	}
	return p
}

// MergeResult is the outcome of Merge3.
type MergeResult struct {
	// Docs is the merged tree; at each conflict it holds our version.
	Docs []*formats.Node
	// TheirDocs is nil when there is no conflict; otherwise the merged
	// tree with their version at each conflict (and identical elsewhere).
	TheirDocs []*formats.Node
	// Conflicts lists the places both sides changed differently.
	Conflicts []MergeConflict
}

// Merge3 merges the decrypted documents of three versions of a file, key
// by key: a change on one side only is taken, the same change on both sides
// is taken once, and different changes to the same key are a conflict.
// Mappings are merged per key (the order of ours, with their new keys
// inserted after the key that precedes them on their side); sequences and
// scalars are atomic. A comment belongs to the item it precedes (an inline
// comment to the item before it) and is merged with it. base is nil when
// the versions have no common ancestor. The inputs are not changed; the
// result shares no node with them.
func Merge3(base, ours, theirs []*formats.Node) (*MergeResult, error) {
	mg := &merger{}
	var a, b []*formats.Node
	switch {
	case len(ours) == len(theirs) && (base == nil || len(base) == len(ours)):
		for i := range ours {
			var bd *formats.Node
			if base != nil {
				bd = base[i]
			}
			mg.doc = i
			x, y := mg.node(bd, ours[i], theirs[i], nil)
			a, b = append(a, x), append(b, y)
		}
	case base != nil && docsEqual(base, ours):
		a, b = theirs, theirs
	case base != nil && docsEqual(base, theirs):
		a, b = ours, ours
	default:
		return nil, ErrMergeDocuments
	}
	res := &MergeResult{Docs: cloneDocs(a), Conflicts: mg.conflicts}
	if len(mg.conflicts) > 0 {
		res.TheirDocs = cloneDocs(b)
	}
	return res, nil
}

func docsEqual(a, b []*formats.Node) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !formats.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func cloneDocs(d []*formats.Node) []*formats.Node {
	out := make([]*formats.Node, 0, len(d))
	for _, n := range d {
		if n != nil {
			out = append(out, n.Clone())
		}
	}
	return out
}

type merger struct {
	doc       int
	conflicts []MergeConflict
}

func (mg *merger) conflict(path []string) {
	mg.conflicts = append(mg.conflicts, MergeConflict{Doc: mg.doc, Path: strings.Join(path, "")})
}

// node merges one node (nil: absent) and returns our and their result,
// which are the same unless there is a conflict inside.
func (mg *merger) node(b, o, t *formats.Node, path []string) (*formats.Node, *formats.Node) {
	switch {
	case formats.Equal(o, t):
		return o, o
	case formats.Equal(b, o):
		return t, t
	case formats.Equal(b, t):
		return o, o
	case o != nil && t != nil && o.Kind == formats.Mapping && t.Kind == formats.Mapping &&
		(b == nil || b.Kind == formats.Mapping):
		return mg.mapping(b, o, t, path)
	}
	mg.conflict(path)
	return o, t
}

// item is a mapping entry with the comments that belong to it.
type item struct {
	key   string
	lead  []*formats.Node // comments before the entry
	node  *formats.Node
	trail []*formats.Node // inline comments after the entry
}

func (it *item) nodes() []*formats.Node {
	if it == nil {
		return nil
	}
	out := append([]*formats.Node(nil), it.lead...)
	out = append(out, it.node)
	return append(out, it.trail...)
}

func (it *item) comments() []*formats.Node {
	if it == nil {
		return nil
	}
	return append(append([]*formats.Node(nil), it.lead...), it.trail...)
}

// splitItems groups a mapping's children into items and the comments at
// its end.
func splitItems(n *formats.Node) (order []*item, byKey map[string]*item, tail []*formats.Node) {
	byKey = map[string]*item{}
	if n == nil {
		return nil, byKey, nil
	}
	var pending []*formats.Node
	var last *item
	for _, c := range n.Children {
		if c.Kind == formats.Comment {
			if c.Inline && last != nil && len(pending) == 0 {
				last.trail = append(last.trail, c)
			} else {
				pending = append(pending, c)
			}
			continue
		}
		it := &item{key: c.Key, lead: pending, node: c}
		pending = nil
		order = append(order, it)
		byKey[c.Key] = it
		last = it
	}
	return order, byKey, pending
}

func nodesEqual(a, b []*formats.Node) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !formats.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// entry is one merged mapping entry: our and their nodes (comments
// included; empty when the entry is absent on that side).
type entry struct {
	key  string
	a, b []*formats.Node
}

func (mg *merger) mapping(b, o, t *formats.Node, path []string) (*formats.Node, *formats.Node) {
	_, bItems, bTail := splitItems(b)
	oOrder, oItems, oTail := splitItems(o)
	tOrder, tItems, tTail := splitItems(t)
	var entries []*entry
	for _, oi := range oOrder {
		x, y := mg.item(bItems[oi.key], oi, tItems[oi.key], append(path, keyStep(oi.key)))
		entries = append(entries, &entry{key: oi.key, a: x, b: y})
	}
	for j, ti := range tOrder {
		if oItems[ti.key] != nil {
			continue
		}
		x, y := mg.item(bItems[ti.key], nil, ti, append(path, keyStep(ti.key)))
		if len(x) == 0 && len(y) == 0 {
			continue
		}
		e := &entry{key: ti.key, a: x, b: y}
		pos := 0
		for p := j - 1; p >= 0; p-- {
			if k := indexEntry(entries, tOrder[p].key); k >= 0 {
				pos = k + 1
				break
			}
		}
		entries = append(entries, nil)
		copy(entries[pos+1:], entries[pos:])
		entries[pos] = e
	}
	ta, tb := mg.comments(bTail, oTail, tTail, append(path, "(comments)"))
	ra, rb := *o, *o
	ra.Children, rb.Children = nil, nil
	for _, e := range entries {
		ra.Children = append(ra.Children, e.a...)
		rb.Children = append(rb.Children, e.b...)
	}
	ra.Children = append(ra.Children, ta...)
	rb.Children = append(rb.Children, tb...)
	return &ra, &rb
}

func indexEntry(entries []*entry, key string) int {
	for i, e := range entries {
		if e.key == key {
			return i
		}
	}
	return -1
}

func keyStep(k string) string { return "[" + strconv.Quote(k) + "]" }

// item merges one mapping entry with its comments.
func (mg *merger) item(b, o, t *item, path []string) ([]*formats.Node, []*formats.Node) {
	on, tn, bn := o.nodes(), t.nodes(), b.nodes()
	switch {
	case nodesEqual(on, tn):
		return on, on
	case nodesEqual(bn, on):
		return tn, tn
	case nodesEqual(bn, tn):
		return on, on
	case o == nil || t == nil:
		// Removed on one side, changed on the other.
		mg.conflict(path)
		return on, tn
	}
	var bnode *formats.Node
	if b != nil {
		bnode = b.node
	}
	ca, cb := mg.comments(b.comments(), o.comments(), t.comments(), append(path, "(comments)"))
	va, vb := mg.node(bnode, o.node, t.node, path)
	// Comments keep their place (before the entry, or inline after it) as
	// on the side whose comments were taken.
	build := func(cs []*formats.Node, v *formats.Node) []*formats.Node {
		for _, side := range []*item{o, t, b} {
			if side != nil && nodesEqual(cs, side.comments()) {
				out := append([]*formats.Node(nil), side.lead...)
				out = append(out, v)
				return append(out, side.trail...)
			}
		}
		return append(append([]*formats.Node(nil), cs...), v)
	}
	return build(ca, va), build(cb, vb)
}

// comments merges lists of comments as one atomic value.
func (mg *merger) comments(b, o, t []*formats.Node, path []string) ([]*formats.Node, []*formats.Node) {
	switch {
	case nodesEqual(o, t):
		return o, o
	case nodesEqual(b, o):
		return t, t
	case nodesEqual(b, t):
		return o, o
	}
	mg.conflict(path)
	return o, t
}

// Add appends the ciphertexts remembered by o to s, skipping those s
// already holds, so that every ciphertext stays usable at most once. Both
// stashes must have been filled with the same data key.
func (s *Stash) Add(o *Stash) {
	if s == nil || o == nil {
		return
	}
	for k, l := range o.m {
	next:
		for _, enc := range l {
			for _, have := range s.m[k] {
				if have == enc {
					continue next
				}
			}
			s.m[k] = append(s.m[k], enc)
		}
	}
}
