package hull

import (
	"bufio"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/metadata"
)

// hull's extended MAC (docs/FORMAT.md §8, docs/TRUST.md).
//
// The sops MAC is an unkeyed SHA-512 over the concatenated plaintext bytes
// of the values, with no separators: it does not see keys, types, empty or
// null values, empty containers, comments, the encryption rule or the
// recipients. The extended MAC is an HMAC-SHA-256, keyed from the data key,
// over an unambiguous encoding of all of them. It is stored in the metadata
// field x_hull_mac, which sops ignores (and drops when it rewrites a file).

const (
	// ExtendedMACField is the metadata field that holds the extended MAC.
	ExtendedMACField = "x_hull_mac"
	// xmacVersion prefixes the stored value: "v1:" + base64(tag).
	xmacVersion = "v1"
	// xmacInfo is the HKDF info string; it also opens the encoding.
	xmacInfo = "hull extended mac v1"
)

// WarnNoExtendedMAC is the warning Open adds to Result.Warnings when a file
// has no extended MAC and none is required.
const WarnNoExtendedMAC = "no hull MAC: the file was last written by sops, so changes to keys, types, empty values and comments cannot be detected; rewrite it with hull to add one"

// Record tags of the encoding. Every record starts with one of these bytes
// and every variable-length part is length-prefixed, so the concatenation
// of records is a prefix-free code: two different inputs never give the
// same byte string.
const (
	xDoc      = 'D' // a document starts
	xMeta     = 'M' // the metadata part starts
	xKey      = 'K' // the key commitment follows
	xMapping  = 1   // node kinds, as formats.Kind
	xSequence = 2
	xScalar   = 3
	xComment  = 4
	pathKey   = 'k' // path component: a mapping key
	pathIndex = 'i' // path component: a list index
	pathNote  = 'c' // path component: a comment, after n values
)

// xmacKey derives the HMAC key from the data key.
func xmacKey(dataKey []byte) ([]byte, error) {
	return hkdf.Key(sha256.New, dataKey, nil, xmacInfo, 32)
}

// pathComp is one component of a node's path.
type pathComp struct {
	tag byte
	key string
	idx uint64
}

// xmacEncoder writes the encoding of a tree and its metadata.
type xmacEncoder struct {
	w    *bufio.Writer
	err  error
	sel  *selector
	all  bool       // false with mac_only_encrypted: only encrypted slots
	path []pathComp // the current node's path
	keys []string   // the mapping keys of the path, for the selector
	buf  [8]byte
	rec  []byte // scratch of scalar
}

func (e *xmacEncoder) write(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *xmacEncoder) u8(b byte) {
	if e.err == nil {
		e.err = e.w.WriteByte(b)
	}
}

func (e *xmacEncoder) u64(v uint64) {
	binary.BigEndian.PutUint64(e.buf[:], v)
	e.write(e.buf[:])
}

func (e *xmacEncoder) str(s string) {
	e.u64(uint64(len(s)))
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

func (e *xmacEncoder) writePath() {
	e.u64(uint64(len(e.path)))
	for _, p := range e.path {
		e.u8(p.tag)
		if p.tag == pathKey {
			e.str(p.key)
		} else {
			e.u64(p.idx)
		}
	}
}

// encodeExtendedMAC writes the byte string the extended MAC authenticates
// (docs/FORMAT.md §8): the documents, the metadata and SHA-256(key).
func encodeExtendedMAC(w io.Writer, docs []*formats.Node, key []byte, m *metadata.Metadata) error {
	sel, err := newSelector(m.Rule.OrDefault())
	if err != nil {
		return err
	}
	e := &xmacEncoder{w: bufio.NewWriterSize(w, 4096), sel: sel, all: !m.MACOnlyEncrypted}
	e.str(xmacInfo)
	e.u64(uint64(len(docs)))
	for _, d := range docs {
		e.u8(xDoc)
		e.path, e.keys = e.path[:0], e.keys[:0]
		if d == nil || d.Kind != formats.Mapping {
			return fmt.Errorf("%w: a document is not a mapping", ErrExtendedMAC)
		}
		e.container(d, make([][]string, 0, 32)) // as walkDocs: levels in place
	}
	e.meta(m)
	e.u8(xKey)
	sum := sha256.Sum256(key)
	e.write(sum[:])
	if e.err != nil {
		return e.err
	}
	return e.w.Flush()
}

// container writes a mapping or sequence (unless only encrypted slots are
// covered) and then its children. comments are the comment levels above,
// as the walker keeps them, so that the selector decides as in the walk.
func (e *xmacEncoder) container(n *formats.Node, comments [][]string) {
	if e.all {
		if n.Kind == formats.Mapping {
			e.u8(xMapping)
		} else {
			e.u8(xSequence)
		}
		e.writePath()
		e.u64(uint64(len(n.Children)))
	}
	comments = append(comments, nil)
	top := len(comments) - 1
	var values uint64
	for _, c := range n.Children {
		if c.Kind == formats.Comment {
			comments[top] = append(comments[top], c.Value)
			e.path = append(e.path, pathComp{tag: pathNote, idx: values})
			if e.all || e.sel.encrypt(e.keys, comments, true) {
				e.u8(xComment)
				e.writePath()
				// sops writes an encrypted comment in a list as a list
				// element, which cannot be inline: the flag is kept for
				// comments in mappings only.
				if c.Inline && n.Kind == formats.Mapping {
					e.u8(1)
				} else {
					e.u8(0)
				}
				e.str(c.Value)
			}
			e.path = e.path[:len(e.path)-1]
			continue
		}
		if n.Kind == formats.Mapping {
			e.path = append(e.path, pathComp{tag: pathKey, key: c.Key})
			e.keys = append(e.keys, c.Key)
		} else {
			e.path = append(e.path, pathComp{tag: pathIndex, idx: values})
		}
		switch c.Kind {
		case formats.Mapping, formats.Sequence:
			e.container(c, comments)
		default:
			if e.all || e.sel.encrypt(e.keys, comments, false) {
				e.scalar(c)
			}
		}
		e.path = e.path[:len(e.path)-1]
		if n.Kind == formats.Mapping {
			e.keys = e.keys[:len(e.keys)-1]
		}
		values++
		comments[top] = nil
	}
}

func (e *xmacEncoder) scalar(c *formats.Node) {
	if c.Kind != formats.Scalar {
		// Not produced by any format; written so that it still counts.
		e.u8(byte(c.Kind))
		e.writePath()
		return
	}
	// The whole record in one write (this runs once per value): tag, path,
	// type, length-prefixed value, as u8, writePath and str would write it.
	b := append(e.rec[:0], xScalar)
	b = binary.BigEndian.AppendUint64(b, uint64(len(e.path)))
	for _, p := range e.path {
		b = append(b, p.tag)
		if p.tag == pathKey {
			b = binary.BigEndian.AppendUint64(b, uint64(len(p.key)))
			b = append(b, p.key...)
		} else {
			b = binary.BigEndian.AppendUint64(b, p.idx)
		}
	}
	b = append(b, byte(c.Type))
	v := c.Value
	if c.Type == formats.Null {
		v = ""
	}
	b = binary.BigEndian.AppendUint64(b, uint64(len(v)))
	e.rec = b
	e.write(b)
	if e.err == nil {
		_, e.err = e.w.WriteString(v)
	}
}

// meta writes the metadata that changes the meaning of the file: the rule
// as stored, mac_only_encrypted, shamir_threshold and the key groups (type
// and identity of each stanza, never the wrapped key).
func (e *xmacEncoder) meta(m *metadata.Metadata) {
	e.u8(xMeta)
	e.str(m.Rule.Kind)
	e.str(m.Rule.Value)
	if m.MACOnlyEncrypted {
		e.u8(1)
	} else {
		e.u8(0)
	}
	e.u64(uint64(m.ShamirThreshold))
	e.u64(uint64(len(m.KeyGroups)))
	for _, g := range m.KeyGroups {
		// The metadata lists stanzas by type; within a type the order is
		// kept. Sorting the same way makes the encoding independent of the
		// order recipients were given in.
		g = append([]metadata.Stanza(nil), g...)
		sort.SliceStable(g, func(i, j int) bool { return g[i].Type < g[j].Type })
		e.u64(uint64(len(g)))
		for _, s := range g {
			e.str(s.Type)
			e.str(metadata.StanzaID(s))
		}
	}
}

// extendedMAC computes the 32-byte tag over the plaintext documents.
func extendedMAC(docs []*formats.Node, key []byte, m *metadata.Metadata) ([]byte, error) {
	k, err := xmacKey(key)
	if err != nil {
		return nil, err
	}
	h := hmac.New(sha256.New, k)
	if err := encodeExtendedMAC(h, docs, key, m); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// formatExtendedMAC is the stored form of a tag.
func formatExtendedMAC(tag []byte) string {
	return xmacVersion + ":" + base64.StdEncoding.EncodeToString(tag)
}

// setExtendedMAC stores tag in m.Extra, replacing an earlier one.
func setExtendedMAC(m *metadata.Metadata, tag []byte) {
	n := formats.NewString(ExtendedMACField, formatExtendedMAC(tag))
	for i, x := range m.Extra {
		if x != nil && x.Key == ExtendedMACField {
			m.Extra[i] = n
			return
		}
	}
	m.Extra = append(m.Extra, n)
}

// storedExtendedMAC returns the stored field, or nil when there is none.
func storedExtendedMAC(m *metadata.Metadata) *formats.Node {
	for _, x := range m.Extra {
		if x != nil && x.Key == ExtendedMACField {
			return x
		}
	}
	return nil
}

// parseExtendedMAC reads a stored value: "v1:" and the canonical base64 of
// 32 bytes, nothing else.
func parseExtendedMAC(n *formats.Node) ([]byte, error) {
	if n.Kind != formats.Scalar || n.Type != formats.String {
		return nil, fmt.Errorf("%w: %s is not a string", ErrExtendedMAC, ExtendedMACField)
	}
	v, ok := strings.CutPrefix(n.Value, xmacVersion+":")
	if !ok {
		return nil, fmt.Errorf("%w: %s has an unknown version (written by a newer hull?)", ErrExtendedMAC, ExtendedMACField)
	}
	tag, err := base64.StdEncoding.Strict().DecodeString(v)
	if err != nil || len(tag) != sha256.Size || base64.StdEncoding.EncodeToString(tag) != v {
		return nil, fmt.Errorf("%w: %s is malformed", ErrExtendedMAC, ExtendedMACField)
	}
	return tag, nil
}

// checkExtendedMAC verifies the extended MAC of the decrypted documents
// and records the outcome in res. A missing MAC is a warning unless
// require is set. Neither the tag nor anything derived from the values is
// ever put in an error.
func checkExtendedMAC(docs []*formats.Node, key []byte, m *metadata.Metadata, require bool, res *Result) error {
	n := storedExtendedMAC(m)
	if n == nil {
		if require {
			return fmt.Errorf("%w: the file has no hull MAC (%s) and one is required: it was last written by sops or another tool, or the field was removed", ErrExtendedMAC, ExtendedMACField)
		}
		res.ExtendedMACMissing = true
		res.Warnings = append(res.Warnings, WarnNoExtendedMAC)
		return nil
	}
	stored, err := parseExtendedMAC(n)
	if err != nil {
		return err
	}
	computed, err := extendedMAC(docs, key, m)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(stored, computed) != 1 {
		return fmt.Errorf("%w: the file does not match its hull MAC (%s): a key, a type, an empty or null value, a comment, the structure, the encryption rule or the recipients were changed", ErrExtendedMAC, ExtendedMACField)
	}
	res.ExtendedMACChecked = true
	return nil
}

// RefreshExtendedMAC recomputes the extended MAC of a file and stores it
// in m (m.Extra): f holds the plaintext documents (decrypted, and already
// verified: the new MAC vouches for whatever f holds), key is the data key
// and m the metadata as it will be written. Seal does this itself; call it
// after changing only the metadata of a file without Seal, for example
// after re-wrapping the data key for other recipients (updatekeys, groups
// add/delete) or changing shamir_threshold. f is not changed; attach the
// metadata again (f.Meta = m.Node()) when f.Meta is in use.
func RefreshExtendedMAC(f *formats.File, key []byte, m *metadata.Metadata) error {
	if len(f.Docs) == 0 {
		return ErrEmpty
	}
	tag, err := extendedMAC(f.Docs, key, m)
	if err != nil {
		return err
	}
	setExtendedMAC(m, tag)
	return nil
}

// RefreshExtendedMACEncrypted is RefreshExtendedMAC for a caller that holds
// the encrypted file: it decrypts a copy of enc with key and its current
// metadata old, checking both MACs as Open does with opts (so that a
// tampered file is never vouched for), then stores in updated the extended
// MAC over that plaintext, and sets enc.Meta to updated. The values, the
// sops MAC and lastmodified of enc are unchanged. A file without an
// extended MAC gets one (the Result then carries the usual warning). With
// opts.IgnoreMAC nothing is checked, and the caller vouches for the values.
func RefreshExtendedMACEncrypted(enc *formats.File, key []byte, old, updated *metadata.Metadata, opts OpenOptions) (*Result, error) {
	plain := &formats.File{Docs: make([]*formats.Node, len(enc.Docs))}
	for i, d := range enc.Docs {
		plain.Docs[i] = d.Clone()
	}
	opts.Stash = nil
	res, err := Open(plain, key, old, opts)
	if err != nil {
		return nil, err
	}
	if err := RefreshExtendedMAC(plain, key, updated); err != nil {
		return nil, err
	}
	enc.Meta = updated.Node()
	return res, nil
}

// warnNoExtendedMACRewrite is WarnNoExtendedMAC as a command that
// rewrites the file says it: it adds the MAC.
const warnNoExtendedMACRewrite = "no hull MAC: the file was last written by sops, so changes to keys, types, empty values and comments could not be detected; hull adds one when it writes the file"

// Notices are the warnings of r a command shows the user. A file last
// written by sops has no hull MAC: a read-only command keeps quiet about
// it unless verbose (helm-secrets and others mix stderr into their
// output); a command that rewrites the file (rewriting) says that the
// rewrite adds the MAC.
func (r *Result) Notices(rewriting, verbose bool) []string {
	var out []string
	for _, w := range r.Warnings {
		switch {
		case w != WarnNoExtendedMAC:
		case rewriting:
			w = warnNoExtendedMACRewrite
		case !verbose:
			continue
		}
		out = append(out, w)
	}
	return out
}
