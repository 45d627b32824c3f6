// Package metadata reads and writes the "sops" block of an encrypted file:
// the wrapped data keys (as opaque stanzas grouped into key groups), the
// encryption rule, lastmodified, the MAC and the version.
//
// It works on the generic tree of package formats, so it is the same for
// every file format; formats flatten and unflatten it for dotenv and INI.
// It never imports keysources: a key source turns stanzas into recipients
// and identities, and a new key source needs no change here.
package metadata

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hullsecrets/hull/formats"
)

// Version is the sops format version hull writes into new files: the sops
// release whose behaviour hull follows (sops 3.13).
const Version = "3.13.3"

// StanzaTypes are the key types of the SOPS v3 format, in the order sops
// groups them when it reads a single group from the top-level lists.
var StanzaTypes = []string{"kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "pgp", "age"}

func knownType(t string) bool {
	for _, s := range StanzaTypes {
		if s == t {
			return true
		}
	}
	return false
}

// Stanza is one wrapped copy of the data key: a key type and its fields
// (recipient, fingerprint, ARN, …, and "enc", the wrapped key), kept as an
// ordered mapping so that fields hull does not know are written back as
// they were.
type Stanza struct {
	Type   string
	Fields *formats.Node
}

// NewStanza returns a stanza of the given type with string fields given as
// name, value pairs.
func NewStanza(typ string, kv ...string) Stanza {
	s := Stanza{Type: typ, Fields: formats.NewMapping()}
	for i := 0; i+1 < len(kv); i += 2 {
		s.Set(kv[i], kv[i+1])
	}
	return s
}

// Get returns a string field, or "" when it is absent or not a scalar.
func (s Stanza) Get(name string) string {
	n := s.Fields.Get(name)
	if n == nil || n.Kind != formats.Scalar {
		return ""
	}
	return n.Value
}

// Set sets a string field, replacing an existing one.
func (s *Stanza) Set(name, value string) {
	if s.Fields == nil {
		s.Fields = formats.NewMapping()
	}
	if n := s.Fields.Get(name); n != nil {
		*n = *formats.NewString(name, value)
		return
	}
	s.Fields.Children = append(s.Fields.Children, formats.NewString(name, value))
}

// Rule selects which values are encrypted (FORMAT.md §3). Kind is the
// metadata field name ("unencrypted_suffix", "encrypted_regex", …); the zero
// Rule means "none given", which readers treat as the default.
type Rule struct {
	Kind  string
	Value string
}

// Rule kinds, named as in the metadata.
const (
	UnencryptedSuffix       = "unencrypted_suffix"
	EncryptedSuffix         = "encrypted_suffix"
	UnencryptedRegex        = "unencrypted_regex"
	EncryptedRegex          = "encrypted_regex"
	UnencryptedCommentRegex = "unencrypted_comment_regex"
	EncryptedCommentRegex   = "encrypted_comment_regex"
)

// RuleKinds lists the six rule fields in the order sops names them.
var RuleKinds = []string{EncryptedSuffix, UnencryptedSuffix, EncryptedRegex, UnencryptedRegex, EncryptedCommentRegex, UnencryptedCommentRegex}

// DefaultRule is what sops applies when no rule is given.
var DefaultRule = Rule{Kind: UnencryptedSuffix, Value: "_unencrypted"}

// OrDefault is the rule that applies: r, or DefaultRule when none is set
// (sops assumes the default suffix rule for a file that names none).
func (r Rule) OrDefault() Rule {
	if r.IsZero() {
		return DefaultRule
	}
	return r
}

// IsZero reports whether no rule is set.
func (r Rule) IsZero() bool { return r.Kind == "" }

// ErrInvalidRegex is wrapped when a rule's regular expression does not
// compile. An invalid regex must never lead to a plaintext file.
var ErrInvalidRegex = errors.New("invalid regular expression")

// Validate checks the kind and, for regex rules, compiles the expression.
func (r Rule) Validate() error {
	switch r.Kind {
	case "":
		return nil
	case UnencryptedSuffix, EncryptedSuffix:
		if r.Value == "" {
			return fmt.Errorf("%s must not be empty", r.Kind)
		}
		return nil
	case UnencryptedRegex, EncryptedRegex, UnencryptedCommentRegex, EncryptedCommentRegex:
		if _, err := regexp.Compile(r.Value); err != nil {
			return fmt.Errorf("%w in %s: %v", ErrInvalidRegex, r.Kind, regexError(err))
		}
		return nil
	}
	return fmt.Errorf("unknown encryption rule %q", r.Kind)
}

// regexError returns the regexp error's code without the expression text.
func regexError(err error) string {
	var re *syntaxErr
	if errors.As(err, &re) {
		return string(re.Code)
	}
	return "does not compile"
}

// ErrConflictingRules is wrapped when more than one rule field is set.
var ErrConflictingRules = errors.New("at most one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex and unencrypted_comment_regex may be set")

// Metadata is the content of the "sops" block.
type Metadata struct {
	// KeyGroups holds the wrapped data key: with one group every stanza
	// wraps the whole key; with several, group i wraps Shamir share i.
	KeyGroups [][]Stanza
	// ShamirThreshold is the number of groups needed (0: all of them).
	ShamirThreshold int
	// LastModified is the time of the last encryption, RFC 3339 in UTC.
	LastModified string
	// MAC is the encrypted MAC, an ENC[…] string ("" when absent).
	MAC string
	// Version is the sops version that wrote the file.
	Version string
	// Rule is the encryption rule stored in the file (the default when the
	// file names none, except for binary files).
	Rule Rule
	// MACOnlyEncrypted makes the MAC cover encrypted values only.
	MACOnlyEncrypted bool
	// Extra holds hull's own fields (names starting "x_hull_"), which sops
	// ignores; they are written back in name order.
	Extra []*formats.Node
}

// ErrNoMetadata is returned when a file has no sops block.
var ErrNoMetadata = errors.New("no sops metadata found: the file is not encrypted (or not by sops or hull)")

// ErrInvalid is wrapped by every error about a malformed sops block.
var ErrInvalid = errors.New("invalid sops metadata")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Load reads the metadata from its tree. Stored values may be typed (YAML,
// JSON) or all strings (dotenv, INI); both are accepted as sops does.
func Load(n *formats.Node) (*Metadata, error) {
	if n == nil {
		return nil, ErrNoMetadata
	}
	if n.Kind != formats.Mapping {
		return nil, invalid("the sops entry is a %s, not a mapping", n.Kind)
	}
	m := &Metadata{}
	var topGroup []Stanza
	var groupsNode *formats.Node
	byType := map[string][]Stanza{}
	seen := map[string]bool{}
	for _, c := range n.Children {
		if c.Kind == formats.Comment {
			continue
		}
		if seen[c.Key] {
			return nil, invalid("duplicate field %q", c.Key)
		}
		seen[c.Key] = true
		switch {
		case knownType(c.Key):
			st, err := loadStanzas(c.Key, c)
			if err != nil {
				return nil, err
			}
			byType[c.Key] = st
		case c.Key == "key_groups":
			groupsNode = c
		case c.Key == "shamir_threshold":
			v, err := intValue(c)
			if err != nil {
				return nil, err
			}
			m.ShamirThreshold = v
		case c.Key == "lastmodified":
			s, err := stringValue(c)
			if err != nil {
				return nil, err
			}
			m.LastModified = s
		case c.Key == "mac":
			s, err := stringValue(c)
			if err != nil {
				return nil, err
			}
			m.MAC = s
		case c.Key == "version":
			s, err := versionValue(c)
			if err != nil {
				return nil, err
			}
			m.Version = s
		case c.Key == "mac_only_encrypted":
			b, err := boolValue(c)
			if err != nil {
				return nil, err
			}
			m.MACOnlyEncrypted = b
		case isRuleKind(c.Key):
			s, err := stringValue(c)
			if err != nil {
				return nil, err
			}
			if s == "" {
				continue
			}
			if !m.Rule.IsZero() {
				return nil, fmt.Errorf("%w: %w", ErrInvalid, ErrConflictingRules)
			}
			m.Rule = Rule{Kind: c.Key, Value: s}
		case strings.HasPrefix(c.Key, "x_hull_"):
			m.Extra = append(m.Extra, c.Clone())
		default:
			// Unknown fields (such as "attention" in sops 1.x files) are
			// ignored, as sops does.
		}
	}
	for _, t := range StanzaTypes {
		topGroup = append(topGroup, byType[t]...)
	}
	if len(topGroup) > 0 {
		m.KeyGroups = [][]Stanza{topGroup}
	} else if groupsNode != nil {
		gs, err := loadGroups(groupsNode)
		if err != nil {
			return nil, err
		}
		m.KeyGroups = gs
	}
	if err := m.Rule.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if m.LastModified == "" {
		return nil, invalid("lastmodified is missing (the file is truncated or was edited by hand)")
	}
	if _, err := time.Parse(time.RFC3339, m.LastModified); err != nil {
		return nil, invalid("lastmodified is not an RFC 3339 time")
	}
	if m.ShamirThreshold < 0 {
		return nil, invalid("shamir_threshold is negative")
	}
	return m, nil
}

func isRuleKind(k string) bool {
	for _, r := range RuleKinds {
		if r == k {
			return true
		}
	}
	return false
}

func loadGroups(n *formats.Node) ([][]Stanza, error) {
	if n.Kind == formats.Scalar && n.Type == formats.Null {
		return nil, nil
	}
	if n.Kind != formats.Sequence {
		return nil, invalid("key_groups is a %s, not a list", n.Kind)
	}
	var groups [][]Stanza
	for i, g := range elements(n) {
		if g.Kind != formats.Mapping {
			return nil, invalid("key_groups[%d] is a %s, not a mapping", i, g.Kind)
		}
		byType := map[string][]Stanza{}
		for _, c := range g.Children {
			if c.Kind == formats.Comment {
				continue
			}
			if !knownType(c.Key) {
				continue
			}
			st, err := loadStanzas(c.Key, c)
			if err != nil {
				return nil, fmt.Errorf("key_groups[%d]: %w", i, err)
			}
			byType[c.Key] = append(byType[c.Key], st...)
		}
		var group []Stanza
		for _, t := range StanzaTypes {
			group = append(group, byType[t]...)
		}
		groups = append(groups, group)
	}
	return groups, nil
}

func elements(n *formats.Node) []*formats.Node {
	var out []*formats.Node
	for _, c := range n.Children {
		if c.Kind != formats.Comment {
			out = append(out, c)
		}
	}
	return out
}

func loadStanzas(typ string, n *formats.Node) ([]Stanza, error) {
	if n.Kind == formats.Scalar && (n.Type == formats.Null || (n.Type == formats.String && n.Value == "")) {
		return nil, nil // "kms: null" in old JSON files, "kms: ''" in old flat files
	}
	if n.Kind != formats.Sequence {
		return nil, invalid("%s is a %s, not a list", typ, n.Kind)
	}
	var out []Stanza
	for i, e := range elements(n) {
		if e.Kind != formats.Mapping {
			return nil, invalid("%s[%d] is a %s, not a mapping", typ, i, e.Kind)
		}
		f := e.Clone()
		f.Key = ""
		for _, c := range f.Children {
			if c.Kind == formats.Scalar && c.Type != formats.String && c.Type != formats.Null {
				// Weakly typed input (a number as a field): keep its text.
				c.Type = formats.String
			}
		}
		if ca := f.Get("created_at"); ca != nil && ca.Kind == formats.Scalar && ca.Value != "" {
			if _, err := time.Parse(time.RFC3339, ca.Value); err != nil {
				return nil, invalid("%s[%d].created_at is not an RFC 3339 time", typ, i)
			}
		}
		st := Stanza{Type: typ, Fields: f}
		for _, field := range requiredFields[typ] {
			if st.Get(field) == "" {
				return nil, invalid("%s[%d] has no %s (the file is truncated or was edited by hand)", typ, i, field)
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// requiredFields are the fields without which a stanza cannot be used:
// what identifies the key, and the wrapped key itself.
var requiredFields = map[string][]string{
	"age":      {"recipient", "enc"},
	"pgp":      {"fp", "enc"},
	"kms":      {"arn", "enc"},
	"gcp_kms":  {"resource_id", "enc"},
	"azure_kv": {"vault_url", "name", "enc"},
	"hc_vault": {"vault_address", "engine_path", "key_name", "enc"},
	"hckms":    {"key_id", "enc"},
}

func stringValue(n *formats.Node) (string, error) {
	if n.Kind != formats.Scalar {
		return "", invalid("%s is a %s, not a string", n.Key, n.Kind)
	}
	if n.Type == formats.Null {
		return "", nil
	}
	return n.Value, nil
}

// versionValue accepts "3.7.1" and numbers such as 3.7 written unquoted.
func versionValue(n *formats.Node) (string, error) {
	return stringValue(n)
}

func intValue(n *formats.Node) (int, error) {
	if n.Kind != formats.Scalar {
		return 0, invalid("%s is a %s, not a number", n.Key, n.Kind)
	}
	switch n.Type {
	case formats.Null:
		return 0, nil
	case formats.Int, formats.String:
		if n.Value == "" {
			return 0, nil
		}
		v, err := strconv.Atoi(strings.TrimSpace(n.Value))
		if err != nil {
			return 0, invalid("%s is not a whole number", n.Key)
		}
		return v, nil
	}
	return 0, invalid("%s is not a whole number", n.Key)
}

func boolValue(n *formats.Node) (bool, error) {
	if n.Kind != formats.Scalar {
		return false, invalid("%s is a %s, not a boolean", n.Key, n.Kind)
	}
	switch n.Type {
	case formats.Null:
		return false, nil
	case formats.Bool, formats.String:
		if n.Value == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(n.Value)
		if err != nil {
			return false, invalid("%s is not true or false", n.Key)
		}
		return b, nil
	}
	return false, invalid("%s is not true or false", n.Key)
}

// Node returns the metadata as a mapping with keys sorted bytewise, exactly
// as sops writes it (FORMAT.md §4.2).
func (m *Metadata) Node() *formats.Node {
	root := &formats.Node{Kind: formats.Mapping, Key: "sops"}
	add := func(n *formats.Node) { root.Children = append(root.Children, n) }
	if len(m.KeyGroups) == 1 {
		for _, t := range sortedTypes(m.KeyGroups[0]) {
			add(stanzaList(t, m.KeyGroups[0], false))
		}
	} else if len(m.KeyGroups) > 1 {
		kg := &formats.Node{Kind: formats.Sequence, Key: "key_groups"}
		for _, g := range m.KeyGroups {
			gn := formats.NewMapping()
			types := sortedTypes(g)
			for _, always := range []string{"age", "hc_vault"} {
				if !contains(types, always) {
					types = append(types, always)
				}
			}
			sort.Strings(types)
			for _, t := range types {
				gn.Children = append(gn.Children, stanzaList(t, g, true))
			}
			kg.Children = append(kg.Children, gn)
		}
		add(kg)
	}
	if !m.Rule.IsZero() {
		add(formats.NewString(m.Rule.Kind, m.Rule.Value))
	}
	add(formats.NewString("lastmodified", m.LastModified))
	add(formats.NewString("mac", m.MAC))
	if m.MACOnlyEncrypted {
		add(&formats.Node{Kind: formats.Scalar, Key: "mac_only_encrypted", Type: formats.Bool, Value: "True"})
	}
	if m.ShamirThreshold != 0 {
		add(&formats.Node{Kind: formats.Scalar, Key: "shamir_threshold", Type: formats.Int, Value: strconv.Itoa(m.ShamirThreshold)})
	}
	add(formats.NewString("version", m.Version))
	for _, x := range m.Extra {
		add(x.Clone())
	}
	sort.SliceStable(root.Children, func(i, j int) bool { return root.Children[i].Key < root.Children[j].Key })
	return root
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func sortedTypes(g []Stanza) []string {
	var types []string
	for _, s := range g {
		if !contains(types, s.Type) {
			types = append(types, s.Type)
		}
	}
	sort.Strings(types)
	return types
}

func stanzaList(typ string, g []Stanza, inGroup bool) *formats.Node {
	l := &formats.Node{Kind: formats.Sequence, Key: typ}
	for _, s := range g {
		if s.Type != typ {
			continue
		}
		m := sortedMapping(s.Fields)
		if typ == "kms" && m.Get("aws_profile") == nil {
			// sops always writes aws_profile for KMS keys, even empty.
			m.Children = append(m.Children, formats.NewString("aws_profile", ""))
			sort.SliceStable(m.Children, func(i, j int) bool { return m.Children[i].Key < m.Children[j].Key })
		}
		l.Children = append(l.Children, m)
	}
	_ = inGroup
	return l
}

func sortedMapping(n *formats.Node) *formats.Node {
	c := &formats.Node{Kind: formats.Mapping}
	if n != nil {
		for _, ch := range n.Children {
			if ch.Kind == formats.Comment {
				continue
			}
			cc := ch.Clone()
			if cc.Kind == formats.Mapping {
				k := cc.Key
				cc = sortedMapping(cc)
				cc.Key = k
			}
			c.Children = append(c.Children, cc)
		}
	}
	sort.SliceStable(c.Children, func(i, j int) bool { return c.Children[i].Key < c.Children[j].Key })
	return c
}

// Recipients lists "type:identity" strings for display, one per stanza.
func (m *Metadata) Recipients() []string {
	var out []string
	for _, g := range m.KeyGroups {
		for _, s := range g {
			out = append(out, s.Type+":"+StanzaID(s))
		}
	}
	return out
}

// StanzaID is the identity string of a stanza, as sops's ToString: the
// recipient, fingerprint, ARN (with +role and context), resource ID or URL.
// It never contains the wrapped key.
func StanzaID(s Stanza) string {
	switch s.Type {
	case "age":
		return s.Get("recipient")
	case "pgp":
		return s.Get("fp")
	case "kms":
		// arn[+role], then |context (k:v,… sorted by key) and |profile as
		// sops's ToString: A|C|profile when a profile is set, else A|C
		// when there is a context, else A.
		id := s.Get("arn")
		if r := s.Get("role"); r != "" {
			id += "+" + r
		}
		var ctx []string
		if c := s.Fields.Get("context"); c != nil && c.Kind == formats.Mapping {
			for _, kv := range c.Children {
				if kv.Kind == formats.Scalar {
					ctx = append(ctx, kv.Key+":"+kv.Value)
				}
			}
		}
		sort.Strings(ctx)
		switch p := s.Get("aws_profile"); {
		case p != "":
			return id + "|" + strings.Join(ctx, ",") + "|" + p
		case len(ctx) > 0:
			return id + "|" + strings.Join(ctx, ",")
		}
		return id
	case "gcp_kms":
		return s.Get("resource_id")
	case "azure_kv":
		return fmt.Sprintf("%s/keys/%s/%s", s.Get("vault_url"), s.Get("name"), s.Get("version"))
	case "hc_vault":
		return fmt.Sprintf("%s/v1/%s/keys/%s", s.Get("vault_address"), s.Get("engine_path"), s.Get("key_name"))
	case "hckms":
		return s.Get("key_id")
	}
	return "?"
}
