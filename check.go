package hull

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/metadata"
)

// This file holds the checks "hull check" runs without a key: which leaves
// a rule says must be encrypted but are not, and whether the encrypted
// parts of a file are well formed.

// Unencrypted returns the display paths (["a"]["b"][0], prefixed with
// "document N, " after the first document) of the leaves of f's documents
// that rule selects for encryption but that are not ENC[…] values. The
// zero rule means the default one (unencrypted_suffix: _unencrypted), as
// for Encrypt. Null values and empty strings are never encrypted, so they
// are never listed; comments are not checked (sops before 3.7 wrote them
// in clear). Nothing is decrypted. An invalid rule is an error.
func Unencrypted(f *formats.File, rule metadata.Rule) ([]string, error) {
	sel, err := newSelector(rule.OrDefault())
	if err != nil {
		return nil, err
	}
	var out []string
	leaves(f, func(disp string, path []string, comments [][]string, c *formats.Node) bool {
		if clearLeaf(c) && sel.encrypt(path, comments, false) {
			out = append(out, disp)
		}
		return true
	})
	return out, nil
}

// clearLeaf reports whether a scalar holds a value that should have been
// encrypted: anything but null, the empty string and an ENC[…] string.
func clearLeaf(c *formats.Node) bool {
	switch {
	case c.Type == formats.Null:
		return false
	case c.Type != formats.String:
		return true
	case c.Value == "":
		return false
	}
	return !looksEncrypted(c.Value)
}

func displayPath(doc int, disp []string) string {
	p := ""
	for _, s := range disp {
		p += s
	}
	if p == "" {
		p = "top level"
	}
	if doc > 0 {
		return fmt.Sprintf("document %d, %s", doc+1, p)
	}
	return p
}

// CheckStructure checks, without a key, that f is a well-formed encrypted
// file: its metadata loads and lists at least one key, lastmodified is an
// RFC 3339 time, the MAC is present and is a well-formed ENC[…] value, and
// every ENC[…] value in the documents (comments included) parses strictly
// (the rules of decryption: canonical base64, a 32-byte IV, a 16-byte tag,
// a known type). It returns nil or the problems found, joined: each wraps
// metadata.ErrNoMetadata, metadata.ErrInvalid, ErrNoMAC, ErrMACMismatch,
// ErrMalformedValue or ErrNonCanonical; value errors are *PathError. A
// valid structure says nothing about the MAC: that needs the key (Open).
func CheckStructure(f *formats.File) error {
	m, err := metadata.Load(f.Meta)
	if err != nil {
		return err
	}
	var errs []error
	if len(m.KeyGroups) == 0 {
		errs = append(errs, fmt.Errorf("%w: the file lists no keys", metadata.ErrInvalid))
	}
	if m.LastModified == "" {
		errs = append(errs, fmt.Errorf("%w: lastmodified is missing", metadata.ErrInvalid))
	} else if _, err := time.Parse(time.RFC3339, m.LastModified); err != nil {
		errs = append(errs, fmt.Errorf("%w: lastmodified is not an RFC 3339 time", metadata.ErrInvalid))
	}
	if m.MAC == "" {
		errs = append(errs, ErrNoMAC)
	} else if _, err := parseEnvelope(m.MAC); err != nil {
		errs = append(errs, fmt.Errorf("%w: the stored MAC is malformed: %w", ErrMACMismatch, err))
	}
	var disp []string
	var visit func(n *formats.Node, doc int)
	visit = func(n *formats.Node, doc int) {
		for i, c := range n.Children {
			if n.Kind == formats.Mapping && c.Kind != formats.Comment {
				disp = append(disp, "["+strconv.Quote(c.Key)+"]")
			} else {
				disp = append(disp, "["+strconv.Itoa(i)+"]")
			}
			switch c.Kind {
			case formats.Mapping, formats.Sequence:
				visit(c, doc)
			case formats.Scalar, formats.Comment:
				if (c.Kind == formats.Comment || c.Type == formats.String) && looksEncrypted(c.Value) {
					if _, err := parseEnvelope(c.Value); err != nil {
						p := ""
						for _, s := range disp {
							p += s
						}
						errs = append(errs, &PathError{Doc: doc, Path: p, Err: err})
					}
				}
			}
			disp = disp[:len(disp)-1]
		}
	}
	for i, d := range f.Docs {
		disp = disp[:0]
		visit(d, i)
	}
	return errors.Join(errs...)
}
