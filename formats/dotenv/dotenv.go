// Package dotenv reads and writes dotenv files as sops does (FORMAT.md
// §5.4): one KEY=VALUE per line, '#' comment lines, no quoting, and the
// metadata flattened into lines whose keys start with "sops_".
//
// # Differences from sops
//
//   - Duplicate keys are an error (sops keeps both, and the last one wins
//     when the file is used).
//   - A Float is written as its text in the tree (sops reformats it with
//     'G'); a Null is written as an empty value (sops writes "<nil>").
//   - Emit refuses trees it cannot write back faithfully: a key that
//     holds '=' or a newline, starts with '#' or with the reserved
//     "sops_" prefix; a comment holding a newline; more than one document.
package dotenv

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/hullsecrets/hull/formats"
)

const name = "dotenv"

// metaPrefix starts every metadata key.
const metaPrefix = "sops_"

type format struct{}

// New returns the dotenv format.
func New() formats.Format { return format{} }

func (format) Name() string         { return name }
func (format) Extensions() []string { return []string{".env"} }

func syntaxErr(line int, msg string) error {
	return &formats.SyntaxError{Format: name, Line: line, Msg: msg}
}

func unsupported(msg string) error {
	return &formats.UnsupportedError{Format: name, Msg: msg}
}

// Parse reads a dotenv file. Lines whose key starts with "sops_" are the
// metadata, returned unflattened in File.Meta.
func (format) Parse(data []byte, opts formats.ParseOptions) (*formats.File, error) {
	lim := opts.Limits.WithDefaults()
	if int64(len(data)) > lim.MaxBytes {
		return nil, &formats.LimitError{Format: name, What: "size", Limit: lim.MaxBytes}
	}
	doc := formats.NewMapping()
	var meta []*formats.Node
	seen := map[string]int{}
	nodes := 1
	lineNo := 0
	for len(data) > 0 || lineNo == 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		if len(line) == 0 {
			if len(data) == 0 {
				break
			}
			continue
		}
		nodes++
		if int64(nodes) > int64(lim.MaxNodes) {
			return nil, &formats.LimitError{Format: name, What: "nodes", Limit: int64(lim.MaxNodes)}
		}
		if line[0] == '#' {
			doc.Children = append(doc.Children, &formats.Node{Kind: formats.Comment, Value: string(line[1:]), Line: lineNo})
			continue
		}
		eq := bytes.IndexByte(line, '=')
		if eq < 0 {
			return nil, syntaxErr(lineNo, "missing '=' in line")
		}
		// An empty key ("=value") is a key, as in sops.
		key := string(line[:eq])
		if prev, dup := seen[key]; dup {
			return nil, syntaxErr(lineNo, "duplicate key "+strconv.Quote(key)+" (first on line "+strconv.Itoa(prev)+")")
		}
		seen[key] = lineNo
		n := &formats.Node{Kind: formats.Scalar, Type: formats.String, Key: key,
			Value: strings.ReplaceAll(string(line[eq+1:]), `\n`, "\n"), Line: lineNo}
		if strings.HasPrefix(key, metaPrefix) {
			meta = append(meta, n)
			continue
		}
		doc.Children = append(doc.Children, n)
	}
	f := &formats.File{Docs: []*formats.Node{doc}}
	if len(meta) > 0 {
		m, err := formats.Unflatten(meta, metaPrefix)
		if err != nil {
			return nil, unflattenErr(err)
		}
		if d := depth(m); d+1 > lim.MaxDepth {
			return nil, &formats.LimitError{Format: name, What: "depth", Limit: int64(lim.MaxDepth)}
		}
		m.Key = "sops"
		f.Meta = m
	}
	return f, nil
}

func unflattenErr(err error) error {
	if ue, ok := err.(*formats.UnflattenError); ok {
		return syntaxErr(ue.Line, "sops metadata: "+ue.Error())
	}
	return syntaxErr(0, "sops metadata: "+err.Error())
}

// depth returns how many levels of mappings and sequences n holds.
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

// Emit writes a dotenv file: the data lines, then the metadata lines.
func (format) Emit(f *formats.File, _ formats.EmitOptions) ([]byte, error) {
	if len(f.Docs) > 1 {
		return nil, unsupported("cannot write more than one document in a dotenv file")
	}
	var buf bytes.Buffer
	if len(f.Docs) == 1 && f.Docs[0] != nil {
		doc := f.Docs[0]
		if doc.Kind != formats.Mapping {
			return nil, unsupported("the document is a " + doc.Kind.String() + ", not a mapping")
		}
		seen := map[string]bool{}
		for _, c := range doc.Children {
			if c.Kind == formats.Comment {
				if strings.ContainsAny(c.Value, "\n") {
					return nil, unsupported("cannot write a comment that holds a newline in a dotenv file")
				}
				buf.WriteByte('#')
				buf.WriteString(c.Value)
				buf.WriteByte('\n')
				continue
			}
			if err := checkKey(c.Key); err != nil {
				return nil, err
			}
			if strings.HasPrefix(c.Key, metaPrefix) {
				return nil, unsupported("key " + strconv.Quote(c.Key) + " uses the prefix sops_, which is reserved for the metadata")
			}
			if seen[c.Key] {
				return nil, unsupported("duplicate key " + strconv.Quote(c.Key))
			}
			seen[c.Key] = true
			v, err := valueText(c)
			if err != nil {
				return nil, err
			}
			writeLine(&buf, c.Key, v)
		}
	}
	if f.Meta != nil {
		items, err := formats.Flatten(f.Meta, metaPrefix)
		if err != nil {
			return nil, unsupported(err.Error())
		}
		for _, it := range items {
			if err := checkKey(it.Key); err != nil {
				return nil, err
			}
			writeLine(&buf, it.Key, it.Value)
		}
	}
	return buf.Bytes(), nil
}

func writeLine(buf *bytes.Buffer, key, value string) {
	buf.WriteString(key)
	buf.WriteByte('=')
	buf.WriteString(strings.ReplaceAll(value, "\n", `\n`))
	buf.WriteByte('\n')
}

func checkKey(k string) error {
	switch {
	case strings.ContainsAny(k, "=\n"):
		return unsupported("cannot write key " + strconv.Quote(k) + " in a dotenv file: it holds '=' or a newline")
	case strings.HasPrefix(k, "#"):
		return unsupported("cannot write key " + strconv.Quote(k) + " in a dotenv file: it starts with '#'")
	}
	return nil
}

// valueText is the text of a scalar as written in a dotenv file.
func valueText(n *formats.Node) (string, error) {
	if n.Kind != formats.Scalar {
		return "", unsupported("cannot use complex value in dotenv file; offending key " + strconv.Quote(n.Key))
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

// EmitValue refuses every value: like sops, a dotenv file can only give a
// single string, which the caller writes itself.
func (format) EmitValue(n *formats.Node, _ formats.EmitOptions) ([]byte, error) {
	kind := n.Kind.String()
	if n.Kind == formats.Scalar {
		kind = n.Type.String()
	}
	return nil, unsupported("the dotenv format can only write string values, not a " + kind)
}
