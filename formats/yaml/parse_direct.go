package yaml

import (
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/hullsecrets/hull/formats"
)

// This file is a direct parser for the YAML that sops, hull and real
// secrets files use: block mappings and sequences, single-line plain and
// quoted scalars, literal and folded block scalars, empty flow collections,
// comments in the positions whose attachment is certain, and several
// documents. It builds the same formats.File as the yaml.v3 path (parse.go)
// in a fraction of the time and memory, without yaml.v3's node tree.
//
// It gives up (ok false) on anything else — anchors, aliases, tags,
// directives, flow collections with content, multi-line flow scalars,
// tabs, CR, explicit keys, comments whose attachment depends on blank
// lines, any error — and Parse then reads the whole input with yaml.v3, so
// that results and error messages never depend on which parser ran.
// FuzzDirectParse and TestDirectParseDifferential check that the two agree,
// Line numbers and comments included.

// dline is the current line of the direct parser.
type dline struct {
	start, end int // byte offsets of the line, end excluding '\n'
	col        int // column where the content starts (past the indentation)
	num        int // 1-based line number
	eof        bool
}

type dcomment struct {
	text string // after the '#'
	col  int
}

type dparser struct {
	src               string
	lim               formats.Limits
	cur               dline
	next              int // offset of the line after cur
	nodes             int
	pending           []dcomment // comment lines waiting for the node they head
	blankAfterComment bool

	slab    []formats.Node // nodes are handed out from slabs (node)
	slabLen int
	// kids holds the children of the open containers, innermost last;
	// each gets its exact-size slice when it is complete (pop), from
	// kidSlab.
	kids    []*formats.Node
	kidSlab []*formats.Node
}

// giveUp is the panic value the direct parser unwinds with.
type giveUp struct{}

func (p *dparser) fail() { panic(giveUp{}) }

// push appends a child to the innermost open container.
func (p *dparser) push(n *formats.Node) { p.kids = append(p.kids, n) }

// pop closes the container whose first child is at kids[start] and
// returns its children: a slice of exactly their number, taken from a
// slab (its capacity is its length, so that appending to it later never
// writes into a neighbour's), nil when there are none.
func (p *dparser) pop(start int) []*formats.Node {
	n := len(p.kids) - start
	if n == 0 {
		return nil
	}
	if n > len(p.kidSlab) {
		p.kidSlab = make([]*formats.Node, max(n, 4096))
	}
	out := p.kidSlab[:n:n]
	p.kidSlab = p.kidSlab[n:]
	copy(out, p.kids[start:])
	clear(p.kids[start:])
	p.kids = p.kids[:start]
	return out
}

// node returns a new node holding n. Nodes come from slabs, so that a
// large file's tree is a few hundred allocations, each node taking its
// exact size rather than the next size class.
func (p *dparser) node(n formats.Node) *formats.Node {
	if len(p.slab) == 0 {
		p.slab = make([]formats.Node, p.slabLen)
		if p.slabLen < 4096 {
			p.slabLen *= 2
		}
	}
	out := &p.slab[0]
	*out = n
	p.slab = p.slab[1:]
	return out
}

// badBytes reports input the direct parser leaves to yaml.v3: tabs, CR,
// control characters, BOMs, NEL/LS/PS line breaks and non-characters.
// Eight bytes at a time while they are all printable ASCII (the bulk of
// any secrets file), byte by byte (badByte) otherwise: this scan of the
// whole input was a tenth of a 10k-value decrypt.
func badBytes(s []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := binary.LittleEndian.Uint64(s[i:])
		// A high bit where a byte is below 0x20 or above 0x7e; exact as a
		// yes or no, and a yes is checked byte by byte.
		if ((w-0x20*ones)&^w|(w+ones)|w)&highs == 0 {
			continue
		}
		for j := i; j < i+8; j++ {
			if badByte(s, j) {
				return true
			}
		}
	}
	for ; i < len(s); i++ {
		if badByte(s, i) {
			return true
		}
	}
	return false
}

// badByte reports whether the byte at s[i] starts what badBytes refuses.
func badByte(s []byte, i int) bool {
	c := s[i]
	switch {
	case c-0x20 < 0x5f, c == '\n':
	case c < 0x20 || c == 0x7f:
		return true
	case c == 0xc2:
		if i+1 < len(s) && s[i+1] < 0xa0 {
			return true // C1 controls, NEL
		}
	case c == 0xe2:
		if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9) {
			return true
		}
	case c == 0xef:
		if i+2 < len(s) && (s[i+1] == 0xbb && s[i+2] == 0xbf || s[i+1] == 0xbf && s[i+2] >= 0xbe) {
			return true
		}
	}
	return false
}

// parseDirect parses data, or reports ok false when the yaml.v3 path must.
// Keys and unescaped scalars are substrings of one string holding the
// input: a copy of data, or with borrow data itself.
func parseDirect(data []byte, lim formats.Limits, borrow bool) (f *formats.File, ok bool) {
	var src string
	if borrow {
		src = unsafe.String(unsafe.SliceData(data), len(data))
	} else {
		src = string(data)
	}
	if badBytes(data) {
		return nil, false
	}
	defer func() {
		if r := recover(); r != nil {
			if _, is := r.(giveUp); !is {
				panic(r)
			}
			f, ok = nil, false
		}
	}()
	p := &dparser{src: src, lim: lim, slabLen: 16}
	p.load(0, 1)
	f = &formats.File{}
	first := true
	for {
		p.skipComments()
		if p.cur.eof {
			if len(p.pending) > 0 || p.blankAfterComment && !first {
				p.fail()
			}
			break
		}
		explicit := p.isDocMarker()
		if !first && !explicit {
			p.fail()
		}
		m := formats.NewMapping()
		if explicit {
			if len(p.pending) > 0 {
				p.fail()
			}
			m.Line = p.cur.num
			p.advance()
			p.skipComments()
			if p.blankAfterComment || p.cur.eof || p.isDocMarker() {
				p.fail()
			}
		} else if p.blankAfterComment && !first {
			p.fail()
		}
		p.blankAfterComment = false
		if p.cur.col != 0 || p.isSeqItem() {
			p.fail()
		}
		if !explicit {
			m.Line = p.cur.num
		}
		p.nodes += 2
		p.mapping(m, 0, 1)
		f.Docs = append(f.Docs, m)
		first = false
		if !p.cur.eof && !p.isDocMarker() {
			p.fail()
		}
	}
	if len(f.Docs) == 0 {
		return nil, false
	}
	finishFile(f)
	return f, true
}

// load makes the line at offset off (line number num) current.
func (p *dparser) load(off, num int) {
	if off >= len(p.src) {
		p.cur = dline{start: off, end: off, num: num, eof: true}
		p.next = off
		return
	}
	end := strings.IndexByte(p.src[off:], '\n')
	if end < 0 {
		end = len(p.src)
		p.next = end
	} else {
		end += off
		p.next = end + 1
	}
	col := 0
	for off+col < end && p.src[off+col] == ' ' {
		col++
	}
	p.cur = dline{start: off, end: end, col: col, num: num}
}

func (p *dparser) advance() { p.load(p.next, p.cur.num+1) }

// text is the content of the current line from its content column.
func (p *dparser) text() string { return p.src[p.cur.start+p.cur.col : p.cur.end] }

func (p *dparser) blank() bool { return p.cur.start+p.cur.col == p.cur.end }

func (p *dparser) isDocMarker() bool {
	if p.cur.col != 0 {
		return false
	}
	t := p.text()
	if strings.HasPrefix(t, "---") || strings.HasPrefix(t, "...") {
		if t[:3] == "---" && strings.TrimRight(t[3:], " ") == "" {
			return true
		}
		if len(t) == 3 || t[3] == ' ' {
			p.fail() // "...", or content after "---"
		}
	}
	return false
}

func (p *dparser) isSeqItem() bool {
	t := p.text()
	return len(t) > 0 && t[0] == '-' && (len(t) == 1 || t[1] == ' ')
}

// skipComments moves past blank and comment lines, queueing the comments.
// blankAfterComment records a blank line after a queued comment: such
// comments may be foot comments in yaml.v3, which the caller rejects.
func (p *dparser) skipComments() {
	for !p.cur.eof {
		if p.blank() {
			if len(p.pending) > 0 {
				p.blankAfterComment = true
			}
		} else if t := p.text(); t[0] == '#' {
			if p.blankAfterComment {
				p.fail()
			}
			p.pending = append(p.pending, dcomment{text: t[1:], col: p.cur.col})
		} else {
			return
		}
		p.advance()
	}
}

// flush adds the queued comments, which must sit in column col, to the
// open container with the line of the node they head.
func (p *dparser) flush(col, line int) {
	if p.blankAfterComment {
		p.fail()
	}
	for _, c := range p.pending {
		if c.col != col {
			p.fail()
		}
		p.push(p.node(formats.Node{Kind: formats.Comment, Value: c.text, Line: line}))
	}
	p.pending = p.pending[:0]
}

func (p *dparser) count(depth int) {
	p.nodes++
	if p.nodes+16 > p.lim.MaxNodes || depth+2 > p.lim.MaxDepth {
		p.fail()
	}
}

// mapping reads the block mapping whose keys are in column col into out;
// the current line is its first key. It returns at the first content line
// left of col (or EOF), with comments before it queued.
func (p *dparser) mapping(out *formats.Node, col, depth int) {
	start := len(p.kids)
	p.mappingItems(col, depth, start)
	out.Children = p.pop(start)
}

// mappingItems reads the items of mapping onto kids[start:].
func (p *dparser) mappingItems(col, depth, start int) {
	var seen map[string]struct{}
	n := 0
	for {
		if p.cur.col != col {
			p.fail()
		}
		if p.isSeqItem() {
			p.fail()
		}
		keyLine := p.cur.num
		key, rest := p.key(p.text())
		if key == "<<" {
			p.fail()
		}
		// Duplicates are yaml.v3's to report.
		if n++; n > 16 {
			if seen == nil {
				seen = make(map[string]struct{}, 32)
				for _, c := range p.kids[start:] {
					if c.Kind != formats.Comment {
						seen[c.Key] = struct{}{}
					}
				}
			}
			if _, dup := seen[key]; dup {
				p.fail()
			}
			seen[key] = struct{}{}
		} else {
			for _, c := range p.kids[start:] {
				if c.Kind != formats.Comment && c.Key == key {
					p.fail()
				}
			}
		}
		p.count(depth)
		p.flush(col, keyLine)
		v := p.value(rest, col, depth, keyLine, true)
		v.Key = key
		p.push(v)
		p.skipComments()
		if p.cur.eof || p.cur.col < col || p.isDocMarker() {
			return
		}
	}
}

// sequence reads the block sequence whose dashes are in column col.
func (p *dparser) sequence(out *formats.Node, col, depth int) {
	start := len(p.kids)
	p.sequenceItems(col, depth)
	out.Children = p.pop(start)
}

// sequenceItems reads the items of a sequence onto kids.
func (p *dparser) sequenceItems(col, depth int) {
	for {
		if p.cur.col != col || !p.isSeqItem() {
			if p.cur.col > col {
				p.fail()
			}
			return // the parent checks a line in column col
		}
		t := p.text()
		if len(t) < 2 {
			p.fail() // "-" alone: the item is on the next lines
		}
		i := 1
		for i < len(t) && t[i] == ' ' {
			i++
		}
		if i == len(t) || t[i] == '#' {
			p.fail()
		}
		line := p.cur.num
		p.count(depth)
		p.flush(col, line)
		rest := t[i:]
		if rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ') {
			// "- - item": a sequence in the item's content column.
			s := p.node(formats.Node{Kind: formats.Sequence, Line: line})
			p.cur.col += i
			p.count(depth + 1)
			p.sequence(s, p.cur.col, depth+1)
			p.push(s)
		} else if p.looksLikeKey(rest) {
			// "- key: value": a mapping in the item's content column.
			m := p.node(formats.Node{Kind: formats.Mapping, Line: line})
			p.cur.col += i
			p.mapping(m, p.cur.col, depth+1)
			p.push(m)
		} else {
			v := p.value(rest, col, depth, line, false)
			p.push(v)
			p.skipComments()
		}
		if p.cur.eof || p.isDocMarker() {
			return
		}
	}
}

// looksLikeKey reports whether s starts a "key: value" pair.
func (p *dparser) looksLikeKey(s string) bool {
	switch s[0] {
	case '\'', '"':
		_, n := p.quoted(s)
		return n < len(s) && s[n] == ':'
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ':':
			if i+1 == len(s) || s[i+1] == ' ' {
				return true
			}
		case '#':
			if i > 0 && s[i-1] == ' ' {
				return false
			}
		}
	}
	return false
}

// key splits a "key: rest" line.
func (p *dparser) key(s string) (key, rest string) {
	switch s[0] {
	case '\'', '"':
		k, n := p.quoted(s)
		if n >= len(s) || s[n] != ':' || n+1 < len(s) && s[n+1] != ' ' {
			p.fail()
		}
		return k, s[n+1:]
	}
	if c := s[0]; strings.IndexByte(",[]{}#&*!|>%@`", c) >= 0 || (c == '-' || c == '?' || c == ':') && (len(s) == 1 || s[1] == ' ') {
		p.fail()
	}
	if p.cur.col == 0 && (strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...")) {
		p.fail()
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ':':
			if i+1 == len(s) || s[i+1] == ' ' {
				if i == 0 || s[i-1] == ' ' || i > 1000 {
					p.fail()
				}
				return s[:i], s[i+1:]
			}
		case '#':
			if i > 0 && s[i-1] == ' ' {
				p.fail()
			}
		}
	}
	p.fail()
	return "", ""
}

// value reads the value after a key's ':' (inMapping) or a '- ': rest is
// the rest of the line; col is the collection's column. Comments on the
// line are added to the open collection before the value, as parse.go
// does.
func (p *dparser) value(rest string, col, depth, line int, inMapping bool) *formats.Node {
	i := 0
	for i < len(rest) && rest[i] == ' ' {
		i++
	}
	rest = rest[i:]
	if rest == "" || rest[0] == '#' {
		if !inMapping {
			p.fail()
		}
		var comment string
		hasComment := rest != ""
		if hasComment {
			comment = rest[1:]
		}
		p.advance()
		p.skipComments()
		if p.cur.eof || p.cur.col < col || p.cur.col == col && !p.isSeqItem() || p.isDocMarker() {
			// An empty (null) value.
			if hasComment || len(p.pending) > 0 {
				p.fail()
			}
			p.count(depth)
			return p.node(formats.Node{Kind: formats.Scalar, Type: formats.Null, Line: line})
		}
		if hasComment {
			p.push(p.node(formats.Node{Kind: formats.Comment, Value: comment, Line: line}))
		}
		c := p.cur.col
		if p.isSeqItem() {
			s := p.node(formats.Node{Kind: formats.Sequence, Line: p.cur.num})
			p.count(depth + 1)
			p.sequence(s, c, depth+1)
			return s
		}
		m := p.node(formats.Node{Kind: formats.Mapping, Line: p.cur.num})
		p.count(depth + 1)
		p.mapping(m, c, depth+1)
		return m
	}
	p.count(depth)
	var v *formats.Node
	var after string
	switch rest[0] {
	case '\'', '"':
		s, n := p.quoted(rest)
		v = p.node(formats.Node{Kind: formats.Scalar, Type: formats.String, Value: s, Line: line})
		after = rest[n:]
		if after != "" && after[0] != ' ' {
			p.fail()
		}
	case '|', '>':
		v = p.blockScalar(rest, col, line)
		return v
	case '{', '[':
		t := strings.TrimRight(rest, " ")
		switch t {
		case "{}":
			v = p.node(formats.Node{Kind: formats.Mapping, Line: line})
		case "[]":
			v = p.node(formats.Node{Kind: formats.Sequence, Line: line})
		default:
			p.fail()
		}
		if len(t) != len(rest) {
			p.fail() // a comment after a flow collection
		}
	case ',', ']', '}', '&', '*', '!', '%', '@', '`', '#':
		p.fail()
	case '-', '?', ':':
		if len(rest) == 1 || rest[1] == ' ' {
			p.fail()
		}
		fallthrough
	default:
		end := len(rest)
		for j := 0; j < len(rest); j++ {
			if rest[j] == '#' && rest[j-1] == ' ' {
				end = j
				break
			}
			if rest[j] == ':' && (j+1 == len(rest) || rest[j+1] == ' ') {
				p.fail()
			}
		}
		plain := strings.TrimRight(rest[:end], " ")
		after = rest[len(plain):]
		v = p.node(formats.Node{})
		if scalarInto(v, plain, resolvePlain(plain), line) != nil {
			p.fail()
		}
	}
	after = strings.TrimLeft(after, " ")
	if after != "" {
		if after[0] != '#' {
			p.fail()
		}
		p.push(p.node(formats.Node{Kind: formats.Comment, Value: after[1:], Inline: true, Line: line}))
	}
	p.advance()
	p.skipComments()
	if !p.cur.eof && p.cur.col > col {
		p.fail() // a continuation line, or an error
	}
	return v
}

// quoted reads the single-line quoted scalar at the start of s and returns
// its value and the length of its source.
func (p *dparser) quoted(s string) (string, int) {
	if s[0] == '\'' {
		var b []byte
		for i := 1; i < len(s); i++ {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					if b == nil {
						b = append(make([]byte, 0, len(s)), s[1:i]...)
					}
					b = append(b, '\'')
					i++
					continue
				}
				if b == nil {
					return s[1:i], i + 1
				}
				return string(b), i + 1
			}
			if b != nil {
				b = append(b, s[i])
			}
		}
		p.fail()
	}
	var b []byte
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			if b == nil {
				return s[1:i], i + 1
			}
			return string(b), i + 1
		case '\\':
			if b == nil {
				b = append(make([]byte, 0, len(s)), s[1:i]...)
			}
			if i+1 >= len(s) {
				p.fail()
			}
			i++
			switch e := s[i]; e {
			case '0':
				b = append(b, 0)
			case 'a':
				b = append(b, '\a')
			case 'b':
				b = append(b, '\b')
			case 't':
				b = append(b, '\t')
			case 'n':
				b = append(b, '\n')
			case 'v':
				b = append(b, '\v')
			case 'f':
				b = append(b, '\f')
			case 'r':
				b = append(b, '\r')
			case 'e':
				b = append(b, 0x1b)
			case ' ', '"', '\'', '\\':
				b = append(b, e)
			case 'N':
				b = utf8.AppendRune(b, 0x85)
			case '_':
				b = utf8.AppendRune(b, 0xa0)
			case 'L':
				b = utf8.AppendRune(b, 0x2028)
			case 'P':
				b = utf8.AppendRune(b, 0x2029)
			case 'x', 'u', 'U':
				n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
				if i+n >= len(s) {
					p.fail()
				}
				r, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
				if err != nil || r >= 0xd800 && r <= 0xdfff || r > 0x10ffff {
					p.fail()
				}
				b = utf8.AppendRune(b, rune(r))
				i += n
			default:
				p.fail()
			}
		default:
			if b != nil {
				b = append(b, c)
			}
		}
	}
	p.fail()
	return "", 0
}

// blockScalar reads a literal or folded scalar whose header is h, in a
// collection at column col.
func (p *dparser) blockScalar(h string, col, line int) *formats.Node {
	h = strings.TrimRight(h, " ")
	if len(h) > 2 || len(h) == 2 && h[1] != '-' && h[1] != '+' {
		p.fail()
	}
	folded := h[0] == '>'
	chomp := byte(0)
	if len(h) == 2 {
		chomp = h[1]
	}
	p.advance()
	indent := -1
	var b strings.Builder
	empty := 0 // empty lines not yet written
	lines := 0
	for !p.cur.eof {
		if p.blank() {
			if indent >= 0 && p.cur.col > indent || indent < 0 && p.cur.col > col+1 {
				p.fail()
			}
			empty++
			p.advance()
			continue
		}
		if indent < 0 {
			if p.cur.col <= col {
				break
			}
			indent = p.cur.col
			if folded && empty > 0 {
				p.fail()
			}
		} else if p.cur.col < indent {
			break
		}
		if p.cur.end == len(p.src) {
			p.fail() // the last line has no line break
		}
		t := p.src[p.cur.start+indent : p.cur.end]
		if folded && p.cur.col > indent {
			p.fail()
		}
		switch {
		case lines == 0:
			for ; empty > 0; empty-- {
				b.WriteByte('\n')
			}
		case folded && empty == 0:
			b.WriteByte(' ')
		case folded:
			for ; empty > 0; empty-- {
				b.WriteByte('\n')
			}
		default:
			b.WriteByte('\n')
			for ; empty > 0; empty-- {
				b.WriteByte('\n')
			}
		}
		b.WriteString(t)
		lines++
		p.advance()
	}
	if lines == 0 {
		p.fail()
	}
	switch chomp {
	case 0:
		b.WriteByte('\n')
	case '+':
		b.WriteByte('\n')
		for ; empty > 0; empty-- {
			b.WriteByte('\n')
		}
	}
	p.skipComments()
	if !p.cur.eof && p.cur.col > col {
		p.fail()
	}
	return p.node(formats.Node{Kind: formats.Scalar, Type: formats.String, Value: b.String(), Line: line})
}
