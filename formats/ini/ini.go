// Package ini reads and writes INI files as sops does with gopkg.in/ini.v1
// (FORMAT.md §5.5), with a strict hand-written parser.
//
// # Tree
//
// The document is a mapping with one child mapping per section, in file
// order. The implicit DEFAULT section (keys before any header) is always the
// first child, even when empty, so that the AAD of such a key is
// "DEFAULT:key:" as in sops. An explicit [DEFAULT] section is another child
// with the key DEFAULT, where its header was (sops's tree has both). Values are String scalars. A section's comment
// (the comment lines above its header, plus a comment after the header) is a
// Comment as its first item; a key's comment (the comment lines above it,
// plus its inline comment) is a Comment right after the key. Comment text
// loses its leading ';' or '#' and spaces; in a comment of several lines the
// later lines keep their marker ("a\n; b"). Comment lines after the last key
// of the file belong to nothing and are dropped, as in ini.v1.
//
// The [sops] section holds the metadata, flattened without prefix
// (formats.Flatten), with newlines written as the two characters `\n`.
// Values written by sops 3.13.0/3.13.1 as """…""" with real newlines, and
// keys in any order, are read too.
//
// # Differences from sops and ini.v1
//
//   - Duplicate keys in a section and duplicate sections are errors (ini.v1
//     keeps the last key; sops 3.13 keeps both sections).
//   - An explicit [DEFAULT] header starts a second DEFAULT section, kept
//     where it is and written back with its header, as sops does; a second
//     [DEFAULT] header, or a key in both DEFAULT sections, is an error. A
//     [DEFAULT] header with a comment above it, first in the file, names
//     the implicit DEFAULT (so sops's JSON output has one more, empty,
//     DEFAULT there): that is how the implicit DEFAULT with a section
//     comment is written.
//   - Text after a closing quote or a section header that is not a comment,
//     a value ending in '\' (ini.v1 joins the next line to it), an empty key,
//     the auto-increment key "-" and UTF-16 input are errors.
//   - Comment whitespace is normalised (each line trimmed).
//   - Emit never writes a file that reads back differently: values and keys
//     that ini.v1 would write ambiguously (a value ending in '\' or wrapped
//     in quotes, a key starting with '#', ';' or '[') are wrapped in
//     backticks; what no quoting can hold (a multi-line value containing
//     `"""`, a key with both '`' and '=') is an UnsupportedError. A first
//     comment line that starts with ';' or '#' is written behind the other
//     marker so that it reads back unchanged. Several comments in a row are
//     joined into one comment of several lines (sops keeps only the last).
//     A DEFAULT section with a section comment is written with its header
//     (ini.v1 writes the comment but no header, so it moves to the next key
//     on reading).
//   - Nested values are an UnsupportedError (sops writes Go's %v of them).
//     A Bool is written true/false, a Null as an empty value, Int, Float and
//     Time as their text.
//   - More than one document is an UnsupportedError (sops merges them).
//   - Top-level comments are not written (as in sops).
package ini

import (
	"bytes"
	"strconv"
	"strings"
	"unicode"

	"github.com/hullsecrets/hull/formats"
)

const (
	name           = "ini"
	defaultSection = "DEFAULT"
	metaSection    = "sops"
)

type format struct{}

// New returns the INI format.
func New() formats.Format { return format{} }

func (format) Name() string         { return name }
func (format) Extensions() []string { return []string{".ini"} }

func syntaxErr(line int, msg string) error {
	return &formats.SyntaxError{Format: name, Line: line, Msg: msg}
}

func unsupported(msg string) error {
	return &formats.UnsupportedError{Format: name, Msg: msg}
}

type section struct {
	node *formats.Node
	keys map[string]int // key -> line
}

type parser struct {
	data    []byte
	lineNo  int
	pending []string // comment lines waiting for a key or a header
	lim     formats.Limits
	nodes   int
}

// next returns the next raw line, with its '\n' if it has one.
func (p *parser) next() ([]byte, bool) {
	if len(p.data) == 0 {
		return nil, false
	}
	p.lineNo++
	var line []byte
	if i := bytes.IndexByte(p.data, '\n'); i >= 0 {
		line, p.data = p.data[:i+1], p.data[i+1:]
	} else {
		line, p.data = p.data, nil
	}
	return line, true
}

func (p *parser) count() error {
	p.nodes++
	if p.nodes > p.lim.MaxNodes {
		return &formats.LimitError{Format: name, What: "nodes", Limit: int64(p.lim.MaxNodes)}
	}
	return nil
}

func isSpace(s string) bool { return strings.TrimSpace(s) == "" }

// Parse reads an INI file. The [sops] section, if any, is returned
// unflattened in File.Meta.
func (format) Parse(data []byte, opts formats.ParseOptions) (*formats.File, error) {
	lim := opts.Limits.WithDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return nil, &formats.LimitError{Format: name, What: "size", Limit: lim.MaxBytes}
	}
	if lim.MaxDepth < 2 {
		return nil, &formats.LimitError{Format: name, What: "depth", Limit: int64(lim.MaxDepth)}
	}
	if bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}) {
		data = data[3:]
	} else if bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		return nil, syntaxErr(1, "utf-16 input is not supported")
	}
	p := &parser{data: data, lim: lim, nodes: 1}
	doc := formats.NewMapping()
	def := &section{node: &formats.Node{Kind: formats.Mapping, Key: defaultSection}, keys: map[string]int{}}
	doc.Children = append(doc.Children, def.node)
	sections := map[string]int{defaultSection: 0}
	cur := def
	var meta []*formats.Node
	explicitDefault := 0 // the line of the [DEFAULT] header
	sectionSeen := false
	for {
		raw, ok := p.next()
		if !ok {
			break
		}
		line := strings.TrimLeftFunc(string(raw), unicode.IsSpace)
		if line == "" {
			continue
		}
		switch line[0] {
		case '#', ';':
			p.pending = append(p.pending, strings.TrimSpace(line))
			continue
		case '[':
			end := strings.LastIndexByte(line, ']')
			if end < 0 {
				return nil, syntaxErr(p.lineNo, "unclosed section header")
			}
			sname := line[1:end]
			if sname == "" {
				return nil, syntaxErr(p.lineNo, "empty section name")
			}
			after := line[end+1:]
			if i := strings.IndexAny(after, "#;"); i >= 0 {
				if !isSpace(after[:i]) {
					return nil, syntaxErr(p.lineNo, "unexpected text after section header")
				}
				p.pending = append(p.pending, strings.TrimSpace(after[i:]))
			} else if !isSpace(after) {
				return nil, syntaxErr(p.lineNo, "unexpected text after section header")
			}
			comment := joinComment(p.pending)
			p.pending = nil
			if sname == defaultSection && explicitDefault == 0 && !sectionSeen && len(def.keys) == 0 && comment != "" {
				// A commented [DEFAULT] as the first header, before any
				// key, is how the implicit DEFAULT with a section comment
				// is written (ini.v1 would write the comment and no
				// header): it reads back as that section, so that such a
				// file reads as it was written (and as files written by
				// earlier hull versions were authenticated).
				explicitDefault = p.lineNo
				def.node.Line = p.lineNo
				cur = def
				def.node.Children = append(def.node.Children, &formats.Node{Kind: formats.Comment, Value: comment, Line: p.lineNo})
				continue
			}
			sectionSeen = true
			if sname == defaultSection && explicitDefault == 0 {
				// An explicit [DEFAULT] is a section of its own after
				// the implicit one (the keys before any header), as in
				// sops, and written back with its header where it was.
				// Both are DEFAULT to the AAD, so a key may be in only
				// one of them.
				explicitDefault = p.lineNo
				if err := p.count(); err != nil {
					return nil, err
				}
				cur = &section{node: &formats.Node{Kind: formats.Mapping, Key: defaultSection, Line: p.lineNo}, keys: def.keys}
				doc.Children = append(doc.Children, cur.node)
				if comment != "" {
					cur.node.Children = append(cur.node.Children, &formats.Node{Kind: formats.Comment, Value: comment, Line: p.lineNo})
				}
				continue
			}
			if sname == defaultSection {
				return nil, syntaxErr(p.lineNo, "duplicate section \"DEFAULT\" (first on line "+strconv.Itoa(explicitDefault)+")")
			}
			if prev, dup := sections[sname]; dup {
				msg := "duplicate section " + strconv.Quote(sname)
				if prev > 0 {
					msg += " (first on line " + strconv.Itoa(prev) + ")"
				}
				return nil, syntaxErr(p.lineNo, msg)
			}
			sections[sname] = p.lineNo
			if err := p.count(); err != nil {
				return nil, err
			}
			cur = &section{node: &formats.Node{Kind: formats.Mapping, Key: sname, Line: p.lineNo}, keys: map[string]int{}}
			if sname != metaSection {
				doc.Children = append(doc.Children, cur.node)
			}
			if comment != "" {
				cur.node.Children = append(cur.node.Children, &formats.Node{Kind: formats.Comment, Value: comment, Line: p.lineNo})
			}
			continue
		}
		keyLine := p.lineNo
		key, rest, err := readKey(line)
		if err != nil {
			return nil, syntaxErr(keyLine, err.Error())
		}
		value, err := p.readValue(rest)
		if err != nil {
			return nil, err
		}
		if prev, dup := cur.keys[key]; dup {
			return nil, syntaxErr(keyLine, "duplicate key "+strconv.Quote(key)+" in section "+strconv.Quote(cur.node.Key)+" (first on line "+strconv.Itoa(prev)+")")
		}
		cur.keys[key] = keyLine
		comment := joinComment(p.pending)
		p.pending = nil
		if err := p.count(); err != nil {
			return nil, err
		}
		n := &formats.Node{Kind: formats.Scalar, Type: formats.String, Key: key, Value: value, Line: keyLine}
		if cur.node.Key == metaSection && cur != def {
			n.Value = strings.ReplaceAll(n.Value, `\n`, "\n")
			meta = append(meta, n)
			continue
		}
		cur.node.Children = append(cur.node.Children, n)
		if comment != "" {
			if err := p.count(); err != nil {
				return nil, err
			}
			cur.node.Children = append(cur.node.Children, &formats.Node{Kind: formats.Comment, Value: comment, Line: keyLine})
		}
	}
	f := &formats.File{Docs: []*formats.Node{doc}}
	if _, ok := sections[metaSection]; ok {
		m, err := formats.Unflatten(meta, "")
		if err != nil {
			if ue, ok := err.(*formats.UnflattenError); ok {
				return nil, syntaxErr(ue.Line, "sops metadata: "+ue.Error())
			}
			return nil, syntaxErr(0, "sops metadata: "+err.Error())
		}
		if depth(m) > lim.MaxDepth {
			return nil, &formats.LimitError{Format: name, What: "depth", Limit: int64(lim.MaxDepth)}
		}
		m.Key = "sops"
		f.Meta = m
	}
	return f, nil
}

// depth returns how many levels of mappings and sequences n holds,
// counting n.
func depth(n *formats.Node) int {
	d := 0
	for _, c := range n.Children {
		if c.Kind == formats.Mapping || c.Kind == formats.Sequence {
			if cd := depth(c); cd > d {
				d = cd
			}
		}
	}
	return d + 1
}

// joinComment turns the raw comment lines above an item (each trimmed and
// starting with ';' or '#') into the comment text sops stores: the first
// line loses its markers and spaces, the later lines keep their marker
// followed by one space. An empty result means no comment.
func joinComment(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	var b strings.Builder
	for i, l := range lines {
		c := l[:1]
		if i == 0 {
			b.WriteString(strings.TrimSpace(strings.TrimLeft(l, c+" ")))
			continue
		}
		b.WriteByte('\n')
		b.WriteString(c)
		if t := strings.TrimSpace(l[1:]); t != "" {
			b.WriteByte(' ')
			b.WriteString(t)
		}
	}
	return b.String()
}

// readKey splits a key line (leading space removed) into the key and the
// text after the delimiter ('=' or ':'), as ini.v1 does, with quoted keys.
func readKey(line string) (key, rest string, err error) {
	var q string
	switch {
	case line[0] == '"' && len(line) > 6 && line[:3] == `"""`:
		q = `"""`
	case line[0] == '"':
		q = `"`
	case line[0] == '`':
		q = "`"
	}
	if q == "" {
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			return "", "", errorString("missing '=' or ':' after key")
		}
		key, rest = strings.TrimSpace(line[:i]), line[i+1:]
	} else {
		end := strings.Index(line[len(q):], q)
		if end < 0 {
			return "", "", errorString("missing closing quote of key")
		}
		end += len(q)
		after := line[end+len(q):]
		i := strings.IndexAny(after, "=:")
		if i < 0 {
			return "", "", errorString("missing '=' or ':' after key")
		}
		if !isSpace(after[:i]) {
			return "", "", errorString("unexpected text after quoted key")
		}
		key, rest = strings.TrimSpace(line[len(q):end]), after[i+1:]
	}
	switch key {
	case "":
		return "", "", errorString("empty key")
	case "-":
		return "", "", errorString("auto-increment keys (\"-\") are not supported")
	}
	return key, rest, nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// readValue reads the value after the delimiter, reading more lines for a
// multi-line quoted value. An inline comment is added to p.pending.
func (p *parser) readValue(rest string) (string, error) {
	start := p.lineNo
	s := strings.TrimLeftFunc(rest, unicode.IsSpace)
	if s == "" {
		return "", nil
	}
	var q string
	switch {
	case len(s) > 3 && s[:3] == `"""`:
		q = `"""`
	case s[0] == '`':
		q = "`"
	}
	if q != "" {
		body := s[len(q):]
		if i := strings.LastIndex(body, q); i >= 0 {
			if !isSpace(body[i+len(q):]) {
				return "", syntaxErr(start, "unexpected text after quoted value")
			}
			return body[:i], nil
		}
		val := body
		for {
			next, ok := p.next()
			if !ok {
				return "", syntaxErr(start, "unclosed quoted value")
			}
			line := string(next)
			if i := strings.LastIndex(line, q); i >= 0 {
				if !isSpace(line[i+len(q):]) {
					return "", syntaxErr(p.lineNo, "unexpected text after quoted value")
				}
				return val + line[:i], nil
			}
			val += line
		}
	}
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, `\`) {
		return "", syntaxErr(start, `a value ending in '\' (line continuation) is not supported; quote it with backticks`)
	}
	if i := strings.IndexAny(s, "#;"); i >= 0 {
		p.pending = append(p.pending, s[i:])
		s = strings.TrimSpace(s[:i])
	}
	if surrounded(s, '\'') || surrounded(s, '"') {
		s = s[1 : len(s)-1]
	}
	return s, nil
}

// surrounded reports whether q is the first and last byte of s and appears
// nowhere else, as ini.v1's hasSurroundedQuote.
func surrounded(s string, q byte) bool {
	return len(s) >= 2 && s[0] == q && s[len(s)-1] == q && strings.IndexByte(s[1:], q) == len(s)-2
}
