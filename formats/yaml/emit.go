package yaml

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/hullsecrets/hull/formats"
)

// This file is the reference emitter: it builds yaml.v3 nodes from the tree
// exactly as sops 3.13 does (stores/yaml/store.go appendTreeBranch,
// appendSequence, treeValueToNode) and lets yaml.v3 encode them. The direct
// emitter in direct.go must produce the same bytes.

func indentOf(opts formats.EmitOptions) int {
	if opts.IndentSet && opts.Indent > 0 {
		return opts.Indent
	}
	return 4
}

// docItems returns the items of document i with the metadata appended.
func docItems(f *formats.File, d *formats.Node) []*formats.Node {
	if f.Meta == nil {
		return d.Children
	}
	items := make([]*formats.Node, 0, len(d.Children)+1)
	items = append(items, d.Children...)
	meta := *f.Meta
	meta.Key = "sops"
	return append(items, &meta)
}

func emitV3(f *formats.File, opts formats.EmitOptions) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &formats.UnsupportedError{Format: name, Msg: "cannot encode value"}
		}
	}()
	if len(f.Docs) == 0 {
		return []byte{}, nil
	}
	var b bytes.Buffer
	enc := yamlv3.NewEncoder(&b)
	enc.SetIndent(indentOf(opts))
	for _, d := range f.Docs {
		if d == nil || d.Kind != formats.Mapping {
			return nil, &formats.UnsupportedError{Format: name, Msg: "a document must be a mapping"}
		}
		mapping := &yamlv3.Node{Kind: yamlv3.MappingNode}
		if err := v3Branch(docItems(f, d), mapping, f.Meta == nil); err != nil {
			return nil, err
		}
		doc := &yamlv3.Node{Kind: yamlv3.DocumentNode, Content: []*yamlv3.Node{mapping}}
		if err := enc.Encode(doc); err != nil {
			return nil, &formats.UnsupportedError{Format: name, Msg: "cannot encode document"}
		}
	}
	if err := enc.Close(); err != nil {
		return nil, &formats.UnsupportedError{Format: name, Msg: "cannot encode document"}
	}
	return b.Bytes(), nil
}

func joinComments(c []string) string { return "#" + strings.Join(c, "\n#") }

func addHead(n *yamlv3.Node, c []string) {
	if len(c) == 0 {
		return
	}
	if n.HeadComment != "" {
		n.HeadComment = joinComments(c) + "\n" + n.HeadComment
	} else {
		n.HeadComment = joinComments(c)
	}
}

func addFoot(n *yamlv3.Node, c []string) {
	if len(c) == 0 {
		return
	}
	if n.FootComment != "" {
		n.FootComment += "\n" + joinComments(c)
	} else {
		n.FootComment = joinComments(c)
	}
}

func addLine(n *yamlv3.Node, c []string) {
	if len(c) == 0 {
		return
	}
	if n.LineComment != "" {
		n.LineComment += "\n" + joinComments(c)
	} else {
		n.LineComment = joinComments(c)
	}
}

func v3Branch(items []*formats.Node, mapping *yamlv3.Node, plain bool) error {
	var head, inline []string
	beginning := true
	for _, it := range items {
		if it.Kind == formats.Comment {
			if it.Inline {
				inline = append(inline, it.Value)
			} else {
				head = append(head, it.Value)
			}
			continue
		}
		if beginning {
			addHead(mapping, head)
			head = nil
			beginning = false
		}
		key := &yamlv3.Node{}
		if err := key.Encode(it.Key); err != nil {
			return &formats.UnsupportedError{Format: name, Msg: "cannot encode key"}
		}
		addHead(key, head)
		head = nil
		val, err := v3Value(it, plain)
		if err != nil {
			return err
		}
		addLine(val, inline)
		inline = nil
		mapping.Content = append(mapping.Content, key, val)
	}
	head = append(head, inline...)
	if len(head) > 0 {
		if beginning {
			addHead(mapping, head)
		} else {
			addFoot(mapping.Content[len(mapping.Content)-2], head)
		}
	}
	return nil
}

func v3Sequence(items []*formats.Node, seq *yamlv3.Node, plain bool) error {
	var head, inline []string
	beginning := true
	for _, it := range items {
		if it.Kind == formats.Comment {
			if it.Inline {
				inline = append(inline, it.Value)
			} else {
				head = append(head, it.Value)
			}
			continue
		}
		if beginning {
			addHead(seq, head)
			head = nil
			beginning = false
		}
		val, err := v3Value(it, plain)
		if err != nil {
			return err
		}
		switch {
		case it.Kind == formats.Scalar && it.Type == formats.String && seqLiteralBroken(it.Value):
			val = dqString(it.Value)
		case it.Kind == formats.Mapping:
			// Its first key is written after the "-": the same for the
			// keys and values of that mapping.
			i := 0
			for _, c := range it.Children {
				if c.Kind == formats.Comment {
					continue
				}
				if seqLiteralBroken(c.Key) {
					val.Content[i] = dqComments(c.Key, val.Content[i])
				}
				if c.Kind == formats.Scalar && c.Type == formats.String && seqLiteralBroken(c.Value) {
					val.Content[i+1] = dqComments(c.Value, val.Content[i+1])
				}
				i += 2
			}
		}
		addHead(val, head)
		head = nil
		addLine(val, inline)
		inline = nil
		seq.Content = append(seq.Content, val)
	}
	head = append(head, inline...)
	if len(head) > 0 {
		if beginning {
			addHead(seq, head)
		} else {
			addFoot(seq.Content[len(seq.Content)-1], head)
		}
	}
	return nil
}

// v3Value builds the node of n. plain says the output is a plaintext file
// (no sops metadata), where numbers are written as sops writes them
// (floatText).
func v3Value(n *formats.Node, plain bool) (*yamlv3.Node, error) {
	switch n.Kind {
	case formats.Mapping:
		m := &yamlv3.Node{Kind: yamlv3.MappingNode}
		return m, v3Branch(n.Children, m, plain)
	case formats.Sequence:
		s := &yamlv3.Node{Kind: yamlv3.SequenceNode}
		return s, v3Sequence(n.Children, s, plain)
	case formats.Scalar:
		return v3Scalar(n, plain)
	}
	return nil, &formats.UnsupportedError{Format: name, Msg: "unknown node kind " + n.Kind.String()}
}

func v3Scalar(n *formats.Node, plain bool) (*yamlv3.Node, error) {
	if n.Type == formats.String {
		s := &yamlv3.Node{}
		if err := s.Encode(n.Value); err != nil {
			// yaml.v3 refuses some multi-line strings ("\tx\ny": a
			// literal block cannot start with a tab), and sops then
			// writes null, losing the value. hull double-quotes them.
			return dqString(n.Value), nil
		}
		if literalBroken(n.Value) || s.Tag != tagBinary && s.Value != n.Value {
			s = &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: tagStr, Style: yamlv3.DoubleQuotedStyle, Value: n.Value}
		}
		return s, nil
	}
	tag, style, v, err := typedScalar(n, plain)
	if err != nil {
		return nil, err
	}
	return &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: tag, Style: style, Value: v}, nil
}

// typedScalar returns the tag, style and text of the node sops builds for
// a scalar that is not a String.
func typedScalar(n *formats.Node, plain bool) (tag string, style yamlv3.Style, value string, err error) {
	switch n.Type {
	case formats.Null:
		return tagNull, 0, "null", nil
	case formats.Bool:
		v, err := boolText(n.Value)
		if err != nil {
			return "", 0, "", err
		}
		return tagBool, 0, v, nil
	case formats.Int:
		if _, err := strconv.ParseInt(n.Value, 10, 64); err != nil {
			return "", 0, "", &formats.UnsupportedError{Format: name, Msg: "invalid int value"}
		}
		return tagInt, 0, n.Value, nil
	case formats.Float:
		v, tagged, err := floatText(n.Value, plain)
		if err != nil {
			return "", 0, "", err
		}
		if tagged {
			return tagFloat, yamlv3.TaggedStyle, v, nil
		}
		// An integer too large for int64 stays a Float when read back;
		// write it without a tag.
		return resolvePlain(v), 0, v, nil
	case formats.Time:
		v, err := timeText(n.Value)
		if err != nil {
			return "", 0, "", err
		}
		return tagTimestamp, 0, v, nil
	}
	return "", 0, "", &formats.UnsupportedError{Format: name, Msg: "unknown scalar type " + n.Type.String()}
}

// literalBroken reports strings that yaml.v3 writes as a literal block it
// cannot read back: a value made only of line breaks loses them ("\n" is
// written as ""). sops loses such values; hull double-quotes them.
func literalBroken(s string) bool {
	return s != "" && strings.Trim(s, "\n") == ""
}

// seqLiteralBroken reports multi-line strings that yaml.v3 writes as a
// literal block with an indentation indicator (they start with a space or
// a line break). As a list element, or as a key or value of a mapping that
// is a list element (its first key follows the "-"), the indicator counts
// from one column and the text is written at another, and the file does
// not parse ("- |4-\n\n      x", "- a: 1\n  m: |4-\n\n    x"). sops
// writes them so; hull double-quotes them there.
func seqLiteralBroken(s string) bool {
	return s != "" && (s[0] == ' ' || s[0] == '\n') && strings.IndexByte(s, '\n') >= 0
}

func dqString(s string) *yamlv3.Node {
	return &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: tagStr, Style: yamlv3.DoubleQuotedStyle, Value: s}
}

// dqComments is dqString with the comments of the node it replaces.
func dqComments(s string, old *yamlv3.Node) *yamlv3.Node {
	n := dqString(s)
	n.HeadComment, n.LineComment, n.FootComment = old.HeadComment, old.LineComment, old.FootComment
	return n
}

func boolText(v string) (string, error) {
	switch v {
	case "True":
		return "true", nil
	case "False":
		return "false", nil
	}
	return "", &formats.UnsupportedError{Format: name, Msg: "invalid bool value"}
}

// floatText returns how a Float value is written.
//
// In a plaintext file (plain), as sops writes it: sops decodes every float
// into a float64 and yaml.v3 writes that in Go's shortest 'g' format,
// untagged (1.0 as 1, 1e3 as 1000, 1.5e300 as 1.5e+300, an integer beyond
// int64 as 1.2345678901234568e+29).
//
// In an encrypted file, where a value left in clear must read back with
// its type (the extended MAC covers types): as is when it reads back as the
// same YAML number, else in yaml.v3's format for float64. tagged is set
// when the literal would read back as an int64, so it needs an explicit
// !!float tag to stay a float.
func floatText(v string, plain bool) (text string, tagged bool, err error) {
	if plain {
		f, perr := strconv.ParseFloat(v, 64)
		if perr != nil && !errors.Is(perr, strconv.ErrRange) {
			return "", false, &formats.UnsupportedError{Format: name, Msg: "invalid float value"}
		}
		switch {
		case math.IsInf(f, 1):
			return ".inf", false, nil
		case math.IsInf(f, -1):
			return "-.inf", false, nil
		case math.IsNaN(f):
			return ".nan", false, nil
		}
		return strconv.FormatFloat(f, 'g', -1, 64), false, nil
	}
	switch v {
	case "+Inf", "Inf":
		return ".inf", false, nil
	case "-Inf":
		return "-.inf", false, nil
	case "NaN":
		return ".nan", false, nil
	}
	switch resolvePlain(v) {
	case tagFloat:
		return v, false, nil
	case tagInt:
		if _, fits, _ := parseInt(v); fits {
			return v, true, nil
		}
		return v, false, nil
	}
	f, perr := strconv.ParseFloat(v, 64)
	if perr != nil {
		return "", false, &formats.UnsupportedError{Format: name, Msg: "invalid float value"}
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	switch s {
	case "+Inf":
		s = ".inf"
	case "-Inf":
		s = "-.inf"
	case "NaN":
		s = ".nan"
	}
	if resolvePlain(s) == tagInt {
		if _, fits, _ := parseInt(s); fits {
			return s, true, nil
		}
	}
	return s, false, nil
}

func timeText(v string) (string, error) {
	var t time.Time
	if err := t.UnmarshalText([]byte(v)); err != nil {
		return "", &formats.UnsupportedError{Format: name, Msg: "invalid time value"}
	}
	return t.Format(time.RFC3339Nano), nil
}

// EmitValue writes a single value as sops' EmitValue does (yaml.Marshal of
// the node, default indentation).
func (yamlFormat) EmitValue(n *formats.Node, opts formats.EmitOptions) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &formats.UnsupportedError{Format: name, Msg: "cannot encode value"}
		}
	}()
	if n == nil {
		return nil, &formats.UnsupportedError{Format: name, Msg: "no value"}
	}
	v, err := v3Value(n, true)
	if err != nil {
		return nil, err
	}
	out, err = yamlv3.Marshal(v)
	if err != nil {
		return nil, &formats.UnsupportedError{Format: name, Msg: "cannot encode value"}
	}
	return out, nil
}
