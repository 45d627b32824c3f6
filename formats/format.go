package formats

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Format is one file format: it turns bytes into a File and back.
type Format interface {
	// Name is the name used by --input-type and --output-type.
	Name() string
	// Extensions are the file name suffixes that select this format,
	// with the dot (".yaml").
	Extensions() []string
	// Parse reads a file. With opts.Encrypted the input is expected to be
	// an encrypted file (only the binary format reads the two differently).
	// The metadata block, if any, is returned in File.Meta and removed from
	// the documents.
	Parse(data []byte, opts ParseOptions) (*File, error)
	// Emit writes a file. When f.Meta is non-nil it is written as the
	// metadata block.
	Emit(f *File, opts EmitOptions) ([]byte, error)
	// EmitValue writes a single value for "decrypt --extract" when the value
	// is not a mapping. A String scalar is never passed here (the caller
	// writes its raw bytes).
	EmitValue(n *Node, opts EmitOptions) ([]byte, error)
}

// ParseOptions tune parsing.
type ParseOptions struct {
	// Encrypted says the input is an encrypted file.
	Encrypted bool
	// Limits bound the work a hostile input can cause. The zero value means
	// DefaultLimits.
	Limits Limits
	// Borrow lets the File share memory with the input instead of
	// copying it: the caller promises that the input's bytes are never
	// modified afterwards (not reused, not wiped), since the File's keys
	// and values, and any string taken from them, may point into them.
	// It saves a copy of the whole input, which is what a large file's
	// peak memory is made of. Formats may ignore it.
	Borrow bool
}

// EmitOptions tune output.
type EmitOptions struct {
	// Indent is the indentation width, used only when IndentSet is true;
	// otherwise the format's default applies (YAML 4 spaces, JSON a tab).
	// As in sops: YAML treats 0 as the default; JSON takes -1 for a tab and
	// 0 for no indentation (newlines kept). Negative YAML values and JSON
	// values below -1 are rejected by the caller.
	Indent    int
	IndentSet bool
}

// Limits bound parsing. A zero field means the default.
type Limits struct {
	// MaxBytes is the largest input accepted.
	MaxBytes int64
	// MaxDepth is the deepest nesting of mappings and sequences.
	MaxDepth int
	// MaxNodes is the largest number of nodes, counted after YAML alias
	// expansion, across all documents.
	MaxNodes int
}

// DefaultLimits are generous for configuration files and small for attacks.
var DefaultLimits = Limits{
	MaxBytes: 256 << 20,
	MaxDepth: 1000,
	MaxNodes: 20_000_000,
}

// WithDefaults fills zero fields from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = DefaultLimits.MaxNodes
	}
	return l
}

// ErrLimit is wrapped by every error caused by exceeding a Limit.
var ErrLimit = errors.New("input limit exceeded")

// LimitError reports which limit an input exceeded.
type LimitError struct {
	Format string
	What   string // "size", "depth", "nodes", "alias expansion"
	Limit  int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: input exceeds the %s limit (%d)", e.Format, e.What, e.Limit)
}

// Unwrap makes errors.Is(err, ErrLimit) true.
func (e *LimitError) Unwrap() error { return ErrLimit }

// ErrSyntax is wrapped by every error about malformed input.
var ErrSyntax = errors.New("malformed input")

// SyntaxError is a parse failure. Msg never contains file content: it names
// the line and what is wrong ("duplicate key \"a\"" names a key, which is
// not secret; values are never quoted).
type SyntaxError struct {
	Format string
	Line   int // 0 when unknown
	Msg    string
}

func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: line %d: %s", e.Format, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Format, e.Msg)
}

// Unwrap makes errors.Is(err, ErrSyntax) true.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// ErrUnsupported is wrapped when a tree cannot be written in a format (a
// nested value in a dotenv file, a top-level scalar in INI, …).
var ErrUnsupported = errors.New("value not supported by the output format")

// UnsupportedError reports a tree the format cannot hold.
type UnsupportedError struct {
	Format string
	Msg    string
}

func (e *UnsupportedError) Error() string { return e.Format + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrUnsupported) true.
func (e *UnsupportedError) Unwrap() error { return ErrUnsupported }

// Registry maps format names and extensions to formats. Build one with
// NewRegistry and Register; formats/all has the table of every format.
type Registry struct {
	byName map[string]Format
	order  []string
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byName: map[string]Format{}} }

// Register adds f. It panics on a duplicate name, which is a programming
// error in the registry table.
func (r *Registry) Register(f Format) {
	if _, dup := r.byName[f.Name()]; dup {
		panic("formats: duplicate format " + f.Name())
	}
	r.byName[f.Name()] = f
	r.order = append(r.order, f.Name())
}

// Names lists the registered names, sorted.
func (r *Registry) Names() []string {
	n := append([]string(nil), r.order...)
	sort.Strings(n)
	return n
}

// ErrUnknownFormat is wrapped when a format name is not registered.
var ErrUnknownFormat = errors.New("unknown format")

// ByName returns the format with that name, or an error that lists the
// valid names. There is no fallback.
func (r *Registry) ByName(name string) (Format, error) {
	if f, ok := r.byName[name]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("%w %q: valid names are %s", ErrUnknownFormat, name, strings.Join(r.Names(), ", "))
}

// ForPath picks a format by file name suffix (case-sensitive, as sops
// does). A name with no known suffix selects the binary format, which is
// what sops does and what users of sops rely on ("secret.txt"). ok is false
// when the fallback was used.
func (r *Registry) ForPath(path string, fallback string) (f Format, ok bool) {
	for _, name := range r.order {
		for _, ext := range r.byName[name].Extensions() {
			if strings.HasSuffix(path, ext) {
				return r.byName[name], true
			}
		}
	}
	return r.byName[fallback], false
}
