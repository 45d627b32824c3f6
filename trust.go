package hull

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/metadata"
)

// ErrPolicy is returned when a write would break the trust policy
// (docs/TRUST.md): a value stored in clear that the trusted rule encrypts,
// or a new data key for recipients nobody vouched for.
var ErrPolicy = errors.New("refused by the trust policy")

// TrustedRule is the encryption rule a write must honour, and where it
// comes from (for messages): the matching .sops.yaml creation rule, else
// the file's own rule when the extended MAC authenticates it, else the
// default rule (every value encrypted but the _unencrypted ones).
type TrustedRule struct {
	Rule   metadata.Rule
	Source string
}

// TrustedRuleFor resolves the trusted rule of a write: the creation rule
// when there is one (cr non-nil, described by source), else the file's rule
// m.Rule when authenticated (its extended MAC was checked), else the
// default rule. A file's own rule is never trusted on its word: a writer
// of the repository without keys can edit it (and strip x_hull_mac).
func TrustedRuleFor(cr *metadata.Rule, source string, m *metadata.Metadata, authenticated bool) TrustedRule {
	switch {
	case cr != nil:
		return TrustedRule{Rule: cr.OrDefault(), Source: source}
	case authenticated:
		return TrustedRule{Rule: m.Rule.OrDefault(), Source: "the file's rule (authenticated by x_hull_mac)"}
	}
	return TrustedRule{Rule: metadata.Rule{}.OrDefault(), Source: "the default rule (the file's own rule is not authenticated: it has no valid x_hull_mac)"}
}

// CheckClearValues enforces "no write stores in clear a value the trusted
// rule encrypts": it returns an error wrapping ErrPolicy that names the
// first such value of f (decrypted, about to be sealed with m's rule). A
// value that was already in clear, with the same value, in before (the
// file as read, still encrypted; nil for a new file) is not this write's
// doing and is allowed, so a file whose older, weaker rule its key holders
// chose stays editable; comments are not checked. weaker reports that
// such a value was found: the file's rule is weaker than the trusted one,
// and a write must not vouch for it with a fresh x_hull_mac unless the
// file's rule was authenticated.
func CheckClearValues(f, before *formats.File, m *metadata.Metadata, trusted TrustedRule) (weaker bool, err error) {
	fileSel, err := newSelector(m.Rule.OrDefault())
	if err != nil {
		return false, err
	}
	trustSel, err := newSelector(trusted.Rule.OrDefault())
	if err != nil {
		return false, err
	}
	was := map[string]string{}
	if before != nil {
		leaves(before, func(p string, _ []string, _ [][]string, c *formats.Node) bool {
			if clearLeaf(c) {
				was[p] = c.Type.String() + ":" + c.Value
			}
			return true
		})
	}
	var bad string
	leaves(f, func(p string, path []string, comments [][]string, c *formats.Node) bool {
		if c.Type == formats.Null || (c.Type == formats.String && c.Value == "") {
			return true
		}
		if fileSel.encrypt(path, comments, false) || !trustSel.encrypt(path, comments, false) {
			return true
		}
		if v, ok := was[p]; ok && v == c.Type.String()+":"+c.Value {
			weaker = true
			return true
		}
		bad = p
		return false
	})
	if bad == "" {
		return weaker, nil
	}
	return true, fmt.Errorf("%w: %s would be stored in clear by the file's rule (%s), but %s (%s) encrypts it; nothing was written. Re-encrypt the file with the trusted rule (decrypt, then encrypt), or, if the file's rule is the one you want, put it in the .sops.yaml creation rule that matches the file",
		ErrPolicy, bad, describeRule(m.Rule), trusted.Source, describeRule(trusted.Rule))
}

// leaves calls visit for every scalar of f's documents with its display
// path, its key path and the comments above it, until visit returns false.
func leaves(f *formats.File, visit func(disp string, path []string, comments [][]string, c *formats.Node) bool) {
	var path, disp []string
	stop := false
	var walk func(n *formats.Node, doc int, comments [][]string)
	walk = func(n *formats.Node, doc int, comments [][]string) {
		comments = append(comments, nil)
		top := len(comments) - 1
		for i, c := range n.Children {
			if stop {
				return
			}
			if c.Kind == formats.Comment {
				comments[top] = append(comments[top], c.Value)
				continue
			}
			if n.Kind == formats.Mapping {
				path = append(path, c.Key)
				disp = append(disp, "["+strconv.Quote(c.Key)+"]")
			} else {
				disp = append(disp, "["+strconv.Itoa(i)+"]")
			}
			switch c.Kind {
			case formats.Mapping, formats.Sequence:
				walk(c, doc, comments)
			case formats.Scalar:
				if !visit(displayPath(doc, disp), path, comments, c) {
					stop = true
				}
			}
			if n.Kind == formats.Mapping {
				path = path[:len(path)-1]
			}
			disp = disp[:len(disp)-1]
			comments[top] = nil
		}
	}
	for i, d := range f.Docs {
		path, disp = path[:0], disp[:0]
		if d.Kind == formats.Mapping || d.Kind == formats.Sequence {
			walk(d, i, nil)
		}
	}
}

// UnvouchedRecipients lists the keys of m that named does not list. A
// caller passes the keys vouched for (by the creation rule, by the command
// line); a file read without a valid extended MAC may carry a stanza a
// writer of the repository injected, and such a key must not receive a new
// data key, nor be authenticated by a fresh x_hull_mac, without the user's
// consent (docs/TRUST.md).
func UnvouchedRecipients(m *metadata.Metadata, named ...[][]KeyID) []KeyID {
	ok := map[KeyID]bool{}
	for _, groups := range named {
		for _, g := range groups {
			for _, k := range g {
				ok[k] = true
			}
		}
	}
	var out []KeyID
	for _, g := range StanzaKeyIDs(m.KeyGroups) {
		for _, k := range g {
			if !ok[k] {
				out = append(out, k)
				ok[k] = true
			}
		}
	}
	return out
}

// SameRule reports whether the file's rule is the trusted rule.
func SameRule(m *metadata.Metadata, trusted TrustedRule) bool {
	return m.Rule.OrDefault() == trusted.Rule.OrDefault()
}

// DescribeRule names a rule for messages: kind and value.
func DescribeRule(r metadata.Rule) string { return describeRule(r) }

// DropExtendedMAC removes x_hull_mac from m: a write that cannot vouch for
// the file's metadata (docs/TRUST.md rule 12) leaves none rather than a
// fresh one.
func DropExtendedMAC(m *metadata.Metadata) {
	kept := m.Extra[:0]
	for _, x := range m.Extra {
		if x != nil && x.Key != ExtendedMACField {
			kept = append(kept, x)
		}
	}
	m.Extra = kept
}
