package json

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hullsecrets/hull/formats"
)

// encoder writes the layout that sops produces: its compact output run
// through encoding/json's Indent with an empty prefix.
type encoder struct {
	format string
	buf    []byte
	indent string
	// plain: a plaintext file (no sops metadata), where a float is written
	// as sops writes it: decoded into a float64 and formatted by
	// encoding/json (1.0 as 1, 1e+21 as 1e+21). In an encrypted file a
	// float left in clear keeps its literal, so that it reads back with
	// its type (the extended MAC covers types).
	plain bool
}

func newEncoder(formatName string, opts formats.EmitOptions, nodes ...*formats.Node) (*encoder, error) {
	e := &encoder{format: formatName, indent: "\t"}
	if opts.IndentSet {
		switch {
		case opts.Indent == -1:
		case opts.Indent >= 0:
			e.indent = strings.Repeat(" ", opts.Indent)
		default:
			return nil, &formats.UnsupportedError{Format: formatName,
				Msg: "indent " + strconv.Itoa(opts.Indent) + " is invalid: use -1 for a tab, 0 for none or a number of spaces"}
		}
	}
	hint := 0
	for _, n := range nodes {
		hint += sizeHint(n, 1, len(e.indent))
	}
	e.buf = make([]byte, 0, hint+hint/16)
	return e, nil
}

// sizeHint estimates the output size of a tree so that the buffer grows
// rarely.
func sizeHint(n *formats.Node, depth, indent int) int {
	if n == nil {
		return 0
	}
	size := len(n.Key) + len(n.Value) + 8 + depth*indent
	for _, c := range n.Children {
		size += sizeHint(c, depth+1, indent)
	}
	return size
}

func (e *encoder) newline(depth int) {
	e.buf = append(e.buf, '\n')
	for range depth {
		e.buf = append(e.buf, e.indent...)
	}
}

func (e *encoder) unsupported(msg string) error {
	return &formats.UnsupportedError{Format: e.format, Msg: msg}
}

func (e *encoder) value(n *formats.Node, depth int) error {
	switch n.Kind {
	case formats.Mapping:
		return e.mapping(n, nil, depth)
	case formats.Sequence:
		return e.sequence(n, depth)
	case formats.Scalar:
		return e.scalar(n)
	case formats.Comment:
		return e.unsupported("a comment cannot be written as a JSON value")
	}
	return e.unsupported("unknown node kind " + n.Kind.String())
}

// mapping writes an object; extra, when not nil, is written as its last
// member (the metadata).
func (e *encoder) mapping(n *formats.Node, extra *formats.Node, depth int) error {
	e.buf = append(e.buf, '{')
	first := true
	member := func(c *formats.Node) error {
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		e.newline(depth + 1)
		e.buf = appendString(e.buf, c.Key)
		e.buf = append(e.buf, ':', ' ')
		return e.value(c, depth+1)
	}
	for _, c := range n.Children {
		if c.Kind == formats.Comment {
			continue
		}
		if err := member(c); err != nil {
			return err
		}
	}
	if extra != nil {
		m := *extra
		m.Key = "sops"
		if err := member(&m); err != nil {
			return err
		}
	}
	if !first {
		e.newline(depth)
	}
	e.buf = append(e.buf, '}')
	return nil
}

func (e *encoder) sequence(n *formats.Node, depth int) error {
	e.buf = append(e.buf, '[')
	first := true
	for _, c := range n.Children {
		if c.Kind == formats.Comment {
			continue
		}
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		e.newline(depth + 1)
		if err := e.value(c, depth+1); err != nil {
			return err
		}
	}
	if !first {
		e.newline(depth)
	}
	e.buf = append(e.buf, ']')
	return nil
}

func (e *encoder) scalar(n *formats.Node) error {
	switch n.Type {
	case formats.String, formats.Time:
		e.buf = appendString(e.buf, n.Value)
	case formats.Null:
		e.buf = append(e.buf, "null"...)
	case formats.Bool:
		b, err := strconv.ParseBool(n.Value)
		if err != nil {
			return e.unsupported(where(n) + "is not a boolean")
		}
		e.buf = strconv.AppendBool(e.buf, b)
	case formats.Int:
		if !IsNumber(n.Value) || !isInteger(n.Value) {
			return e.unsupported(where(n) + "is not a decimal integer")
		}
		e.buf = append(e.buf, n.Value...)
	case formats.Float:
		if !e.plain && IsNumber(n.Value) {
			e.buf = append(e.buf, n.Value...)
			return nil
		}
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil && !math.IsInf(f, 0) {
			return e.unsupported(where(n) + "is not a number")
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return e.unsupported(where(n) + "is not a finite number, which JSON cannot hold")
		}
		e.buf = appendFloat(e.buf, f)
	default:
		return e.unsupported("unknown scalar type " + n.Type.String())
	}
	return nil
}

func where(n *formats.Node) string {
	if n.Key != "" {
		return "the value of " + strconv.Quote(n.Key) + " "
	}
	if n.Line > 0 {
		return "the value at line " + strconv.Itoa(n.Line) + " "
	}
	return "a value "
}

func isInteger(s string) bool { return !strings.ContainsAny(s, ".eE") }

// IsNumber reports whether s is an RFC 8259 number literal.
func IsNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
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
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return i == len(s)
}

// appendFloat formats a finite float64 as encoding/json does.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	fmt := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmt = 'e'
	}
	b = strconv.AppendFloat(b, f, fmt, -1, 64)
	if fmt == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// htmlSafe marks the ASCII bytes encoding/json writes unescaped when it
// escapes HTML, which is what json.Marshal does.
var htmlSafe = func() (t [utf8.RuneSelf]bool) {
	for i := 0x20; i < utf8.RuneSelf; i++ {
		t[i] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()

// appendString appends s as a JSON string escaped exactly as encoding/json's
// Marshal escapes it: HTML characters and U+2028/U+2029 as \u escapes,
// invalid UTF-8 as \ufffd.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if htmlSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
