package json

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/hullsecrets/hull/formats"
)

// parser is an iterative JSON scanner: nesting lives on an explicit stack,
// so a deeply nested input fails with a LimitError and never overflows the
// goroutine stack.
type parser struct {
	format    string
	src       string // the input (a copy, or borrowed); unescaped scalars are substrings of it
	pos       int
	line      int
	lineStart int
	lim       formats.Limits
	nodes     int

	slab    []formats.Node // nodes are handed out from slabs to save allocations
	slabLen int
	scratch []*formats.Node // children of the open containers, innermost last
	stack   []frame
	buf     []byte              // unescaping buffer
	seen    map[string]struct{} // duplicate check for large objects
}

type frame struct {
	node  *formats.Node
	start int // index in scratch of the first child
	obj   bool
}

// newParser reads data; with borrow (formats.ParseOptions.Borrow) the tree
// points into data instead of a copy of it.
func newParser(formatName string, data []byte, lim formats.Limits, borrow bool) *parser {
	var src string
	if borrow {
		src = unsafe.String(unsafe.SliceData(data), len(data))
	} else {
		src = string(data)
	}
	return &parser{format: formatName, src: src, line: 1, lim: lim, slabLen: 16}
}

// strSafe marks the bytes that stand for themselves inside a string.
// Bytes from 0x80 on are not in it: str checks that they make valid UTF-8
// as it passes them, the one pass over the input that does (a separate
// utf8.ValidString of the whole input was about 5% of the decrypt of a
// 10,000-value file, make bench json-10k).
var strSafe = func() (t [256]bool) {
	for i := 0x20; i < utf8.RuneSelf; i++ {
		t[i] = true
	}
	t['"'] = false
	t['\\'] = false
	return t
}()

// safeRun returns the offset of the first group of eight bytes from i on
// that may hold a byte strSafe refuses (a quote, a backslash, a control
// character or a byte of a multi-byte character), or the last whole group's end; str then goes on byte by
// byte. Eight bytes at a time: the scan of strings, encrypted values
// above all, was the largest cost of parsing an encrypted file.
func safeRun(s string, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	b := unsafe.Slice(unsafe.StringData(s), len(s)) // read only
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		q, bs := w^('"'*ones), w^('\\'*ones)
		// A high bit where a byte is zero in q or bs (a quote or a
		// backslash in w) or below 0x20 in w; exact as a yes or no.
		if ((q-ones)&^q|(bs-ones)&^bs|(w-0x20*ones)&^w|w)&highs != 0 {
			break
		}
	}
	return i
}

func (p *parser) errAt(line int, format string, args ...any) error {
	return &formats.SyntaxError{Format: p.format, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// errHere reports an error at the current position, with its column.
func (p *parser) errHere(what string) error {
	return p.errAt(p.line, "%s at column %d", what, p.pos-p.lineStart+1)
}

// unexpected describes the byte at the current position without quoting
// content: only structural characters are named.
func (p *parser) unexpected(expected string) error {
	if p.pos >= len(p.src) {
		return p.errAt(p.line, "unexpected end of input, expected %s", expected)
	}
	c := p.src[p.pos]
	if c >= utf8.RuneSelf && runeAt(p.src, p.pos) == 0 {
		return p.errAt(p.line, "invalid UTF-8")
	}
	switch c {
	case '{', '}', '[', ']', ',', ':', '"':
		return p.errHere(fmt.Sprintf("unexpected %q, expected %s", c, expected))
	}
	return p.errHere("unexpected character, expected " + expected)
}

func (p *parser) alloc() (*formats.Node, error) {
	p.nodes++
	if p.nodes > p.lim.MaxNodes {
		return nil, &formats.LimitError{Format: p.format, What: "nodes", Limit: int64(p.lim.MaxNodes)}
	}
	if len(p.slab) == 0 {
		p.slab = make([]formats.Node, p.slabLen)
		if p.slabLen < 4096 {
			p.slabLen *= 2
		}
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	return n, nil
}

func (p *parser) skipWS() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\r':
			p.pos++
		case '\n':
			p.pos++
			p.line++
			p.lineStart = p.pos
		default:
			return
		}
	}
}

// runeAt returns the length of the valid UTF-8 character at s[i] (a byte
// from 0x80 on), or 0 when it is not one.
func runeAt(s string, i int) int {
	r, size := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && size == 1 {
		return 0
	}
	return size
}

func (p *parser) parse() (*formats.Node, error) {
	p.skipWS()
	if p.pos >= len(p.src) {
		return nil, p.errAt(p.line, "empty input: only a top-level object is supported")
	}
	switch p.src[p.pos] {
	case '{':
	case '[':
		return nil, p.errAt(p.line, "the top level is an array: only a top-level object is supported")
	default:
		return nil, p.errAt(p.line, "the top level is not an object: only a top-level object is supported")
	}
	root, err := p.alloc()
	if err != nil {
		return nil, err
	}
	*root = formats.Node{Kind: formats.Mapping, Line: p.line}
	p.pos++
	p.stack = append(p.stack, frame{node: root, obj: true})
	p.skipWS()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		p.stack = p.stack[:0]
	} else if err := p.elements(); err != nil {
		return nil, err
	}
	p.skipWS()
	if p.pos < len(p.src) {
		return nil, p.errHere("unexpected data after the top-level object")
	}
	return root, nil
}

// elements parses container contents until the stack is empty. On entry the
// innermost container is open and not empty.
func (p *parser) elements() error {
	for {
		top := &p.stack[len(p.stack)-1]
		var key string
		line := 0
		if top.obj {
			p.skipWS()
			if p.pos >= len(p.src) || p.src[p.pos] != '"' {
				return p.unexpected("a string key")
			}
			line = p.line
			k, err := p.str()
			if err != nil {
				return err
			}
			key = k
			p.skipWS()
			if p.pos >= len(p.src) || p.src[p.pos] != ':' {
				return p.unexpected(`":" after a key`)
			}
			p.pos++
		}
		p.skipWS()
		if line == 0 {
			line = p.line
		}
		if p.pos >= len(p.src) {
			return p.unexpected("a value")
		}
		n, err := p.alloc()
		if err != nil {
			return err
		}
		switch c := p.src[p.pos]; c {
		case '{', '[':
			p.pos++
			*n = formats.Node{Kind: formats.Mapping, Key: key, Line: line}
			if c == '[' {
				n.Kind = formats.Sequence
			}
			p.scratch = append(p.scratch, n)
			if len(p.stack) >= p.lim.MaxDepth {
				return &formats.LimitError{Format: p.format, What: "depth", Limit: int64(p.lim.MaxDepth)}
			}
			p.stack = append(p.stack, frame{node: n, start: len(p.scratch), obj: c == '{'})
			p.skipWS()
			if p.pos < len(p.src) && (c == '{' && p.src[p.pos] == '}' || c == '[' && p.src[p.pos] == ']') {
				p.pos++
				p.stack = p.stack[:len(p.stack)-1]
				break
			}
			continue
		default:
			if err := p.scalar(n); err != nil {
				return err
			}
			n.Key = key
			n.Line = line
			p.scratch = append(p.scratch, n)
		}
		// After a value: a comma, or the end of one or more containers.
		for {
			p.skipWS()
			if p.pos >= len(p.src) {
				return p.unexpected(`"," or the end of a container`)
			}
			top := &p.stack[len(p.stack)-1]
			c := p.src[p.pos]
			if c == ',' {
				p.pos++
				break
			}
			if top.obj && c == '}' || !top.obj && c == ']' {
				p.pos++
				if err := p.close(top); err != nil {
					return err
				}
				p.stack = p.stack[:len(p.stack)-1]
				if len(p.stack) == 0 {
					return nil
				}
				continue
			}
			if top.obj {
				return p.unexpected(`"," or "}" after an object member`)
			}
			return p.unexpected(`"," or "]" after an array element`)
		}
	}
}

// close moves a container's children from the scratch stack into the node
// and checks an object for duplicate keys.
func (p *parser) close(f *frame) error {
	kids := p.scratch[f.start:]
	children := make([]*formats.Node, len(kids))
	copy(children, kids)
	clear(kids)
	p.scratch = p.scratch[:f.start]
	f.node.Children = children
	if !f.obj {
		return nil
	}
	if len(children) <= 16 {
		for i := 1; i < len(children); i++ {
			for j := 0; j < i; j++ {
				if children[i].Key == children[j].Key {
					return p.dup(children[i])
				}
			}
		}
		return nil
	}
	if p.seen == nil {
		p.seen = make(map[string]struct{}, len(children))
	} else {
		clear(p.seen)
	}
	for _, c := range children {
		if _, ok := p.seen[c.Key]; ok {
			return p.dup(c)
		}
		p.seen[c.Key] = struct{}{}
	}
	return nil
}

func (p *parser) dup(n *formats.Node) error {
	return p.errAt(n.Line, "duplicate key %q", n.Key)
}

// scalar parses a string, number, true, false or null into n.
func (p *parser) scalar(n *formats.Node) error {
	switch c := p.src[p.pos]; {
	case c == '"':
		s, err := p.str()
		if err != nil {
			return err
		}
		*n = formats.Node{Kind: formats.Scalar, Type: formats.String, Value: s}
		return nil
	case c == '-' || c >= '0' && c <= '9':
		return p.number(n)
	case c == 't':
		return p.literal(n, "true", formats.Bool, "True")
	case c == 'f':
		return p.literal(n, "false", formats.Bool, "False")
	case c == 'n':
		return p.literal(n, "null", formats.Null, "")
	}
	return p.unexpected("a value")
}

func (p *parser) literal(n *formats.Node, word string, t formats.Type, v string) error {
	if len(p.src)-p.pos < len(word) || p.src[p.pos:p.pos+len(word)] != word {
		return p.unexpected("a value")
	}
	p.pos += len(word)
	*n = formats.Node{Kind: formats.Scalar, Type: t, Value: v}
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number scans an RFC 8259 number.
func (p *parser) number(n *formats.Node) error {
	s := p.src
	start := p.pos
	i := p.pos
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		p.pos = i
		return p.errHere("invalid number: expected a digit")
	}
	integer := true
	exp := false
	if i < len(s) && s[i] == '.' {
		i++
		integer = false
		if i >= len(s) || !isDigit(s[i]) {
			p.pos = i
			return p.errHere("invalid number: expected a digit after the decimal point")
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		integer = false
		exp = true
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			p.pos = i
			return p.errHere("invalid number: expected a digit in the exponent")
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	lit := s[start:i]
	if integer {
		digits := len(lit)
		if lit[0] == '-' {
			digits--
		}
		fits := digits < 19
		if !fits {
			_, err := strconv.ParseInt(lit, 10, 64)
			fits = err == nil
		}
		if fits {
			if lit == "-0" {
				lit = "0"
			}
			*n = formats.Node{Kind: formats.Scalar, Type: formats.Int, Value: lit}
			p.pos = i
			return nil
		}
	}
	if exp || len(lit) > 300 {
		if _, err := strconv.ParseFloat(lit, 64); err != nil {
			return p.errHere("number out of the float64 range")
		}
	}
	*n = formats.Node{Kind: formats.Scalar, Type: formats.Float, Value: lit}
	p.pos = i
	return nil
}

// str scans a string starting at the opening quote and returns its value.
func (p *parser) str() (string, error) {
	s := p.src
	start := p.pos + 1
	i := safeRun(s, start)
	for i < len(s) {
		if c := s[i]; strSafe[c] {
			i++
		} else if c < utf8.RuneSelf {
			break
		} else if n := runeAt(s, i); n > 0 {
			i += n
		} else {
			return "", p.errAt(p.line, "invalid UTF-8")
		}
	}
	if i < len(s) && s[i] == '"' {
		p.pos = i + 1
		return s[start:i], nil
	}
	// Slow path: escapes (or an error).
	b := append(p.buf[:0], s[start:i]...)
	for {
		for i < len(s) {
			if c := s[i]; strSafe[c] {
				b = append(b, c)
				i++
			} else if c < utf8.RuneSelf {
				break
			} else if n := runeAt(s, i); n > 0 {
				b = append(b, s[i:i+n]...)
				i += n
			} else {
				return "", p.errAt(p.line, "invalid UTF-8")
			}
		}
		if i >= len(s) {
			p.pos = i
			return "", p.errAt(p.line, "unterminated string")
		}
		c := s[i]
		if c == '"' {
			p.pos = i + 1
			p.buf = b
			return string(b), nil
		}
		if c != '\\' {
			p.pos = i
			return "", p.errHere("control character in a string")
		}
		if i+1 >= len(s) {
			p.pos = i + 1
			return "", p.errAt(p.line, "unterminated string")
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			b = append(b, e)
			i += 2
		case 'b':
			b = append(b, '\b')
			i += 2
		case 'f':
			b = append(b, '\f')
			i += 2
		case 'n':
			b = append(b, '\n')
			i += 2
		case 'r':
			b = append(b, '\r')
			i += 2
		case 't':
			b = append(b, '\t')
			i += 2
		case 'u':
			r, ok := hex4(s, i+2)
			if !ok {
				p.pos = i
				return "", p.errHere(`invalid \u escape`)
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if r < 0xDC00 && i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2, ok = hex4(s, i+2)
				}
				dec := utf16.DecodeRune(r, r2)
				if !ok || dec == utf8.RuneError {
					p.pos = i - 6
					return "", p.errHere(`unpaired UTF-16 surrogate in a \u escape`)
				}
				r = dec
				i += 6
			}
			b = utf8.AppendRune(b, r)
		default:
			p.pos = i
			return "", p.errHere("invalid escape in a string")
		}
	}
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
