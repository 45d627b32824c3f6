package ini

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/hullsecrets/hull/formats"
)

// block is one section ready to be written.
type block struct {
	name    string
	comment string
	header  bool
	keys    []entry
}

type entry struct {
	key, value, comment string
}

// Emit writes an INI file in ini.v1's pretty format: '=' aligned in each
// section, a blank line between sections, DEFAULT keys first without a
// header, and the [sops] section last.
func (format) Emit(f *formats.File, _ formats.EmitOptions) ([]byte, error) {
	if len(f.Docs) > 1 {
		return nil, unsupported("cannot write more than one document in an ini file")
	}
	var blocks []block
	if len(f.Docs) == 1 && f.Docs[0] != nil {
		var err error
		if blocks, err = docBlocks(f.Docs[0]); err != nil {
			return nil, err
		}
	}
	if f.Meta != nil {
		items, err := formats.Flatten(f.Meta, "")
		if err != nil {
			return nil, unsupported(err.Error())
		}
		b := block{name: metaSection, header: true}
		for _, it := range items {
			b.keys = append(b.keys, entry{key: it.Key, value: strings.ReplaceAll(it.Value, "\n", `\n`)})
		}
		blocks = append(blocks, b)
	}
	var buf bytes.Buffer
	first := true
	for _, b := range blocks {
		if !b.header && len(b.keys) == 0 {
			continue // an empty DEFAULT section is not written
		}
		if !first {
			buf.WriteByte('\n')
		}
		first = false
		if err := writeBlock(&buf, b); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// docBlocks turns the document's sections into blocks, DEFAULT first.
func docBlocks(doc *formats.Node) ([]block, error) {
	if doc.Kind != formats.Mapping {
		return nil, unsupported("the document is a " + doc.Kind.String() + ", not a mapping")
	}
	var blocks []block
	seen := map[string]bool{}
	implicit := true // the first DEFAULT is the implicit one
	for _, s := range doc.Children {
		if s.Kind == formats.Comment {
			continue
		}
		if s.Kind != formats.Mapping {
			return nil, unsupported("section values should always be mappings; offending key " + strconv.Quote(s.Key))
		}
		explicit := false
		if s.Key == defaultSection && seen[s.Key] && implicit {
			// The explicit [DEFAULT] section, written in place.
			implicit, explicit = false, true
		} else if seen[s.Key] {
			return nil, unsupported("duplicate section " + strconv.Quote(s.Key))
		}
		seen[s.Key] = true
		if s.Key == metaSection {
			return nil, unsupported("section \"sops\" is reserved for the metadata")
		}
		if err := checkSection(s.Key); err != nil {
			return nil, err
		}
		b := block{name: s.Key, header: s.Key != defaultSection || explicit}
		var cur *entry
		var comments []string
		flush := func() {
			if len(comments) == 0 {
				return
			}
			c := strings.Join(comments, "\n")
			if cur == nil {
				b.comment = c
			} else {
				cur.comment = c
			}
			comments = nil
		}
		for _, c := range s.Children {
			if c.Kind == formats.Comment {
				comments = append(comments, c.Value)
				continue
			}
			flush()
			v, err := valueText(s.Key, c)
			if err != nil {
				return nil, err
			}
			b.keys = append(b.keys, entry{key: c.Key, value: v})
			cur = &b.keys[len(b.keys)-1]
		}
		flush()
		if b.name == defaultSection && !explicit {
			if b.comment != "" {
				b.header = true
			}
			blocks = append([]block{b}, blocks...)
			continue
		}
		blocks = append(blocks, b)
	}
	return blocks, nil
}

func checkSection(s string) error {
	if s == "" {
		return unsupported("cannot write a section with an empty name in an ini file")
	}
	if strings.ContainsAny(s, "\n\r") {
		return unsupported("cannot write section " + strconv.Quote(s) + " in an ini file: its name holds a line break")
	}
	return nil
}

// valueText is the text of a value in section sec.
func valueText(sec string, n *formats.Node) (string, error) {
	if n.Kind != formats.Scalar {
		return "", unsupported("cannot write nested value in ini file; offending key " + strconv.Quote(n.Key) + " in section " + strconv.Quote(sec))
	}
	switch n.Type {
	case formats.Bool:
		return strings.ToLower(n.Value), nil
	case formats.Null:
		return "", nil
	case formats.Float:
		return formats.FloatText(n.Value), nil
	}
	return n.Value, nil
}

// quoteKey returns the key as written, quoted as ini.v1 quotes it, and
// also when a bare key would read back differently.
func quoteKey(k string) (string, error) {
	switch {
	case k == "" || strings.TrimSpace(k) != k || strings.ContainsAny(k, "\n\r"):
		return "", unsupported("cannot write key " + strconv.Quote(k) + " in an ini file")
	case strings.Contains(k, `"`) || strings.ContainsAny(k, "=:"):
		if strings.Contains(k, "`") {
			if strings.Contains(k, `"`) {
				return "", unsupported("cannot write key " + strconv.Quote(k) + " in an ini file: no quoting can hold it")
			}
			return `"""` + k + `"""`, nil
		}
		return "`" + k + "`", nil
	case strings.Contains(k, "`"):
		return `"""` + k + `"""`, nil
	case k == "-" || strings.ContainsAny(k[:1], "#;["):
		return "`" + k + "`", nil
	}
	return k, nil
}

// quoteValue returns the value as written: ini.v1's rules, plus backticks
// wherever a bare value would read back differently.
func quoteValue(v string) (string, error) {
	switch {
	case strings.ContainsAny(v, "\n`"):
		if strings.Contains(v, "\n") && strings.Contains(v, `"""`) {
			return "", unsupported(`cannot write a value that holds both a newline and """ in an ini file`)
		}
		return `"""` + v + `"""`, nil
	case strings.ContainsAny(v, "#;"):
		return "`" + v + "`", nil
	case strings.TrimSpace(v) != v:
		if strings.Contains(v, `"`) {
			return "`" + v + "`", nil
		}
		return `"` + v + `"`, nil
	case strings.HasSuffix(v, `\`) || surrounded(v, '\'') || surrounded(v, '"') || strings.HasPrefix(v, `"""`):
		return "`" + v + "`", nil
	}
	return v, nil
}

// writeComment writes a comment above a key or a section header.
func writeComment(buf *bytes.Buffer, c string, trim bool) {
	for i, l := range strings.Split(c, "\n") {
		switch {
		case l == "":
			buf.WriteString(";")
		case i == 0 && l[0] == ';':
			buf.WriteString("# " + l)
		case i == 0 && l[0] == '#':
			buf.WriteString("; " + l)
		case i > 0 && l != "" && (l[0] == ';' || l[0] == '#'):
			buf.WriteString(l[:1])
			if t := strings.TrimSpace(l[1:]); t != "" {
				buf.WriteString(" " + t)
			}
		case trim:
			buf.WriteString("; " + strings.TrimSpace(l))
		default:
			buf.WriteString("; " + l)
		}
		buf.WriteByte('\n')
	}
}

func writeBlock(buf *bytes.Buffer, b block) error {
	if b.comment != "" {
		writeComment(buf, b.comment, false)
	}
	if b.header {
		buf.WriteString("[" + b.name + "]\n")
	}
	keys := make([]string, len(b.keys))
	align := 0
	for i, e := range b.keys {
		k, err := quoteKey(e.key)
		if err != nil {
			return err
		}
		keys[i] = k
		if len(k) > align {
			align = len(k)
		}
	}
	for i, e := range b.keys {
		v, err := quoteValue(e.value)
		if err != nil {
			return unsupported(err.(*formats.UnsupportedError).Msg + "; offending key " + strconv.Quote(e.key) + " in section " + strconv.Quote(b.name))
		}
		if e.comment != "" {
			writeComment(buf, e.comment, true)
		}
		buf.WriteString(keys[i])
		buf.WriteString(strings.Repeat(" ", align-len(keys[i])))
		buf.WriteString(" = ")
		buf.WriteString(v)
		buf.WriteByte('\n')
	}
	return nil
}

// EmitValue writes a single non-string scalar as sops does, in JSON
// (sops's INI store json.Marshals it): numbers and booleans as text, null
// as "null", a time as a JSON string. Mappings and lists are unsupported.
func (format) EmitValue(n *formats.Node, _ formats.EmitOptions) ([]byte, error) {
	if n.Kind != formats.Scalar {
		return nil, unsupported("cannot write a single " + n.Kind.String() + " as an ini value")
	}
	switch n.Type {
	case formats.Null:
		return []byte("null"), nil
	case formats.Bool:
		return []byte(strings.ToLower(n.Value)), nil
	case formats.Int, formats.Float:
		return []byte(n.Value), nil
	}
	return []byte(strconv.Quote(n.Value)), nil
}
