package yaml

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/hullsecrets/hull/formats"
)

func syntaxErr(line int, format string, args ...any) error {
	return &formats.SyntaxError{Format: name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func limitErr(what string, limit int64) error {
	return &formats.LimitError{Format: name, What: what, Limit: limit}
}

var yamlErrLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// quoted is a part of a yaml.v3 message between single quotes.
var quoted = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`'[^']*'`) })

// safeMessage keeps what a yaml.v3 error message says without file
// content: the scanner and parser messages are fixed texts that quote the
// punctuation they expected ("did not find expected ',' or '}'", as sops
// prints them), but a few quote the input (an anchor name, a value between
// backticks): such a quoted part is left out, and a message with backticks
// or double quotes is replaced.
func safeMessage(msg string) string {
	if msg == "" || strings.ContainsAny(msg, "`\"") || len(msg) > 120 {
		return "invalid yaml"
	}
	msg = quoted().ReplaceAllStringFunc(msg, func(q string) string {
		inner := q[1 : len(q)-1]
		if inner != "" && len(inner) <= 3 && strings.Trim(inner, ",:;-?[]{}|>#&*!%@`.=") == "" {
			return q
		}
		return ""
	})
	msg = strings.Join(strings.Fields(msg), " ")
	if msg == "" || strings.Count(msg, "'")%2 != 0 {
		return "invalid yaml"
	}
	return msg
}

// decodeError turns a yaml.v3 error into a SyntaxError (or LimitError for
// its own nesting limit) without echoing input.
func decodeError(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "exceeded max depth") {
		return limitErr("depth", 10000)
	}
	if m := yamlErrLine().FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return syntaxErr(line, "%s", safeMessage(m[2]))
	}
	return syntaxErr(0, "%s", safeMessage(strings.TrimPrefix(msg, "yaml: ")))
}

// firstInvalidUTF8Line returns the 1-based line of the first invalid UTF-8
// sequence in data, or 0 when data is valid.
func firstInvalidUTF8Line(data []byte) int {
	if utf8.Valid(data) {
		return 0
	}
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if data[i] == '\n' {
			line++
		}
		i += size
	}
	return line
}

func (yamlFormat) Parse(data []byte, opts formats.ParseOptions) (f *formats.File, err error) {
	lim := opts.Limits.WithDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return nil, limitErr("size", lim.MaxBytes)
	}
	if line := firstInvalidUTF8Line(data); line > 0 {
		return nil, syntaxErr(line, "invalid utf-8")
	}
	f, err = parseOnce(data, lim, opts.Borrow)
	if err != nil {
		return nil, err
	}
	return settleComments(f, data, lim), nil
}

// parseOnce reads data with the direct parser, or yaml.v3 when the direct
// parser gives up. With borrow, the direct parser's tree points into data
// (formats.ParseOptions.Borrow).
func parseOnce(data []byte, lim formats.Limits, borrow bool) (*formats.File, error) {
	if !noDirect {
		if f, ok := parseDirect(data, lim, borrow); ok {
			return f, nil
		}
	}
	return parseV3(data, lim)
}

// settleComments returns the tree that f reads back as once written.
//
// Comments are attached to yaml.v3 nodes, and the tree keeps them where
// sops' tree has them; but in a few positions the written file puts a
// comment elsewhere: a comment above the first key of a mapping in a list
// is written above the "- " and reads back as a comment of the list
// ("a:\n  - b: # d"), a comment that closes a nested block reads back in
// the innermost block ("a:\n  b:\n    - x\n  # c"), and a comment on an
// empty flow mapping or list ("a: {} # c") is written inside the braces,
// where yaml.v3 drops it. sops encrypts such a comment where its tree has
// it and reads it back at the other place (a comment it then cannot
// decrypt, or loses). hull's extended MAC covers comments and their
// positions, so a file hull writes must read back as the tree it
// authenticated: a tree with comments is written and read once more here,
// so that every comment is where it will be read back (and encrypted with
// the path it will be read back with, which sops decrypts too). A comment
// that cannot be written anywhere is dropped with a warning, as sops drops
// it when it decrypts. Trees without comments, the common large case, are
// returned as they are.
//
// A file hull wrote is written back byte for byte: it is returned as parsed
// without the second parse. So is a file whose comments are all in the
// one position that is always read back as it is (commentsSettled).
func settleComments(f *formats.File, data []byte, lim formats.Limits) *formats.File {
	n := 0
	for _, d := range f.Docs {
		n += countComments(d)
	}
	if n == 0 || commentsSettled(f) {
		return f
	}
	return settleWritten(f, data, lim, n)
}

// commentsSettled reports whether every comment of f is a whole-line
// comment in a document's top-level mapping with a key after it: it is
// written above that key, in column 0, and read back above it (the
// comments of generated and hand-written files alike, at the top of the
// file and between sections). Any other comment leaves the question to
// settleWritten, which writes and reads the file; TestCommentsSettled and
// FuzzCommentsSettled check that both agree.
func commentsSettled(f *formats.File) bool {
	for _, d := range f.Docs {
		keyAfter := false
		for i := len(d.Children) - 1; i >= 0; i-- {
			c := d.Children[i]
			switch {
			case c.Kind == formats.Comment:
				if c.Inline || !keyAfter {
					return false
				}
			case c.Kind == formats.Mapping || c.Kind == formats.Sequence:
				if countComments(c) > 0 {
					return false
				}
				keyAfter = true
			default:
				keyAfter = true
			}
		}
	}
	return true
}

// settleWritten is settleComments for a tree with n comments, some of
// which may read back elsewhere: it writes the tree and reads it back.
func settleWritten(f *formats.File, data []byte, lim formats.Limits, n int) *formats.File {
	// Written as an encrypted file is: a comment at the end of a nested
	// block reads back differently when the sops block follows it.
	w := *f
	if w.Meta == nil {
		w.Meta = &formats.Node{Kind: formats.Mapping, Children: []*formats.Node{formats.NewString("version", "0")}}
	}
	if emitsAs(&w, data) {
		return f // without holding a second copy of the file
	}
	out, err := yamlFormat{}.Emit(&w, formats.EmitOptions{})
	if err != nil {
		return f // the write fails later with the emitter's error
	}
	if bytes.Equal(out, data) {
		return f
	}
	g, err := parseOnce(out, lim, true) // out is this function's alone
	if err != nil || len(g.Docs) != len(f.Docs) {
		return f
	}
	g.Meta = f.Meta
	m := 0
	for i, d := range g.Docs {
		if !sameLines(f.Docs[i], d) {
			return f
		}
		m += countComments(d)
	}
	g.Warnings = f.Warnings
	if m < n {
		g.Warnings = append(g.Warnings, fmt.Sprintf("%d YAML comment(s) on an empty flow mapping or list ({} or []) cannot be written back and were dropped, as sops drops them", n-m))
	}
	return g
}

func countComments(n *formats.Node) int {
	c := 0
	for _, k := range n.Children {
		if k.Kind == formats.Comment {
			c++
		} else if k.Kind == formats.Mapping || k.Kind == formats.Sequence {
			c += countComments(k)
		}
	}
	return c
}

// sameLines checks that b has the values of a (comments aside: the same
// kinds, keys, types and values in the same order) and copies a's source
// lines onto b, so that errors keep naming lines of the input.
func sameLines(a, b *formats.Node) bool {
	if a.Kind != b.Kind || a.Key != b.Key || a.Type != b.Type || a.Value != b.Value {
		return false
	}
	b.Line = a.Line
	i, j := 0, 0
	for {
		for i < len(a.Children) && a.Children[i].Kind == formats.Comment {
			i++
		}
		for j < len(b.Children) && b.Children[j].Kind == formats.Comment {
			j++
		}
		if i == len(a.Children) || j == len(b.Children) {
			return i == len(a.Children) && j == len(b.Children)
		}
		if !sameLines(a.Children[i], b.Children[j]) {
			return false
		}
		i++
		j++
	}
}

// noDirect disables the direct parser (parse_direct.go), for tests.
var noDirect = false

// finishFile moves the sops metadata out of the documents, as sops does.
func finishFile(f *formats.File) {
	for i, d := range f.Docs {
		if i == 0 {
			if meta := d.Get("sops"); meta != nil {
				f.Meta = meta
			}
		}
		d.Remove("sops")
	}
}

// parseV3 reads data with yaml.v3's node API and converts the nodes.
func parseV3(data []byte, lim formats.Limits) (f *formats.File, err error) {
	defer func() {
		// yaml.v3 reports most errors by panicking internally and recovering
		// itself; this is a last line of defence against a bug there.
		if r := recover(); r != nil {
			f, err = nil, syntaxErr(0, "invalid yaml")
		}
	}()
	p := &parser{lim: lim}
	f = &formats.File{}
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	for {
		var doc yamlv3.Node
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, decodeError(err)
		}
		if err := p.precheck(&doc); err != nil {
			return nil, err
		}
		m := formats.NewMapping()
		m.Line = doc.Line
		if err := p.branch(&doc, m, false, 0); err != nil {
			return nil, err
		}
		f.Docs = append(f.Docs, m)
	}
	finishFile(f)
	if len(p.aliasLines) > 0 {
		lines := make([]string, 0, 5)
		for i, l := range p.aliasLines {
			if i == 5 {
				lines = append(lines, "…")
				break
			}
			lines = append(lines, strconv.Itoa(l))
		}
		f.Warnings = append(f.Warnings, fmt.Sprintf("YAML aliases were expanded (line %s): the values they point to are now written out, and encrypted, once per use; the anchors are not kept", strings.Join(lines, ", ")))
	}
	return f, nil
}

type parser struct {
	lim   formats.Limits
	nodes int // nodes after alias expansion, across all documents

	// size and height memoize the expanded size and nesting height of
	// nodes reached through aliases, so that checking an alias bomb costs
	// time in the number of distinct nodes only.
	size   map[*yamlv3.Node]int
	height map[*yamlv3.Node]int
	// aliasLines are the lines of the aliases expanded, for a warning.
	aliasLines []int
}

// aliasRatio is yaml.v3's allowance for alias expansion: the share of the
// decoded nodes that may come from aliases, shrinking as documents grow.
func aliasRatio(total int) float64 {
	const low, high = 400_000, 4_000_000
	switch {
	case total <= low:
		return 0.99
	case total >= high:
		return 0.10
	}
	return 0.99 - 0.89*(float64(total-low)/float64(high-low))
}

// precheck computes the expanded size and the height of a document before
// anything is built, and rejects it when it exceeds the limits.
func (p *parser) precheck(doc *yamlv3.Node) error {
	if p.size == nil {
		p.size = map[*yamlv3.Node]int{}
		p.height = map[*yamlv3.Node]int{}
	}
	var viaAlias int
	var measure func(n *yamlv3.Node, depth int) (size, height int, err error)
	measure = func(n *yamlv3.Node, depth int) (int, int, error) {
		if depth > p.lim.MaxDepth+1 {
			return 0, 0, limitErr("depth", int64(p.lim.MaxDepth))
		}
		if n.Kind == yamlv3.AliasNode {
			if n.Alias == nil {
				return 1, 0, nil
			}
			p.aliasLines = append(p.aliasLines, n.Line)
			s, ok := p.size[n.Alias]
			h := p.height[n.Alias]
			if !ok {
				var err error
				s, h, err = measure(n.Alias, depth)
				if err != nil {
					return 0, 0, err
				}
				p.size[n.Alias], p.height[n.Alias] = s, h
			}
			viaAlias += s
			if depth+h > p.lim.MaxDepth+1 {
				return 0, 0, limitErr("depth", int64(p.lim.MaxDepth))
			}
			return s, h, nil
		}
		size, height := 1, 0
		for _, c := range n.Content {
			s, h, err := measure(c, depth+1)
			if err != nil {
				return 0, 0, err
			}
			size += s
			if size > p.lim.MaxNodes {
				return 0, 0, limitErr("nodes", int64(p.lim.MaxNodes))
			}
			height = max(height, h)
		}
		if n.Kind == yamlv3.MappingNode || n.Kind == yamlv3.SequenceNode {
			height++
		}
		return size, height, nil
	}
	size, height, err := measure(doc, 0)
	if err != nil {
		return err
	}
	if height > p.lim.MaxDepth {
		return limitErr("depth", int64(p.lim.MaxDepth))
	}
	p.nodes += size
	if p.nodes > p.lim.MaxNodes {
		return limitErr("nodes", int64(p.lim.MaxNodes))
	}
	if viaAlias > 0 && float64(viaAlias)/float64(size) > aliasRatio(size) {
		return limitErr("alias expansion", int64(aliasRatio(size)*float64(size)))
	}
	return nil
}

// comments appends one Comment node per line of a yaml.v3 comment, as sops
// does: empty lines are dropped and the first character (the '#') removed.
func comments(dst []*formats.Node, text string, inline bool, line int) []*formats.Node {
	if text == "" {
		return dst
	}
	for _, l := range strings.Split(text, "\n") {
		if l == "" {
			continue
		}
		dst = append(dst, &formats.Node{Kind: formats.Comment, Value: l[1:], Inline: inline, Line: line})
	}
	return dst
}

// branch appends the items of a document or mapping node to out, following
// sops' appendYamlNodeToTreeBranch.
func (p *parser) branch(n *yamlv3.Node, out *formats.Node, handled bool, depth int) error {
	if !handled {
		out.Children = comments(out.Children, n.HeadComment, false, n.Line)
		out.Children = comments(out.Children, n.LineComment, false, n.Line)
	}
	switch n.Kind {
	case yamlv3.DocumentNode:
		for _, c := range n.Content {
			if err := p.branch(c, out, false, depth); err != nil {
				return err
			}
		}
	case yamlv3.SequenceNode:
		return syntaxErr(n.Line, "a document that is a sequence is not supported")
	case yamlv3.ScalarNode:
		if n.ShortTag() != tagNull {
			return syntaxErr(n.Line, "a document that is a scalar is not supported")
		}
	case yamlv3.AliasNode:
		if err := p.branch(n.Alias, out, false, depth); err != nil {
			return err
		}
	case yamlv3.MappingNode:
		if err := p.mapping(n, out, depth); err != nil {
			return err
		}
	}
	if !handled {
		out.Children = comments(out.Children, n.FootComment, false, n.Line)
	}
	return nil
}

func (p *parser) mapping(n *yamlv3.Node, out *formats.Node, depth int) error {
	var seen map[string]struct{}
	if len(n.Content) > 16 {
		seen = make(map[string]struct{}, len(n.Content)/2)
	}
	first := len(out.Children)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		out.Children = comments(out.Children, key.HeadComment, false, key.Line)
		out.Children = comments(out.Children, key.LineComment, false, key.Line)
		handleValue := value.Kind == yamlv3.ScalarNode || value.Kind == yamlv3.AliasNode
		if handleValue {
			out.Children = comments(out.Children, value.HeadComment, false, value.Line)
			out.Children = comments(out.Children, value.LineComment, true, value.Line)
		}
		k := key
		if k.Kind == yamlv3.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yamlv3.ScalarNode {
			return syntaxErr(key.Line, "a mapping key that is not a scalar is not supported")
		}
		if k.Style&(yamlv3.SingleQuotedStyle|yamlv3.DoubleQuotedStyle|yamlv3.LiteralStyle|yamlv3.FoldedStyle) != 0 || k.ShortTag() != tagMerge {
			dup := false
			if seen != nil {
				_, dup = seen[k.Value]
				seen[k.Value] = struct{}{}
			} else {
				for _, c := range out.Children[first:] {
					if c.Kind != formats.Comment && c.Key == k.Value {
						dup = true
						break
					}
				}
			}
			if dup {
				return syntaxErr(key.Line, "duplicate key %q", k.Value)
			}
		}
		v, err := p.value(value, handleValue, depth+1)
		if err != nil {
			return err
		}
		v.Key = k.Value
		out.Children = append(out.Children, v)
		if handleValue {
			out.Children = comments(out.Children, value.FootComment, false, value.Line)
		}
		out.Children = comments(out.Children, key.FootComment, false, key.Line)
	}
	return nil
}

// value converts a value node, following sops' nodeToTreeValue.
func (p *parser) value(n *yamlv3.Node, handled bool, depth int) (*formats.Node, error) {
	switch n.Kind {
	case yamlv3.SequenceNode:
		out := &formats.Node{Kind: formats.Sequence, Line: n.Line}
		if !handled {
			out.Children = comments(out.Children, n.HeadComment, false, n.Line)
			out.Children = comments(out.Children, n.LineComment, false, n.Line)
		}
		for _, item := range n.Content {
			out.Children = comments(out.Children, item.HeadComment, false, item.Line)
			out.Children = comments(out.Children, item.LineComment, true, item.Line)
			v, err := p.value(item, true, depth+1)
			if err != nil {
				return nil, err
			}
			out.Children = append(out.Children, v)
			out.Children = comments(out.Children, item.FootComment, false, item.Line)
		}
		if !handled {
			out.Children = comments(out.Children, n.FootComment, false, n.Line)
		}
		return out, nil
	case yamlv3.MappingNode:
		out := &formats.Node{Kind: formats.Mapping, Line: n.Line}
		if err := p.branch(n, out, handled, depth); err != nil {
			return nil, err
		}
		return out, nil
	case yamlv3.AliasNode:
		if n.Alias == nil {
			return nil, syntaxErr(n.Line, "unknown alias")
		}
		v, err := p.value(n.Alias, false, depth)
		if err != nil {
			return nil, err
		}
		v.Line = n.Line
		return v, nil
	case yamlv3.ScalarNode:
		return scalar(n)
	}
	return nil, syntaxErr(n.Line, "unexpected yaml node")
}

// scalar types a scalar by its resolved tag.
func scalar(n *yamlv3.Node) (*formats.Node, error) {
	return scalarFrom(n.Value, n.ShortTag(), n.Line)
}

// scalarFrom types a scalar of the given text, resolved tag and line.
func scalarFrom(value, tag string, line int) (*formats.Node, error) {
	out := &formats.Node{}
	if err := scalarInto(out, value, tag, line); err != nil {
		return nil, err
	}
	return out, nil
}

// scalarInto is scalarFrom into a node the caller allocated.
func scalarInto(out *formats.Node, value, tag string, line int) error {
	*out = formats.Node{Kind: formats.Scalar, Type: formats.String, Value: value, Line: line}
	switch tag {
	case tagNull:
		out.Type, out.Value = formats.Null, ""
	case tagBool:
		switch value {
		case "true", "True", "TRUE":
			out.Type, out.Value = formats.Bool, "True"
		case "false", "False", "FALSE":
			out.Type, out.Value = formats.Bool, "False"
		default:
			return syntaxErr(line, "value is not a valid !!bool")
		}
	case tagInt:
		digits, fits, ok := parseInt(value)
		if !ok {
			// An explicit !!int on a float literal is accepted by yaml.v3 only
			// through !!float; anything else is malformed.
			return syntaxErr(line, "value is not a valid !!int")
		}
		out.Type, out.Value = formats.Int, digits
		if !fits {
			out.Type = formats.Float
		}
	case tagFloat:
		v, ok := floatValue(value)
		if !ok {
			return syntaxErr(line, "value is not a valid !!float")
		}
		out.Type, out.Value = formats.Float, v
	case tagTimestamp:
		t, ok := parseTimestamp(value)
		if !ok {
			return syntaxErr(line, "value is not a valid !!timestamp")
		}
		text, err := t.MarshalText()
		if err != nil {
			// Out of the range RFC 3339 can express: keep the text.
			return nil
		}
		out.Type, out.Value = formats.Time, string(text)
	case tagBinary:
		b, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return syntaxErr(line, "value is not valid !!binary base64")
		}
		out.Value = string(b)
	}
	return nil
}

// floatValue returns the tree value of a !!float literal: the literal itself
// when it is a YAML number that strconv.ParseFloat accepts (so that it is
// never rounded), else Go's shortest form of it.
func floatValue(s string) (string, bool) {
	if v, ok := floatSpecial[s]; ok {
		return v, true
	}
	// Kept as written when it is a plain number; "1_000.5", which YAML 1.1
	// and Go both read, is stored as sops stores it (1000.5): the value
	// must decrypt as a plain number.
	if _, err := strconv.ParseFloat(s, 64); err == nil && !strings.Contains(s, "_") {
		if t := resolvePlain(s); t == tagFloat || t == tagInt {
			return s, true
		}
	}
	plain := strings.ReplaceAll(s, "_", "")
	f, err := strconv.ParseFloat(plain, 64)
	if err != nil {
		if d, _, ok := parseInt(s); ok {
			return d, true
		}
		return "", false
	}
	return strconv.FormatFloat(f, 'g', -1, 64), true
}
