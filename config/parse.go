package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/hullsecrets/hull/metadata"
)

// Limits on the node walk. Anchors and aliases can make a small file
// describe a huge (or, with an alias inside its own anchor, infinite)
// tree; these bound the work.
const (
	maxDepth = 64
	maxNodes = 100000
)

// parser walks a yaml.v3 node tree. Every error it returns is an *Error.
type parser struct {
	name     string
	depth    int
	nodes    int
	warnings []Error
}

func (p *parser) errorf(line int, format string, args ...any) *Error {
	return &Error{File: p.name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): `) })

func parse(data []byte, name string) (*Config, error) {
	p := &parser{name: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return &Config{}, nil
		}
		return nil, p.yamlError(err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == io.EOF:
	case err != nil:
		return nil, p.yamlError(err)
	case !isNull(docContent(&extra)):
		return nil, p.errorf(docContent(&extra).Line, "a config holds one YAML document, found another")
	}
	c, err := p.top(docContent(&doc))
	if err != nil {
		return nil, err
	}
	c.Warnings = p.warnings
	return c, nil
}

// yamlError turns a yaml.v3 syntax error into an *Error, moving its line
// number into Line.
func (p *parser) yamlError(err error) *Error {
	msg := err.Error()
	if m := yamlLine().FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return p.errorf(line, "%s", strings.TrimPrefix(msg, m[0]))
	}
	return p.errorf(0, "%s", strings.TrimPrefix(msg, "yaml: "))
}

func docContent(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		return n.Content[0]
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// enter resolves aliases and counts the node against the limits; callers
// pair it with leave.
func (p *parser) enter(n *yaml.Node) (*yaml.Node, error) {
	line := n.Line
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil, p.errorf(line, "unknown alias")
		}
		n = n.Alias
	}
	p.depth++
	p.nodes++
	if p.depth > maxDepth {
		return nil, p.errorf(line, "the config is nested too deeply (an alias inside its own anchor?)")
	}
	if p.nodes > maxNodes {
		return nil, p.errorf(line, "the config is too large (too many aliases?)")
	}
	return n, nil
}

func (p *parser) leave() { p.depth-- }

// describe names a node's type for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!str":
			return "a string"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		}
		return "a " + strings.TrimLeft(n.ShortTag(), "!") + " value"
	}
	return "an unexpected node"
}

func (p *parser) wrongType(n *yaml.Node, key, want string) *Error {
	hint := ""
	if strings.Contains(want, "string") && n.Kind == yaml.ScalarNode && !isNull(n) {
		hint = " (quote it)" // a fingerprint of digits only, "true", …
	}
	return p.errorf(n.Line, "%s: want %s, got %s%s", key, want, describe(n), hint)
}

// field is one key of a mapping.
type field struct {
	key  string
	line int        // the key's line
	val  *yaml.Node // not yet resolved
}

// mapping returns the keys of n, a mapping (or null, which has none), with
// merge keys (<<) applied: keys written in the mapping come first and win
// over merged ones; among merged mappings, earlier ones win. A duplicate
// key is an error. what names the mapping in messages.
func (p *parser) mapping(n *yaml.Node, what string) ([]field, error) {
	n, err := p.enter(n)
	if err != nil {
		return nil, err
	}
	defer p.leave()
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, p.wrongType(n, what, "a mapping")
	}
	var own, merged []field
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			m, err := p.merge(v, what)
			if err != nil {
				return nil, err
			}
			merged = append(merged, m...)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, p.errorf(k.Line, "%s: a key must be a string, got %s", what, describe(k))
		}
		if l, ok := first[k.Value]; ok {
			return nil, p.errorf(k.Line, "%s: duplicate key %q (first at line %d)", what, k.Value, l)
		}
		first[k.Value] = k.Line
		own = append(own, field{key: k.Value, line: k.Line, val: v})
	}
	for _, f := range merged {
		if _, ok := first[f.key]; !ok {
			first[f.key] = f.line
			own = append(own, f)
		}
	}
	return own, nil
}

// merge returns the fields a merge key brings in: from a mapping or a list
// of mappings.
func (p *parser) merge(v *yaml.Node, what string) ([]field, error) {
	r, err := p.enter(v)
	if err != nil {
		return nil, err
	}
	defer p.leave()
	var srcs []*yaml.Node
	switch r.Kind {
	case yaml.MappingNode:
		srcs = []*yaml.Node{r}
	case yaml.SequenceNode:
		srcs = r.Content
	default:
		return nil, p.wrongType(r, what+": <<", "a mapping or a list of mappings")
	}
	var out []field
	for _, s := range srcs {
		rs, err := p.enter(s)
		if err != nil {
			return nil, err
		}
		p.leave()
		if rs.Kind != yaml.MappingNode {
			return nil, p.wrongType(rs, what+": <<", "a mapping or a list of mappings")
		}
		fs, err := p.mapping(rs, what)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

// sequence returns the elements of n, a list (or null: none).
func (p *parser) sequence(n *yaml.Node, what string) ([]*yaml.Node, error) {
	n, err := p.enter(n)
	if err != nil {
		return nil, err
	}
	defer p.leave()
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, p.wrongType(n, what, "a list")
	}
	return n.Content, nil
}

// str reads a string field. As yaml.v3 does for a Go string, it accepts
// any scalar (numbers and booleans as written) and null as "".
func (p *parser) str(n *yaml.Node, what string) (string, error) {
	n, err := p.enter(n)
	if err != nil {
		return "", err
	}
	defer p.leave()
	if isNull(n) {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", p.wrongType(n, what, "a string")
	}
	return n.Value, nil
}

// integer reads an integer field (null is 0).
func (p *parser) integer(n *yaml.Node, what string) (int, int, error) {
	n, err := p.enter(n)
	if err != nil {
		return 0, 0, err
	}
	defer p.leave()
	if isNull(n) {
		return 0, n.Line, nil
	}
	var v int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		return 0, 0, p.wrongType(n, what, "an integer")
	}
	return v, n.Line, nil
}

// boolean reads a true/false field (null is false).
func (p *parser) boolean(n *yaml.Node, what string) (bool, error) {
	n, err := p.enter(n)
	if err != nil {
		return false, err
	}
	defer p.leave()
	if isNull(n) {
		return false, nil
	}
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		return false, p.wrongType(n, what, "true or false")
	}
	return v, nil
}

// regex compiles a path_regex or rule regex; "" gives nil.
func (p *parser) regex(s string, line int, what string) (*regexp.Regexp, error) {
	if s == "" {
		return nil, nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		e := p.errorf(line, "%s: %v: %s", what, metadata.ErrInvalidRegex, regexCause(err))
		e.Err = metadata.ErrInvalidRegex
		return nil, e
	}
	return re, nil
}

func regexCause(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return fmt.Sprintf("%s: %q", se.Code, se.Expr)
	}
	return err.Error()
}

// entry is one string of a key list, with its line.
type entry struct {
	val  string
	line int
}

// keyList reads a list of key strings. Every string is split on commas,
// parts trimmed and empty parts dropped: sops does this for the flat
// fields (parseKeyField) and for age entries in groups; hull does it for
// every entry, since no key ID contains a comma. With flat set, the field
// may also be a single string, and list items must be strings (as in
// sops's flat fields, decoded as string or []string); otherwise it must be
// a list, whose items may be any scalar.
func (p *parser) keyList(n *yaml.Node, what string, flat bool) ([]entry, error) {
	r, err := p.enter(n)
	if err != nil {
		return nil, err
	}
	defer p.leave()
	var out []entry
	add := func(s string, line int) {
		for _, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, entry{part, line})
			}
		}
	}
	want := "a list of strings"
	if flat {
		want = "a string or a list of strings"
	}
	switch {
	case isNull(r):
		return nil, nil
	case r.Kind == yaml.ScalarNode && flat && r.ShortTag() == "!!str":
		add(r.Value, r.Line)
		return out, nil
	case r.Kind != yaml.SequenceNode:
		return nil, p.wrongType(r, what, want)
	}
	for _, item := range r.Content {
		it, err := p.enter(item)
		if err != nil {
			return nil, err
		}
		p.leave()
		if it.Kind != yaml.ScalarNode || isNull(it) || (flat && it.ShortTag() != "!!str") {
			hint := ""
			if it.Kind == yaml.ScalarNode && !isNull(it) {
				hint = " (quote it)"
			}
			return nil, p.errorf(it.Line, "%s: want a list of strings, got %s in the list%s", what, describe(it), hint)
		}
		add(it.Value, it.Line)
	}
	return out, nil
}

// The keys of a creation rule that name keys directly (flat mode).
var flatKeys = []string{"age", "pgp", "kms", "aws_profile", "gcp_kms", "azure_keyvault", "hc_vault_transit_uri", "hckms"}

func isRuleKind(k string) bool {
	for _, r := range metadata.RuleKinds {
		if r == k {
			return true
		}
	}
	return false
}

func (p *parser) top(n *yaml.Node) (*Config, error) {
	if isNull(n) {
		return &Config{}, nil
	}
	if n.Kind != yaml.MappingNode && n.Kind != yaml.AliasNode {
		return nil, p.errorf(n.Line, "the config must be a mapping, got %s", describe(n))
	}
	fields, err := p.mapping(n, "the config")
	if err != nil {
		return nil, err
	}
	c := &Config{}
	for _, f := range fields {
		switch f.key {
		case "creation_rules":
			items, err := p.sequence(f.val, "creation_rules")
			if err != nil {
				return nil, err
			}
			if items == nil && !isNull(p.resolved(f.val)) {
				items = []*yaml.Node{}
			}
			if items != nil {
				c.CreationRules = make([]CreationRule, 0, len(items))
			}
			for _, it := range items {
				r, err := p.creationRule(it, "creation rule")
				if err != nil {
					return nil, err
				}
				c.CreationRules = append(c.CreationRules, *r)
			}
		case "destination_rules":
			items, err := p.sequence(f.val, "destination_rules")
			if err != nil {
				return nil, err
			}
			for _, it := range items {
				d, err := p.destinationRule(it)
				if err != nil {
					return nil, err
				}
				c.DestinationRules = append(c.DestinationRules, *d)
			}
		case "stores":
			s, err := p.stores(f.val)
			if err != nil {
				return nil, err
			}
			c.Stores = s
		case "audit":
			a, err := p.audit(f)
			if err != nil {
				return nil, err
			}
			c.Audit = a
		case "hull_require_strict_mac":
			if c.RequireStrictMAC, err = p.boolean(f.val, f.key); err != nil {
				return nil, err
			}
		default:
			if e := p.unknown(f, "the config", "creation_rules", "destination_rules", "stores", "audit", "hull_require_strict_mac"); e != nil {
				return nil, e
			}
		}
	}
	return c, nil
}

// resolved follows aliases without counting.
func (p *parser) resolved(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < maxDepth; i++ {
		n = n.Alias
	}
	return n
}

// unknown records a warning about a key the parser does not know. sops
// ignores such keys, and so does hull: the rest of the config still
// applies (an unknown key never makes hull ignore the config).
// A key beginning with "hull_" is an error: sops ignores every hull_ key
// anyway, and a misspelt hull setting would silently weaken a protection.
func (p *parser) unknown(f field, what string, known ...string) *Error {
	if strings.HasPrefix(f.key, "hull_") {
		return p.unknownStrict(f, what, known...)
	}
	p.warnings = append(p.warnings, *p.errorf(f.line, "unknown key %q in %s is ignored (known: %s)", f.key, what, strings.Join(known, ", ")))
	return nil
}

// unknownStrict is an unknown key in a block of hull's own (audit:), where
// a misspelt setting would silently weaken a protection: an error.
func (p *parser) unknownStrict(f field, what string, known ...string) *Error {
	return p.errorf(f.line, "unknown key %q in %s (want one of %s)", f.key, what, strings.Join(known, ", "))
}

var creationRuleKeys = append(append([]string{"path_regex"}, flatKeys...),
	append(append([]string{"key_groups", "shamir_threshold", "mac_only_encrypted"}, metadata.RuleKinds...), "hull_require_strict_mac")...)

// creationRule parses a creation rule (or a destination's recreation_rule).
func (p *parser) creationRule(n *yaml.Node, what string) (*CreationRule, error) {
	r := &CreationRule{Line: p.resolved(n).Line}
	fields, err := p.mapping(n, what)
	if err != nil {
		return nil, err
	}
	flat := map[string][]entry{}
	var flatLine int // the first flat key, for the key_groups conflict
	var groupsNode *yaml.Node
	var groupsLine, thresholdLine int
	var ruleLine int
	for _, f := range fields {
		switch {
		case f.key == "path_regex":
			s, err := p.str(f.val, f.key)
			if err != nil {
				return nil, err
			}
			if r.PathRegex, err = p.regex(s, f.line, f.key); err != nil {
				return nil, err
			}
		case f.key == "aws_profile":
			if r.AWSProfile, err = p.str(f.val, f.key); err != nil {
				return nil, err
			}
			if r.AWSProfile != "" && flatLine == 0 {
				flatLine = f.line
			}
		case f.key == "hckms", f.key == "age", f.key == "pgp", f.key == "kms",
			f.key == "gcp_kms", f.key == "azure_keyvault", f.key == "hc_vault_transit_uri":
			// hckms is a list in sops (a []string field); the others
			// are "string or list of strings".
			es, err := p.keyList(f.val, f.key, f.key != "hckms")
			if err != nil {
				return nil, err
			}
			flat[f.key] = es
			if len(es) > 0 && flatLine == 0 {
				flatLine = f.line
			}
		case f.key == "key_groups":
			groupsNode, groupsLine = f.val, f.line
		case f.key == "shamir_threshold":
			if r.ShamirThreshold, thresholdLine, err = p.integer(f.val, f.key); err != nil {
				return nil, err
			}
			if r.ShamirThreshold < 0 {
				return nil, p.errorf(thresholdLine, "shamir_threshold must not be negative")
			}
		case f.key == "mac_only_encrypted":
			if r.MACOnlyEncrypted, err = p.boolean(f.val, f.key); err != nil {
				return nil, err
			}
		case f.key == "hull_require_strict_mac":
			if r.RequireStrictMAC, err = p.boolean(f.val, f.key); err != nil {
				return nil, err
			}
		case isRuleKind(f.key):
			s, err := p.str(f.val, f.key)
			if err != nil {
				return nil, err
			}
			if s == "" {
				continue // as sops: an empty rule field is not set
			}
			if !r.Rule.IsZero() {
				e := p.errorf(f.line, "%s and %s (line %d) in one rule: %v", f.key, r.Rule.Kind, ruleLine, metadata.ErrConflictingRules)
				e.Err = metadata.ErrConflictingRules
				return nil, e
			}
			r.Rule, ruleLine = metadata.Rule{Kind: f.key, Value: s}, f.line
			if err := r.Rule.Validate(); err != nil {
				e := p.errorf(f.line, "%v", err)
				if errors.Is(err, metadata.ErrInvalidRegex) {
					e.Err = metadata.ErrInvalidRegex
				}
				return nil, e
			}
		default:
			if e := p.unknown(f, what, creationRuleKeys...); e != nil {
				return nil, e
			}
		}
	}

	var groups []KeyGroup
	if groupsNode != nil {
		items, err := p.sequence(groupsNode, "key_groups")
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			g, err := p.keyGroup(it)
			if err != nil {
				return nil, err
			}
			groups = append(groups, dedup(g))
		}
	}
	if len(groups) > 0 {
		if flatLine != 0 {
			// sops silently ignores these; say so instead.
			return nil, p.errorf(flatLine, "keys outside key_groups are ignored when key_groups (line %d) is set: move them into a group", groupsLine)
		}
	} else {
		g, err := p.flatGroup(flat, r.AWSProfile)
		if err != nil {
			return nil, err
		}
		groups = []KeyGroup{g}
	}
	if len(groups) > 1 && r.ShamirThreshold > len(groups) {
		return nil, p.errorf(thresholdLine, "shamir_threshold %d is more than the %d key groups", r.ShamirThreshold, len(groups))
	}
	r.KeyGroups = groups
	return r, nil
}

// flatGroup builds the single group of a rule without key_groups, in
// sops's order. Like sops, it does not remove duplicates.
func (p *parser) flatGroup(flat map[string][]entry, awsProfile string) (KeyGroup, error) {
	g := KeyGroup{}
	for _, e := range flat["age"] {
		g = append(g, KeyRef{Type: "age", ID: e.val, Line: e.line})
	}
	for _, e := range flat["pgp"] {
		g = append(g, KeyRef{Type: "pgp", ID: noSpaces(e.val), Line: e.line})
	}
	for _, e := range flat["kms"] {
		k := KeyRef{Type: "kms", ID: noSpaces(e.val), AWSProfile: awsProfile, Line: e.line}
		if i := strings.Index(k.ID, "+arn:"); i >= 0 {
			k.ID, k.Role = k.ID[:i], k.ID[i+1:]
		}
		if k.ID == "" {
			return nil, p.errorf(e.line, "kms: %q has no ARN before the role", e.val)
		}
		g = append(g, k)
	}
	for _, e := range flat["gcp_kms"] {
		g = append(g, KeyRef{Type: "gcp_kms", ID: noSpaces(e.val), Line: e.line})
	}
	for _, e := range flat["hckms"] {
		g = append(g, KeyRef{Type: "hckms", ID: e.val, Line: e.line})
	}
	for _, e := range flat["azure_keyvault"] {
		g = append(g, KeyRef{Type: "azure_kv", ID: e.val, Line: e.line})
	}
	for _, e := range flat["hc_vault_transit_uri"] {
		g = append(g, KeyRef{Type: "hc_vault", ID: e.val, Line: e.line})
	}
	return g, nil
}

func noSpaces(s string) string { return strings.ReplaceAll(s, " ", "") }

var keyGroupKeys = []string{"merge", "age", "pgp", "kms", "gcp_kms", "hckms", "azure_keyvault", "hc_vault"}

// keyGroup parses one key_groups entry (or a merge entry): merged groups
// first, then age, pgp, kms, gcp_kms, hckms, azure_keyvault, hc_vault,
// whatever the order in the file.
func (p *parser) keyGroup(n *yaml.Node) (KeyGroup, error) {
	fields, err := p.mapping(n, "key group")
	if err != nil {
		return nil, err
	}
	byKey := map[string][]KeyRef{}
	var merged KeyGroup
	for _, f := range fields {
		var refs []KeyRef
		switch f.key {
		case "merge":
			items, err := p.sequence(f.val, "merge")
			if err != nil {
				return nil, err
			}
			for _, it := range items {
				p.depth++ // merge nests; count it against maxDepth
				g, err := p.keyGroup(it)
				p.depth--
				if err != nil {
					return nil, err
				}
				merged = append(merged, g...)
			}
			continue
		case "age", "pgp", "hc_vault":
			es, err := p.keyList(f.val, f.key, false)
			if err != nil {
				return nil, err
			}
			for _, e := range es {
				k := KeyRef{Type: f.key, ID: e.val, Line: e.line}
				if f.key == "pgp" {
					k.ID = noSpaces(k.ID)
				}
				refs = append(refs, k)
			}
		case "kms", "gcp_kms", "hckms", "azure_keyvault":
			items, err := p.sequence(f.val, f.key)
			if err != nil {
				return nil, err
			}
			for _, it := range items {
				k, err := p.keyObject(f.key, it)
				if err != nil {
					return nil, err
				}
				refs = append(refs, k)
			}
		default:
			if e := p.unknown(f, "key group", keyGroupKeys...); e != nil {
				return nil, e
			}
			continue
		}
		byKey[f.key] = refs
	}
	g := append(KeyGroup{}, merged...)
	for _, k := range keyGroupKeys[1:] {
		g = append(g, byKey[k]...)
	}
	return g, nil
}

// keyObject parses a kms, gcp_kms, hckms or azure_keyvault entry of a key
// group.
func (p *parser) keyObject(typ string, n *yaml.Node) (KeyRef, error) {
	what := typ + " entry"
	line := p.resolved(n).Line
	fields, err := p.mapping(n, what)
	if err != nil {
		return KeyRef{}, err
	}
	var known []string
	required := ""
	k := KeyRef{Type: typ, Line: line}
	var vaultURL, key, version string
	for _, f := range fields {
		var dst *string
		switch typ + "." + f.key {
		case "kms.arn":
			dst = &k.ID
		case "kms.role":
			dst = &k.Role
		case "kms.aws_profile":
			dst = &k.AWSProfile
		case "kms.context":
			if k.Context, err = p.context(f.val); err != nil {
				return KeyRef{}, err
			}
			continue
		case "gcp_kms.resource_id", "hckms.key_id":
			dst = &k.ID
		case "azure_keyvault.vaultUrl":
			dst = &vaultURL
		case "azure_keyvault.key":
			dst = &key
		case "azure_keyvault.version":
			dst = &version
		default:
			switch typ {
			case "kms":
				known = []string{"arn", "role", "context", "aws_profile"}
			case "gcp_kms":
				known = []string{"resource_id"}
			case "hckms":
				known = []string{"key_id"}
			case "azure_keyvault":
				known = []string{"vaultUrl", "key", "version"}
			}
			if e := p.unknown(f, what, known...); e != nil {
				return KeyRef{}, e
			}
			continue
		}
		s, err := p.str(f.val, f.key)
		if err != nil {
			return KeyRef{}, err
		}
		*dst = strings.TrimSpace(s)
	}
	switch typ {
	case "kms":
		required = "arn"
	case "gcp_kms":
		required = "resource_id"
	case "hckms":
		required = "key_id"
	case "azure_keyvault":
		k.Type = "azure_kv"
		switch {
		case vaultURL == "":
			required = "vaultUrl"
		case key == "":
			required = "key"
		default:
			k.ID = strings.TrimRight(vaultURL, "/") + "/keys/" + key
			if version != "" {
				k.ID += "/" + version
			}
		}
	}
	if k.ID == "" {
		return KeyRef{}, p.errorf(line, "%s: %s is missing or empty", what, required)
	}
	return k, nil
}

// context parses a kms encryption context: a mapping of scalars.
func (p *parser) context(n *yaml.Node) (map[string]string, error) {
	fields, err := p.mapping(n, "context")
	if err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		return nil, nil
	}
	ctx := make(map[string]string, len(fields))
	for _, f := range fields {
		v, err := p.enter(f.val)
		if err != nil {
			return nil, err
		}
		p.leave()
		if v.Kind != yaml.ScalarNode || isNull(v) {
			return nil, p.wrongType(v, "context: "+f.key, "a string")
		}
		ctx[f.key] = v.Value
	}
	return ctx, nil
}

// dedup removes later entries with the same type and identity.
func dedup(g KeyGroup) KeyGroup {
	seen := map[string]bool{}
	out := KeyGroup{}
	for _, k := range g {
		id := k.Type + "/" + k.String()
		if !seen[id] {
			seen[id] = true
			out = append(out, k)
		}
	}
	return out
}

func contextString(ctx map[string]string) string {
	keys := make([]string, 0, len(ctx))
	for k := range ctx {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + ctx[k]
	}
	return strings.Join(parts, ",")
}

var destinationRuleKeys = []string{"path_regex", "s3_bucket", "s3_prefix", "gcs_bucket", "gcs_prefix", "vault_path", "vault_address", "vault_kv_mount_name", "vault_kv_version", "recreation_rule", "omit_extensions"}

func (p *parser) destinationRule(n *yaml.Node) (*DestinationRule, error) {
	d := &DestinationRule{Line: p.resolved(n).Line}
	fields, err := p.mapping(n, "destination rule")
	if err != nil {
		return nil, err
	}
	var dests []string
	for _, f := range fields {
		var dst *string
		switch f.key {
		case "path_regex":
			s, err := p.str(f.val, f.key)
			if err != nil {
				return nil, err
			}
			if d.PathRegex, err = p.regex(s, f.line, f.key); err != nil {
				return nil, err
			}
			continue
		case "s3_bucket":
			dst = &d.S3Bucket
		case "s3_prefix":
			dst = &d.S3Prefix
		case "gcs_bucket":
			dst = &d.GCSBucket
		case "gcs_prefix":
			dst = &d.GCSPrefix
		case "vault_path":
			dst = &d.VaultPath
		case "vault_address":
			dst = &d.VaultAddress
		case "vault_kv_mount_name":
			dst = &d.VaultKVMountName
		case "vault_kv_version":
			v, line, err := p.integer(f.val, f.key)
			if err != nil {
				return nil, err
			}
			if v != 0 && v != 1 && v != 2 {
				return nil, p.errorf(line, "vault_kv_version must be 1 or 2")
			}
			d.VaultKVVersion = v
			continue
		case "recreation_rule":
			if d.RecreationRule, err = p.creationRule(f.val, "recreation_rule"); err != nil {
				return nil, err
			}
			continue
		case "omit_extensions":
			if d.OmitExtensions, err = p.boolean(f.val, f.key); err != nil {
				return nil, err
			}
			continue
		default:
			if e := p.unknown(f, "destination rule", destinationRuleKeys...); e != nil {
				return nil, e
			}
			continue
		}
		s, err := p.str(f.val, f.key)
		if err != nil {
			return nil, err
		}
		*dst = s
		if s != "" && (f.key == "s3_bucket" || f.key == "gcs_bucket" || f.key == "vault_path") {
			dests = append(dests, f.key)
		}
	}
	if len(dests) > 1 {
		return nil, p.errorf(d.Line, "a destination rule has one destination, this one has %s", strings.Join(dests, " and "))
	}
	if d.VaultPath != "" {
		if d.VaultKVMountName == "" {
			d.VaultKVMountName = "secret/"
		}
		if d.VaultKVVersion == 0 {
			d.VaultKVVersion = 2
		}
	}
	return d, nil
}

func (p *parser) stores(n *yaml.Node) (Stores, error) {
	var s Stores
	fields, err := p.mapping(n, "stores")
	if err != nil {
		return s, err
	}
	for _, f := range fields {
		switch f.key {
		case "yaml", "json", "json_binary":
			v, err := p.indent(f)
			if err != nil {
				return s, err
			}
			switch f.key {
			case "yaml":
				s.YAMLIndent = v
			case "json":
				s.JSONIndent = v
			case "json_binary":
				s.JSONBinaryIndent = v
			}
		case "dotenv", "ini":
			fs, err := p.mapping(f.val, "stores: "+f.key)
			if err != nil {
				return s, err
			}
			for _, g := range fs {
				p.warnings = append(p.warnings, *p.errorf(g.line, "unknown key %q in stores: %s (it has no settings); it is ignored", g.key, f.key))
			}
		default:
			if e := p.unknown(f, "stores", "yaml", "json", "json_binary", "dotenv", "ini"); e != nil {
				return s, e
			}
		}
	}
	return s, nil
}

// indent reads stores.<format>.indent, checked as sops's stores do: YAML
// must not be negative, JSON not below -1 (a tab).
func (p *parser) indent(f field) (*int, error) {
	what := "stores: " + f.key
	fields, err := p.mapping(f.val, what)
	if err != nil {
		return nil, err
	}
	var out *int
	for _, g := range fields {
		if g.key != "indent" {
			if e := p.unknown(g, what, "indent"); e != nil {
				return nil, e
			}
			continue
		}
		v, line, err := p.integer(g.val, "indent")
		if err != nil {
			return nil, err
		}
		if isNull(p.resolved(g.val)) {
			continue
		}
		switch {
		case f.key == "yaml" && v < 0:
			return nil, p.errorf(line, "%s: indent must not be negative", what)
		case f.key != "yaml" && v < -1:
			return nil, p.errorf(line, "%s: indent must be -1 (a tab) or more", what)
		}
		out = &v
	}
	return out, nil
}
