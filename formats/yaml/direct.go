package yaml

import (
	"bytes"
	"errors"
	"strings"
	"unicode/utf8"

	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/hullsecrets/hull/formats"
)

// The direct emitter writes a file without building yaml.v3 nodes, byte
// for byte as the yaml.v3 path in emit.go does. It has two halves:
//
//   - direct.go walks the tree and produces the events yaml.v3's encoder
//     would produce for the nodes emit.go builds: the same comment
//     placement (head comments on keys and items, inline comments as line
//     comments of the value, trailing comments as the foot of the last
//     key, passed on as a tail comment) and the same node for every
//     scalar;
//   - emitter.go is a port of yaml.v3's emitter that writes those events.
//
// The node of a string scalar is what sops gets from yaml.Node.Encode: the
// string encoded as a document and parsed back, which settles its style.
// For a single-line string, or a multi-line one that makes a plain literal
// block, the direct emitter works the style out itself (stringNode); for
// any other string (invalid UTF-8, line breaks other than LF, control
// characters or trailing spaces in a multi-line string, ...) it asks
// yaml.v3 for the node of that one scalar, as emit.go does, and caches it.
//
// It gives up (errFallback, and the whole file goes through yaml.v3) only
// for trees sops cannot produce or yaml.v3 cannot write:
//
//   - a document that is not a mapping (the yaml.v3 path fails too);
//   - a scalar whose node needs a tag that is not "!"/"!!" and a word,
//     or folded style (emit.go builds neither);
//   - a comment that is not valid UTF-8 (yaml.v3 panics on it, so the
//     yaml.v3 path fails too);
//   - an internal error (a recovered panic).
//
// Everything else is handled directly: comments in every position,
// encrypted comments, empty mappings and sequences ({} and []), merge
// keys ("<<", written "!!merge <<" as yaml.v3 does), keys longer than 128
// bytes or spanning lines ("? " keys), every string, literal blocks with
// any chomping, typed scalars, several documents, the sops metadata, and
// any indentation (yaml.v3 uses 2 outside 2..9, so does the port).
//
// TestDirectMatchesV3, TestDirectTrees, FuzzDirect and FuzzDirectTree
// check that the two paths agree.
//
// Why, measured with the 10 MB, 500k-value file of bench_test.go: the
// yaml.v3 path takes about 16 s of CPU (21 s and up in wall time on the
// loaded shared machine) and allocates 13.6 GB. It is linear, not
// quadratic: sops' recipe runs every key and every string through
// yaml.Node.Encode, which sets up a fresh yaml.v3 encoder and parser
// (about 13 KB of buffers and 40 allocations) to encode and re-parse one
// scalar; that is 80% of the time, the final encoding of the tree (3 s) the
// rest. Driving yaml.v3 differently (encoding each top-level item on its
// own) would not help: no single encode is slow, there are just a million
// of them. The direct emitter takes about 0.15 s of CPU and allocates only
// its output buffer, with comments and non-ASCII text as without.

var errFallback = errors.New("yaml: direct emitter cannot decide")

type direct struct {
	em emitter
	ev event
	// keys and values cache the nodes yaml.v3 gives the strings the
	// direct emitter cannot settle itself.
	keys, values map[string]snode
	// plain: the file has no sops metadata (floatText).
	plain bool
	// compact is set for a mapping that is a list element, while its
	// mapping start is sent (see seqLiteralBroken).
	compact bool
}

// snode is the yaml.v3 node emit.go builds for a scalar. fast marks a
// string node settled by stringNode, whose emitter style and analysis are
// known.
type snode struct {
	tag   string
	style yamlv3.Style
	value string

	fast   bool
	sStyle sStyle
	info   scalarInfo
}

func emitDirect(f *formats.File, opts formats.EmitOptions) (out []byte, err error) {
	return emitDirectCmp(f, opts, nil)
}

// emitsAs reports whether the direct emitter writes f (with the zero
// EmitOptions) as exactly data. It compares as it writes and holds only
// cmpChunk bytes of output, where writing and comparing would hold a copy
// of the whole file. false when the output differs or the direct emitter
// cannot write f (then Emit uses yaml.v3).
func emitsAs(f *formats.File, data []byte) bool {
	if data == nil {
		data = []byte{}
	}
	_, err := emitDirectCmp(f, formats.EmitOptions{}, data)
	return err == nil
}

// emitDirectCmp is emitDirect, or, when cmp is not nil, compares the
// output with cmp as it goes: it then returns no output, and errDiffers
// when they differ.
func emitDirectCmp(f *formats.File, opts formats.EmitOptions, cmp []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, errFallback
			if r == errDiffers {
				err = errDiffers
			}
		}
	}()
	if len(f.Docs) == 0 {
		if cmp != nil && len(cmp) != 0 {
			return nil, errDiffers
		}
		return []byte{}, nil
	}
	for _, doc := range f.Docs {
		if doc == nil || doc.Kind != formats.Mapping {
			return nil, errFallback
		}
	}
	d := &direct{plain: f.Meta == nil}
	d.em.init(indentOf(opts))
	size := 8
	for _, doc := range f.Docs {
		size += estimate(doc, 0, d.em.bestIndent)
	}
	if f.Meta != nil {
		size += estimate(f.Meta, 1, d.em.bestIndent)
	}
	if cmp != nil {
		d.em.cmp = cmp
		size = min(size, cmpChunk)
	}
	d.em.out = make([]byte, 0, size+size/8)
	for _, doc := range f.Docs {
		if err := d.send(evDocStart, "", "", "", "", false); err != nil {
			return nil, err
		}
		if err := d.mapping(docItems(f, doc), "", "", ""); err != nil {
			return nil, err
		}
		if err := d.send(evDocEnd, "", "", "", "", false); err != nil {
			return nil, err
		}
	}
	if cmp != nil {
		d.em.flushCmp()
		if d.em.cmpPos != len(cmp) {
			return nil, errDiffers
		}
		return nil, nil
	}
	return d.em.out, nil
}

// cmpChunk is how much output the emitter holds when it compares.
const cmpChunk = 64 << 10

// errDiffers stops an emitter whose output differs from cmp.
var errDiffers = errors.New("yaml: output differs")

// flushCmp compares the output held with the next bytes of cmp, and
// empties it; it panics with errDiffers when they differ (the emitter's
// callers turn panics into errors).
func (e *emitter) flushCmp() {
	end := e.cmpPos + len(e.out)
	if end > len(e.cmp) || !bytes.Equal(e.out, e.cmp[e.cmpPos:end]) {
		panic(errDiffers)
	}
	e.cmpPos = end
	e.out = e.out[:0]
}

// estimate returns about how many bytes n takes in the output, at depth
// (a document is at 0, its keys at 1, in column 0): its key and value, the
// indentation, and 4 for ": " or "- ", the line break and some quoting. It
// is within a few percent of the output of sops-style files, where one
// that counted the indentation one level deeper and 6 bytes per node
// reserved 40% more than a 10 MB decrypt writes.
func estimate(n *formats.Node, depth, indent int) int {
	size := len(n.Key) + len(n.Value) + 4
	if depth > 1 {
		size += (depth - 1) * indent
	}
	for _, c := range n.Children {
		size += estimate(c, depth+1, indent)
	}
	return size
}

func (d *direct) send(kind evKind, head, line, foot, tail string, empty bool) error {
	d.ev = event{kind: kind, head: head, line: line, foot: foot, tail: tail, empty: empty}
	return d.em.emit(&d.ev)
}

// firstLast returns the indexes of the first and last items that are not
// comments, -1 when there are none.
func firstLast(items []*formats.Node) (first, last int) {
	first, last = -1, -1
	for i, it := range items {
		if it.Kind != formats.Comment {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	return first, last
}

// joinRun joins the comments of run that are inline (or not), as
// joinComments does; "" when there are none.
func joinRun(run []*formats.Node, inline bool) string {
	var b strings.Builder
	for _, c := range run {
		if c.Kind == formats.Comment && c.Inline == inline {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteByte('#')
			b.WriteString(c.Value)
		}
	}
	return b.String()
}

// joinTrailing joins comments as emit.go does for those after the last
// item: the others first, then the inline ones.
func joinTrailing(run []*formats.Node) string {
	return joinLines(joinRun(run, false), joinRun(run, true))
}

// joinLines is addHead's and addFoot's joining of two comments.
func joinLines(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n" + b
}

// mapping emits a mapping as v3Branch builds it and yaml.v3 encodes it;
// head, line and foot are the comments its parent attaches to the node.
func (d *direct) mapping(items []*formats.Node, head, line, foot string) error {
	// A mapping that is a list element: see seqLiteralBroken.
	compact := d.compact
	d.compact = false
	first, _ := firstLast(items)
	var own string
	if first < 0 {
		own = joinTrailing(items)
	} else {
		own = joinRun(items[:first], false)
	}
	if err := d.send(evMapStart, joinLines(head, own), "", "", "", first < 0); err != nil {
		return err
	}
	run := 0
	for i, it := range items {
		if it.Kind == formats.Comment {
			continue
		}
		var keyHead, valLine string
		if run < i {
			if i != first {
				keyHead = joinRun(items[run:i], false)
			}
			valLine = joinRun(items[run:i], true)
		}
		run = i + 1
		k, err := d.keyNode(it.Key)
		if err != nil {
			return err
		}
		if compact && seqLiteralBroken(it.Key) {
			k = dqNode(it.Key)
		}
		if err := d.scalar(&k, keyHead, "", ""); err != nil {
			return err
		}
		if compact && it.Kind == formats.Scalar && it.Type == formats.String && seqLiteralBroken(it.Value) {
			v := dqNode(it.Value)
			if err := d.scalar(&v, "", valLine, ""); err != nil {
				return err
			}
			continue
		}
		if err := d.value(it, "", valLine, ""); err != nil {
			return err
		}
	}
	// The foot comment of the last key is written as the tail comment of
	// the mapping end.
	var tail string
	if first >= 0 && run < len(items) {
		tail = joinTrailing(items[run:])
	}
	return d.send(evMapEnd, "", line, foot, tail, false)
}

// dqNode is a string node in double quotes (dqString).
func dqNode(s string) snode {
	return snode{tag: tagStr, style: yamlv3.DoubleQuotedStyle, value: s}
}

// sequence emits a sequence as v3Sequence builds it.
func (d *direct) sequence(items []*formats.Node, head, line, foot string) error {
	first, last := firstLast(items)
	var own string
	if first < 0 {
		own = joinTrailing(items)
	} else {
		own = joinRun(items[:first], false)
	}
	if err := d.send(evSeqStart, joinLines(head, own), "", "", "", first < 0); err != nil {
		return err
	}
	run := 0
	for i, it := range items {
		if it.Kind == formats.Comment {
			continue
		}
		var itemHead, itemLine, itemFoot string
		if run < i {
			if i != first {
				itemHead = joinRun(items[run:i], false)
			}
			itemLine = joinRun(items[run:i], true)
		}
		run = i + 1
		if i == last && last+1 < len(items) {
			itemFoot = joinTrailing(items[last+1:])
		}
		if it.Kind == formats.Scalar && it.Type == formats.String && seqLiteralBroken(it.Value) {
			s := dqNode(it.Value)
			if err := d.scalar(&s, itemHead, itemLine, itemFoot); err != nil {
				return err
			}
			continue
		}
		d.compact = it.Kind == formats.Mapping
		if err := d.value(it, itemHead, itemLine, itemFoot); err != nil {
			return err
		}
	}
	return d.send(evSeqEnd, "", line, foot, "", false)
}

func (d *direct) value(n *formats.Node, head, line, foot string) error {
	switch n.Kind {
	case formats.Mapping:
		return d.mapping(n.Children, head, line, foot)
	case formats.Sequence:
		return d.sequence(n.Children, head, line, foot)
	case formats.Scalar:
		s, err := d.valueNode(n)
		if err != nil {
			return err
		}
		return d.scalar(&s, head, line, foot)
	}
	return errFallback
}

// scalar emits a scalar node as yaml.v3's encoder.node does: it drops the
// tag when the text resolves to it and picks the requested style.
func (d *direct) scalar(s *snode, head, line, foot string) error {
	d.ev = event{kind: evScalar, head: head, line: line, foot: foot, value: s.value}
	ev := &d.ev
	if s.fast {
		ev.style, ev.analyzed, ev.info = s.sStyle, true, s.info
		return d.em.emit(ev)
	}
	tag, v := s.tag, s.value
	const quoted = yamlv3.SingleQuotedStyle | yamlv3.DoubleQuotedStyle | yamlv3.LiteralStyle | yamlv3.FoldedStyle
	force := false
	if tag != "" && s.style&yamlv3.TaggedStyle == 0 {
		switch {
		case tag == tagStr && s.style&quoted != 0:
			tag = ""
		case resolvePlain(v) == tag:
			tag = ""
		case tag == tagStr:
			tag, force = "", true
		}
	}
	if !utf8.ValidString(v) {
		return errFallback
	}
	switch {
	case s.style&yamlv3.DoubleQuotedStyle != 0:
		ev.style = sDouble
	case s.style&yamlv3.SingleQuotedStyle != 0:
		ev.style = sSingle
	case s.style&yamlv3.LiteralStyle != 0:
		ev.style = sLiteral
	case s.style&yamlv3.FoldedStyle != 0:
		return errFallback
	case strings.IndexByte(v, '\n') >= 0:
		ev.style = sLiteral
	case force:
		ev.style = sDouble
	default:
		ev.style = sPlain
	}
	if tag != "" {
		switch {
		case strings.HasPrefix(tag, "!!"):
			ev.handle, ev.suffix = "!!", tag[2:]
		case strings.HasPrefix(tag, "!"):
			ev.handle, ev.suffix = "!", tag[1:]
		default:
			return errFallback
		}
		if !tagWord(ev.suffix) {
			return errFallback
		}
	}
	return d.em.emit(ev)
}

// tagWord reports tag suffixes that yaml.v3 writes without escaping.
func tagWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// keyNode returns the node v3Branch builds for a key (yaml.Node.Encode).
func (d *direct) keyNode(k string) (snode, error) {
	if s, ok := stringNode(k); ok {
		return s, nil
	}
	if s, ok := d.keys[k]; ok {
		return s, nil
	}
	var n yamlv3.Node
	if err := n.Encode(k); err != nil || n.Kind != yamlv3.ScalarNode {
		return snode{}, errFallback
	}
	s := snode{tag: n.Tag, style: n.Style, value: n.Value}
	if d.keys == nil {
		d.keys = map[string]snode{}
	}
	d.keys[k] = s
	return s, nil
}

// valueNode returns the node v3Scalar builds for a scalar value.
func (d *direct) valueNode(n *formats.Node) (snode, error) {
	if n.Type != formats.String {
		tag, style, v, err := typedScalar(n, d.plain)
		if err != nil {
			return snode{}, errFallback
		}
		return snode{tag: tag, style: style, value: v}, nil
	}
	if s, ok := stringNode(n.Value); ok {
		return s, nil
	}
	if s, ok := d.values[n.Value]; ok {
		return s, nil
	}
	y, err := v3Scalar(n, d.plain)
	if err != nil || y.Kind != yamlv3.ScalarNode {
		return snode{}, errFallback
	}
	s := snode{tag: y.Tag, style: y.Style, value: y.Value}
	if d.values == nil {
		d.values = map[string]snode{}
	}
	d.values[n.Value] = s
	return s, nil
}

// stringNode works out the node yaml.Node.Encode gives a string, for the
// strings where it is certain: the encoder requests plain style when the
// text resolves to a string (double quotes otherwise) and literal style
// for multi-line text; the emitter downgrades plain to single quotes and
// single quotes to double quotes as the text requires; the parser reads
// these styles back to the same text. The node then writes in that same
// style wherever it appears.
func stringNode(s string) (snode, bool) {
	if s == "<<" {
		// Read back, a plain "<<" is tagged !!merge.
		return snode{}, false
	}
	if s != "" {
		if info, ok := analyzeASCII(s); ok {
			return snode{fast: true, sStyle: singleLineStyle(s, info), info: info, value: s}, true
		}
	}
	if strings.IndexByte(s, '\r') >= 0 {
		return snode{}, false
	}
	if !isASCII(s) {
		// NEL, LS and PS are line breaks to yaml.v3; leave them and
		// invalid UTF-8 to yaml.v3.
		if !utf8.ValidString(s) || strings.Contains(s, "\u0085") || strings.Contains(s, "\u2028") || strings.Contains(s, "\u2029") {
			return snode{}, false
		}
	}
	if strings.IndexByte(s, '\n') >= 0 {
		if !literalSafe(s) {
			return snode{}, false
		}
		return snode{fast: true, sStyle: sLiteral, info: analyzeScalar(s), value: s}, true
	}
	info := analyzeScalar(s)
	return snode{fast: true, sStyle: singleLineStyle(s, info), info: info, value: s}, true
}

// singleLineStyle is the style of the node of a single-line string.
func singleLineStyle(s string, info scalarInfo) sStyle {
	if resolvePlain(s) == tagStr && !isBase60Float(s) && !isOldBool(s) {
		switch {
		case info.blockPlain:
			return sPlain
		case info.single:
			return sSingle
		}
	}
	return sDouble
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// literalSafe reports multi-line strings (valid UTF-8, no line break but
// LF) that yaml.v3 writes as a literal block with no indentation
// indicator and reads back unchanged: printable characters and no tabs,
// not starting with a space or a line break, no space before a line
// break, and ending in at most one line break.
func literalSafe(s string) bool {
	if s == "" || s[0] == ' ' || s[0] == '\n' || s[len(s)-1] == ' ' || strings.HasSuffix(s, "\n\n") {
		return false
	}
	for i := 0; i < len(s); i += width(s[i]) {
		c := s[i]
		if c == '\n' {
			if i > 0 && s[i-1] == ' ' {
				return false
			}
			continue
		}
		if c == '\t' || !isPrintable(s, i) {
			return false
		}
	}
	return true
}
