package hull

import (
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/metadata"
)

// macOnlyEncryptedInit is SHA-256("sops"), fed to the MAC first when only
// encrypted values are authenticated (FORMAT.md §2.1).
var macOnlyEncryptedInit = []byte{
	0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
	0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
}

// selector decides which leaves are encrypted (FORMAT.md §3).
type selector struct {
	kind   string
	suffix string
	re     *regexp.Regexp
}

func newSelector(r metadata.Rule) (*selector, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	s := &selector{kind: r.Kind}
	switch r.Kind {
	case metadata.UnencryptedSuffix, metadata.EncryptedSuffix:
		s.suffix = r.Value
	case "":
	default:
		s.re = regexp.MustCompile(r.Value) // validated above
	}
	return s, nil
}

// encrypt reports whether the leaf at path, under the given comments, is
// encrypted. isComment says the leaf is itself a comment (the last entry of
// the innermost comment level).
func (s *selector) encrypt(path []string, comments [][]string, isComment bool) bool {
	switch s.kind {
	case metadata.UnencryptedSuffix:
		for _, p := range path {
			if strings.HasSuffix(p, s.suffix) {
				return false
			}
		}
		return true
	case metadata.EncryptedSuffix:
		for _, p := range path {
			if strings.HasSuffix(p, s.suffix) {
				return true
			}
		}
		return false
	case metadata.UnencryptedRegex:
		for _, p := range path {
			if s.re.MatchString(p) {
				return false
			}
		}
		return true
	case metadata.EncryptedRegex:
		for _, p := range path {
			if s.re.MatchString(p) {
				return true
			}
		}
		return false
	case metadata.UnencryptedCommentRegex:
		for _, level := range comments {
			for _, c := range level {
				if s.re.MatchString(c) {
					return false
				}
			}
		}
		return true
	case metadata.EncryptedCommentRegex:
		for i, level := range comments {
			for j, c := range level {
				// The comment line that matches is itself left in clear.
				if isComment && i == len(comments)-1 && j == len(level)-1 {
					continue
				}
				if s.re.MatchString(c) {
					return true
				}
			}
		}
		return false
	}
	return true
}

// walker runs one encryption or decryption over the documents of a file,
// computing the sops MAC as it goes.
type walker struct {
	c        *valueCipher
	sel      *selector
	macOnly  bool
	mac      hash.Hash
	stash    *Stash
	decrypt  bool
	compat   bool
	doc      int
	encCount int
	// values counts the non-empty values seen on encryption, encValues the
	// ones encrypted: a write that would encrypt none is refused.
	values, encValues int
	warnings          []string
	// path holds the mapping keys from the root (the AAD); disp holds the
	// display path with list indexes.
	path []string
	disp []dispStep
	// aadBuf is reused by aadBytes, hashBuf by hashValue, envBuf by the
	// envelopes of scalar (parseEnvelopeBuf).
	aadBuf, hashBuf, ptBuf, envBuf []byte
}

// dispStep is one step of the display path: a mapping key or a list index.
// The display path is only formatted for a message (dispPath): formatting
// every step as it was walked cost an allocation per value.
type dispStep struct {
	key   string
	idx   int
	isKey bool
}

// dispPath is the display path, as ["key"][0]….
func (w *walker) dispPath() string {
	var b strings.Builder
	for _, d := range w.disp {
		b.WriteByte('[')
		if d.isKey {
			b.WriteString(strconv.Quote(d.key))
		} else {
			b.WriteString(strconv.Itoa(d.idx))
		}
		b.WriteByte(']')
	}
	return b.String()
}

func newWalker(c *valueCipher, sel *selector, macOnly bool, stash *Stash) *walker {
	w := &walker{c: c, sel: sel, macOnly: macOnly, mac: sha512.New(), stash: stash}
	if macOnly {
		w.mac.Write(macOnlyEncryptedInit)
	}
	return w
}

func (w *walker) macHex() string { return fmt.Sprintf("%X", w.mac.Sum(nil)) }

func (w *walker) where(err error) error {
	var pe *PathError
	if errors.As(err, &pe) {
		return err
	}
	return &PathError{Doc: w.doc, Path: w.dispPath(), Err: err}
}

func (w *walker) aad() string {
	n := len(w.path)
	for _, p := range w.path {
		n += len(p)
	}
	var b strings.Builder
	b.Grow(n)
	for _, p := range w.path {
		b.WriteString(p)
		b.WriteByte(':')
	}
	if len(w.path) == 0 {
		return ":"
	}
	return b.String()
}

// aadBytes is aad in a buffer of the walker, valid until the next call.
func (w *walker) aadBytes() []byte {
	if len(w.path) == 0 {
		return append(w.aadBuf[:0], ':')
	}
	b := w.aadBuf[:0]
	for _, p := range w.path {
		b = append(b, p...)
		b = append(b, ':')
	}
	w.aadBuf = b
	return b
}

func (w *walker) walkDocs(docs []*formats.Node) error {
	for i, d := range docs {
		w.doc = i
		w.path, w.disp = w.path[:0], w.disp[:0]
		if d.Kind != formats.Mapping {
			return w.where(fmt.Errorf("document is a %s, not a mapping", d.Kind))
		}
		// Room for the comment levels of nested containers: each appends
		// its level in place, where a nil slice allocated one per
		// container (no level outlives its walkContainer call).
		if err := w.walkContainer(d, make([][]string, 0, 32)); err != nil {
			return err
		}
	}
	return nil
}

// walkContainer walks the children of a mapping or sequence with a new
// comment level.
func (w *walker) walkContainer(n *formats.Node, comments [][]string) error {
	comments = append(comments, nil)
	top := len(comments) - 1
	for i, c := range n.Children {
		if c.Kind == formats.Comment {
			comments[top] = append(comments[top], c.Value)
			if err := w.comment(n, i, c, comments); err != nil {
				return err
			}
			continue
		}
		if n.Kind == formats.Mapping {
			w.path = append(w.path, c.Key)
			w.disp = append(w.disp, dispStep{key: c.Key, isKey: true})
		} else {
			w.disp = append(w.disp, dispStep{idx: i})
		}
		var err error
		switch c.Kind {
		case formats.Mapping, formats.Sequence:
			err = w.walkContainer(c, comments)
		case formats.Scalar:
			err = w.scalar(n, i, c, comments)
		default:
			err = w.where(fmt.Errorf("unexpected %s node", c.Kind))
		}
		if err != nil {
			return err
		}
		if n.Kind == formats.Mapping {
			w.path = w.path[:len(w.path)-1]
		}
		w.disp = w.disp[:len(w.disp)-1]
		comments[top] = nil
	}
	return nil
}

// comment handles a comment child of parent.
func (w *walker) comment(parent *formats.Node, i int, c *formats.Node, comments [][]string) error {
	enc := w.sel.encrypt(w.path, comments, true)
	if !enc || c.Value == "" {
		return nil
	}
	aad := w.aad()
	if !w.decrypt {
		out, err := w.seal([]byte(c.Value), aad, "comment")
		if err != nil {
			return err
		}
		if w.sel.kind == metadata.UnencryptedCommentRegex && w.sel.re.MatchString(out) {
			// The written comment would read back as one that leaves
			// the values below it in clear, and the file would fail its
			// MAC: sops refuses too (exit 23), with this sentence. The
			// ciphertext it quotes is left out.
			return w.where(fmt.Errorf("%w: encrypted comment matches UnencryptedCommentRegex! Make sure that UnencryptedCommentRegex cannot match an encrypted comment", ErrEncrypt))
		}
		if parent.Kind == formats.Sequence {
			// sops writes a comment inside a list as an encrypted list
			// element (FORMAT.md §5.2).
			parent.Children[i] = &formats.Node{Kind: formats.Scalar, Type: formats.String, Value: out, Line: c.Line}
		} else {
			c.Value = out
		}
		return nil
	}
	if !looksEncrypted(c.Value) {
		// A clear comment where the rule expects an encrypted one: older
		// sops versions wrote comments in clear. Kept, with a warning that
		// does not repeat the comment.
		w.warnings = append(w.warnings, fmt.Sprintf("%s: comment is not encrypted (written by an old sops, or added by hand)", w.location()))
		return nil
	}
	e, err := parseEnvelope(c.Value)
	if err != nil {
		return w.where(err)
	}
	pt, err := w.c.open(e, aad)
	if err != nil {
		// sops encrypts a comment with the path of the mapping its tree
		// holds it in, and in a few positions the file it writes puts the
		// comment in another block (a comment that closes a nested block
		// reads back in the innermost one). sops then keeps the comment
		// as it is, with a warning; so does hull. Comments are not values:
		// the sops MAC never covers them, and hull's extended MAC covers
		// the text kept, so a file hull wrote still detects a change.
		w.warnings = append(w.warnings, fmt.Sprintf("%s: an encrypted comment does not decrypt at this position (sops writes a comment that closes a nested block where it reads back in another block); kept as it is", w.location()))
		return nil
	}
	if e.typ != "comment" {
		return w.where(nonCanonical("a comment holds a value of type " + e.typ))
	}
	w.stash.record(aad, e.typ, pt, c.Value)
	c.Value = string(pt)
	return nil
}

func (w *walker) location() string {
	p := w.dispPath()
	if p == "" {
		p = "top level"
	}
	if w.doc > 0 {
		return fmt.Sprintf("document %d, %s", w.doc+1, p)
	}
	return p
}

func (w *walker) seal(pt []byte, aad, typ string) (string, error) {
	return w.sealAAD(pt, []byte(aad), typ)
}

// sealAAD is seal with the AAD as bytes (aadBytes).
func (w *walker) sealAAD(pt, aad []byte, typ string) (string, error) {
	w.encCount++
	if w.stash != nil {
		if enc, ok := w.stash.take(string(aad), typ, pt); ok {
			return enc, nil
		}
	}
	out, err := w.c.sealAAD(pt, aad, typ)
	if err != nil {
		return "", w.where(fmt.Errorf("%w: %v", ErrEncrypt, err))
	}
	return out, nil
}

func (w *walker) hashValue(n *formats.Node) {
	switch n.Type {
	case formats.Null:
	case formats.Float:
		w.hashBuf = append(w.hashBuf[:0], macFloat(n.Value)...)
		w.mac.Write(w.hashBuf)
	default:
		// Through a reused buffer: converting the string for the hash
		// interface allocated a copy per value.
		w.hashBuf = append(w.hashBuf[:0], n.Value...)
		w.mac.Write(w.hashBuf)
	}
}

// macFloat returns the bytes sops hashes for a float: its shortest decimal
// form without exponent (sops parses the value and formats it again).
func macFloat(v string) string {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return v
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// scalar handles the scalar child c of parent.
func (w *walker) scalar(parent *formats.Node, i int, c *formats.Node, comments [][]string) error {
	if c.Type == formats.Null {
		return nil // neither encrypted nor authenticated, as in sops
	}
	enc := w.sel.encrypt(w.path, comments, false)
	if !w.decrypt {
		if !w.macOnly || enc {
			w.hashValue(c)
		}
		if c.Type == formats.String && c.Value == "" {
			return nil
		}
		w.values++
		if !enc {
			return nil
		}
		w.encValues++
		w.ptBuf = append(w.ptBuf[:0], c.Value...)
		out, err := w.sealAAD(w.ptBuf, w.aadBytes(), typeTag(c.Type))
		if err != nil {
			return err
		}
		c.Type, c.Value = formats.String, out
		return nil
	}
	if !enc {
		if !w.macOnly {
			w.hashValue(c)
		}
		return nil
	}
	if c.Type != formats.String {
		return w.where(fmt.Errorf("%w: expected an encrypted value, found a %s", ErrDecrypt, c.Type))
	}
	if c.Value == "" {
		return nil // empty strings are never encrypted
	}
	if !looksEncrypted(c.Value) {
		return w.where(fmt.Errorf("%w: expected an encrypted value, found plain text", ErrDecrypt))
	}
	e, buf, err := parseEnvelopeBuf(c.Value, w.envBuf)
	if err != nil {
		return w.where(err)
	}
	w.envBuf = buf // e and pt are used up before the next value
	aadb := w.aadBytes()
	pt, err := w.c.openAAD(e, aadb)
	if err != nil {
		return w.where(fmt.Errorf("%w: %v", ErrDecrypt, err))
	}
	var aad string
	if w.stash != nil {
		aad = string(aadb)
	}
	orig := c.Value
	if e.typ == "comment" {
		if parent.Kind != formats.Sequence {
			return w.where(nonCanonical("a value of type comment where a value is expected"))
		}
		// A comment inside a list (FORMAT.md §5.2): never authenticated.
		w.stash.record(aad, e.typ, pt, orig)
		parent.Children[i] = &formats.Node{Kind: formats.Comment, Value: string(pt), Line: c.Line}
		return nil
	}
	typ, val, err := decodeTyped(e.typ, pt, w.compat)
	if err != nil {
		return w.where(err)
	}
	w.stash.record(aad, e.typ, pt, orig)
	c.Type, c.Value = typ, val
	w.hashValue(c)
	return nil
}

func typeTag(t formats.Type) string {
	return t.String()
}

// decodeTyped turns decrypted bytes into a typed value, checking that the
// bytes are the canonical encoding of the type unless compat is set.
func decodeTyped(tag string, pt []byte, compat bool) (formats.Type, string, error) {
	s := string(pt)
	switch tag {
	case "str", "bytes":
		return formats.String, s, nil
	case "int":
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, "", malformed("the value of type int is not an integer")
		}
		var digits [24]byte
		canon := strconv.AppendInt(digits[:0], v, 10)
		if string(canon) == s {
			return formats.Int, s, nil // s is the value: no second string
		}
		if !compat {
			return 0, "", nonCanonical("the value of type int is not in canonical form")
		}
		return formats.Int, string(canon), nil
	case "float":
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return 0, "", malformed("the value of type float is not a number")
		}
		if !compat && !isFloatLiteral(s) {
			return 0, "", nonCanonical("the value of type float is not a plain number")
		}
		return formats.Float, s, nil
	case "bool":
		v, err := strconv.ParseBool(s)
		if err != nil {
			return 0, "", malformed("the value of type bool is not a boolean")
		}
		canon := "False"
		if v {
			canon = "True"
		}
		if canon != s && !compat {
			return 0, "", nonCanonical("the value of type bool is not True or False")
		}
		return formats.Bool, canon, nil
	case "time":
		var t time.Time
		if err := t.UnmarshalText(pt); err != nil {
			return 0, "", malformed("the value of type time is not an RFC 3339 time")
		}
		b, _ := t.MarshalText()
		if string(b) != s && !compat {
			return 0, "", nonCanonical("the value of type time is not in canonical form")
		}
		return formats.Time, string(b), nil
	}
	return 0, "", malformed("unknown value type " + quoteType(tag))
}

var floatLiteral = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]Inf|NaN)$`)
})

func isFloatLiteral(s string) bool { return floatLiteral().MatchString(s) }

// Stash remembers the ciphertext of every value decrypted from a file, so
// that writing the file back keeps the exact previous ENC[…] string of every
// value whose path, type and plaintext bytes are unchanged: git diffs then
// show only what changed. An entry is used at most once, so equal values in
// one list never share an IV (SECURITY.md), and a value is reused
// only when its plaintext bytes are identical, so an IV never encrypts two
// different plaintexts (C21). A nil *Stash is valid and empty. A Stash must
// only be used with the data key it was filled with.
type Stash struct {
	m map[string][]string
}

// NewStash returns an empty stash.
func NewStash() *Stash { return &Stash{m: map[string][]string{}} }

func stashKey(aad, typ string, pt []byte) string {
	var b strings.Builder
	b.Grow(len(aad) + len(typ) + len(pt) + 2)
	b.WriteString(aad)
	b.WriteByte(0)
	b.WriteString(typ)
	b.WriteByte(0)
	b.Write(pt)
	return b.String()
}

func (s *Stash) record(aad, typ string, pt []byte, enc string) {
	if s == nil {
		return
	}
	k := stashKey(aad, typ, pt)
	s.m[k] = append(s.m[k], enc)
}

func (s *Stash) take(aad, typ string, pt []byte) (string, bool) {
	if s == nil {
		return "", false
	}
	k := stashKey(aad, typ, pt)
	l := s.m[k]
	if len(l) == 0 {
		return "", false
	}
	s.m[k] = l[1:]
	return l[0], true
}

// randReader is the source of IVs and data keys; tests replace it.
var _ io.Reader = (*strings.Reader)(nil)
