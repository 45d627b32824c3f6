package yaml

import (
	"bytes"
	"errors"
	"strings"

	"github.com/hullsecrets/hull/formats"
)

// The direct emitter writes the common shapes of a file (block mappings and
// sequences, plain, double-quoted and literal scalars made of printable
// ASCII, no comments) straight into a buffer, byte-identical to the yaml.v3
// path in emit.go. For anything it cannot decide it gives up and the whole
// file goes through yaml.v3. TestDirectMatchesV3 and FuzzDirect check that
// the two agree.
//
// Why, measured on the shared 2-core machine with the 10 MB, 500k-value file
// of bench_test.go: the yaml.v3 path (BenchmarkEmitV3) takes 21.3 s and
// allocates 13.6 GB, because sops' recipe runs every scalar through
// yaml.Node.Encode, which encodes and re-parses it; the direct emitter
// (BenchmarkEmit) takes 0.10 s and 67 MB. Parsing the same file
// (BenchmarkParse, yaml.v3's parser) takes 0.84 s, so no parser of our own.

var errFallback = errors.New("yaml: direct emitter cannot decide")

type direct struct {
	b bytes.Buffer
	w int // indentation width
}

func emitDirect(f *formats.File, opts formats.EmitOptions) ([]byte, error) {
	d := &direct{w: indentOf(opts)}
	if d.w < 2 || d.w > 9 {
		// yaml.v3 silently replaces such widths with 2; leave it to it.
		return nil, errFallback
	}
	if f.LeadingDocMarker && len(f.Docs) > 0 {
		d.b.WriteString("---\n")
	}
	for i, doc := range f.Docs {
		if doc == nil || doc.Kind != formats.Mapping {
			return nil, errFallback
		}
		if i > 0 {
			d.b.WriteString("---\n")
		}
		items := docItems(f, doc)
		if len(items) == 0 {
			return nil, errFallback
		}
		if err := d.mapping(items, 0, false); err != nil {
			return nil, err
		}
	}
	return d.b.Bytes(), nil
}

// next is yaml.v3's indentation step outside sequence items.
func (d *direct) next(indent int) int { return d.w * ((indent + d.w) / d.w) }

func (d *direct) pad(n int) {
	for ; n > 0; n-- {
		d.b.WriteByte(' ')
	}
}

// mapping writes a block mapping whose keys are at column indent. When
// inline is set, the first key continues the current line (after "- ").
func (d *direct) mapping(items []*formats.Node, indent int, inline bool) error {
	for i, it := range items {
		if it.Kind == formats.Comment {
			return errFallback
		}
		if i > 0 || !inline {
			d.pad(indent)
		}
		if err := d.key(it.Key); err != nil {
			return err
		}
		switch it.Kind {
		case formats.Mapping:
			if len(it.Children) == 0 {
				return errFallback
			}
			d.b.WriteString(":\n")
			if err := d.mapping(it.Children, d.next(indent), false); err != nil {
				return err
			}
		case formats.Sequence:
			if len(it.Children) == 0 {
				return errFallback
			}
			d.b.WriteString(":\n")
			if err := d.sequence(it.Children, d.next(indent), false); err != nil {
				return err
			}
		case formats.Scalar:
			d.b.WriteString(": ")
			if err := d.scalar(it, d.next(indent)); err != nil {
				return err
			}
		default:
			return errFallback
		}
	}
	return nil
}

// sequence writes a block sequence whose dashes are at column indent.
func (d *direct) sequence(items []*formats.Node, indent int, inline bool) error {
	for i, it := range items {
		if i > 0 || !inline {
			d.pad(indent)
		}
		d.b.WriteString("- ")
		switch it.Kind {
		case formats.Mapping:
			if len(it.Children) == 0 {
				return errFallback
			}
			if err := d.mapping(it.Children, indent+2, true); err != nil {
				return err
			}
		case formats.Sequence:
			if len(it.Children) == 0 {
				return errFallback
			}
			if err := d.sequence(it.Children, indent+2, true); err != nil {
				return err
			}
		case formats.Scalar:
			if err := d.scalar(it, indent+2); err != nil {
				return err
			}
		default:
			return errFallback
		}
	}
	return nil
}

func (d *direct) key(k string) error {
	if len(k) > 128 || strings.IndexByte(k, '\n') >= 0 {
		return errFallback
	}
	switch stringStyle(k) {
	case stylePlain:
		d.b.WriteString(k)
	case styleDouble:
		d.b.WriteByte('"')
		d.b.WriteString(k)
		d.b.WriteByte('"')
	default:
		return errFallback
	}
	return nil
}

// scalar writes a scalar and its line break; blockIndent is where the
// lines of a literal block go.
func (d *direct) scalar(n *formats.Node, blockIndent int) error {
	switch n.Type {
	case formats.String:
		switch stringStyle(n.Value) {
		case stylePlain:
			d.b.WriteString(n.Value)
		case styleDouble:
			d.b.WriteByte('"')
			d.b.WriteString(n.Value)
			d.b.WriteByte('"')
		case styleLiteral:
			d.literal(n.Value, blockIndent)
			return nil
		default:
			return errFallback
		}
	case formats.Int:
		if _, fits, ok := parseInt(n.Value); !ok || !fits || resolvePlain(n.Value) != tagInt {
			return errFallback
		}
		d.b.WriteString(n.Value)
	case formats.Float:
		v, tagged, err := floatText(n.Value)
		if err != nil || tagged {
			return errFallback
		}
		d.b.WriteString(v)
	case formats.Bool:
		v, err := boolText(n.Value)
		if err != nil {
			return errFallback
		}
		d.b.WriteString(v)
	case formats.Null:
		d.b.WriteString("null")
	case formats.Time:
		v, err := timeText(n.Value)
		if err != nil {
			return errFallback
		}
		d.b.WriteString(v)
	default:
		return errFallback
	}
	d.b.WriteByte('\n')
	return nil
}

func (d *direct) literal(s string, indent int) {
	if strings.HasSuffix(s, "\n") {
		d.b.WriteString("|\n")
		s = s[:len(s)-1]
	} else {
		d.b.WriteString("|-\n")
	}
	for _, line := range strings.Split(s, "\n") {
		if line != "" {
			d.pad(indent)
			d.b.WriteString(line)
		}
		d.b.WriteByte('\n')
	}
}

type style uint8

const (
	styleUnknown style = iota
	stylePlain
	styleDouble
	styleLiteral
)

// stringStyle decides how yaml.v3 writes a string, for the cases where it
// is certain; styleUnknown means "ask yaml.v3".
func stringStyle(s string) style {
	if strings.IndexByte(s, '\n') >= 0 {
		if literalSafe(s) {
			return styleLiteral
		}
		return styleUnknown
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return styleUnknown
		}
	}
	if s == "<<" {
		// yaml.v3 reads a plain "<<" back as a merge key and tags it.
		return styleUnknown
	}
	if resolvePlain(s) != tagStr || isOldBool(s) || isBase60Float(s) {
		// yaml.v3 double-quotes strings that would read back as another
		// type; only '"', '\\' and non-printable characters are escaped.
		return styleDouble
	}
	if plainSafe(s) {
		return stylePlain
	}
	return styleUnknown
}

// plainSafe reports printable-ASCII strings that the yaml.v3 emitter
// writes plain in block context: no leading indicator, no leading or
// trailing space, no ": ", " #" or trailing ':'.
func plainSafe(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ' ', '.':
		return false
	}
	last := s[len(s)-1]
	if last == ' ' || last == ':' {
		return false
	}
	return !strings.Contains(s, ": ") && !strings.Contains(s, " #")
}

// literalSafe reports multi-line strings that yaml.v3 writes as a literal
// block with no indentation indicator: printable ASCII lines without
// trailing spaces, not starting with a space or a line break, and ending in
// at most one line break.
func literalSafe(s string) bool {
	if s == "" || s[0] == ' ' || s[0] == '\n' || strings.HasSuffix(s, "\n\n") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' {
			if i > 0 && s[i-1] == ' ' {
				return false
			}
			continue
		}
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return s[len(s)-1] != ' '
}
