package scan

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// BaselineFile is the name of the baseline file at the root of a
// repository.
const BaselineFile = ".hullscan.yaml"

// Baseline is the allowlist of a repository: path globs that are not
// scanned and findings that were reviewed and accepted. Accepted findings
// are stored by fingerprint only, so the file holds no secret.
//
//	# comments are allowed (but --update-baseline rewrites the file)
//	key: 9f1c…             # the fingerprint key: 64 hex digits, random
//	ignore:
//	  - testdata/**        # a glob on the slash-separated path from the root
//	  - "*.min.js"         # a glob without "/" matches the base name at any depth
//	accepted:
//	  - fingerprint: 3b0c…  # hex HMAC-SHA256 of file, kind and secret under key
//	    file: config/dev.env
//	    kind: secret-assignment
//
// In a glob, "**" matches any number of path segments and the other
// patterns are those of path.Match.
//
// The key is stored in the baseline so that every clone of the repository,
// and CI, compute the same fingerprints. It makes the fingerprints of one
// repository useless against precomputed tables and unrelated to those of
// other repositories; it does not stop someone who can read the baseline
// from testing guesses, one HMAC per guess, so an accepted finding must
// not be a real secret (rotate it and remove it instead). A baseline
// without a key (written by an older hull) holds unkeyed SHA-256
// fingerprints; they still match until --update-baseline rewrites it with
// a key.
type Baseline struct {
	Key      string     `yaml:"key,omitempty"`
	Ignore   []string   `yaml:"ignore,omitempty"`
	Accepted []Accepted `yaml:"accepted,omitempty"`

	fps map[string]bool
}

// Accepted is one accepted finding; File and Kind are informational.
type Accepted struct {
	Fingerprint string `yaml:"fingerprint"`
	File        string `yaml:"file,omitempty"`
	Kind        string `yaml:"kind,omitempty"`
}

// ParseBaseline parses a baseline file strictly: unknown keys, malformed
// fingerprints and invalid globs are errors.
func ParseBaseline(data []byte) (*Baseline, error) {
	b := &Baseline{}
	if len(bytes.TrimSpace(data)) > 0 {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(b); err != nil {
			return nil, fmt.Errorf("invalid baseline: %v", strings.TrimPrefix(err.Error(), "yaml: "))
		}
	}
	for _, g := range b.Ignore {
		if err := checkGlob(g); err != nil {
			return nil, fmt.Errorf("invalid baseline: ignore %q: %v", g, err)
		}
	}
	if b.Key != "" && (len(b.Key) != 64 || strings.Trim(b.Key, "0123456789abcdef") != "") {
		return nil, errors.New("invalid baseline: key must be 64 lowercase hex digits")
	}
	b.fps = make(map[string]bool, len(b.Accepted))
	for i, a := range b.Accepted {
		if len(a.Fingerprint) != 64 || strings.Trim(a.Fingerprint, "0123456789abcdef") != "" {
			return nil, fmt.Errorf("invalid baseline: accepted entry %d: fingerprint must be 64 lowercase hex digits", i+1)
		}
		b.fps[a.Fingerprint] = true
	}
	return b, nil
}

// Accepts reports whether a finding is accepted by the baseline.
func (b *Baseline) Accepts(f Finding) bool {
	if b == nil {
		return false
	}
	if b.Key == "" {
		return b.fps[f.legacy]
	}
	return b.fps[f.Fingerprint]
}

// KeyFromHex decodes a fingerprint key; nil for "" or a malformed key.
func KeyFromHex(s string) []byte {
	if len(s) != 64 {
		return nil
	}
	k, err := hex.DecodeString(s)
	if err != nil {
		return nil
	}
	return k
}

// Legacy reports whether the baseline accepts findings by unkeyed
// fingerprints (written before keys).
func (b *Baseline) Legacy() bool {
	return b != nil && b.Key == "" && len(b.Accepted) > 0
}

// NewKey returns a random fingerprint key in hex.
func NewKey() (string, error) {
	var k [32]byte
	if _, err := rand.Read(k[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(k[:]), nil
}

// Ignored reports whether a path (slash-separated, from the root) matches
// an ignore glob. The baseline file itself is always ignored.
func (b *Baseline) Ignored(name string) bool {
	if name == BaselineFile || strings.HasSuffix(name, "/"+BaselineFile) {
		return true
	}
	if b == nil {
		return false
	}
	for _, g := range b.Ignore {
		if matchGlob(g, name) {
			return true
		}
	}
	return false
}

// WithFindings returns a baseline with the key given (in hex; the
// findings' fingerprints must be keyed with it) and the same ignore globs
// that accepts exactly the findings given (one entry per fingerprint).
func (b *Baseline) WithFindings(key string, fs []Finding) *Baseline {
	nb := &Baseline{Key: key, fps: map[string]bool{}}
	if b != nil {
		nb.Ignore = append(nb.Ignore, b.Ignore...)
	}
	for _, f := range fs {
		if nb.fps[f.Fingerprint] {
			continue
		}
		nb.fps[f.Fingerprint] = true
		nb.Accepted = append(nb.Accepted, Accepted{Fingerprint: f.Fingerprint, File: f.File, Kind: f.Kind})
	}
	sort.Slice(nb.Accepted, func(i, j int) bool {
		a, c := nb.Accepted[i], nb.Accepted[j]
		if a.File != c.File {
			return a.File < c.File
		}
		if a.Kind != c.Kind {
			return a.Kind < c.Kind
		}
		return a.Fingerprint < c.Fingerprint
	})
	return nb
}

// Marshal writes the baseline in a stable layout.
func (b *Baseline) Marshal() []byte {
	var w bytes.Buffer
	w.WriteString("# hull scan baseline (see 'hull scan --help'). 'hull scan --update-baseline'\n")
	w.WriteString("# rewrites the accepted list from the current findings and keeps ignore.\n")
	w.WriteString("# Fingerprints are HMAC-SHA256 of file, kind and secret under key: no secret is\n")
	w.WriteString("# stored here, but whoever reads this file can test guesses: accept no real secret.\n")
	if b.Key != "" {
		fmt.Fprintf(&w, "key: %s\n", b.Key)
	}
	if len(b.Ignore) == 0 {
		w.WriteString("ignore: []\n")
	} else {
		w.WriteString("ignore:\n")
		for _, g := range b.Ignore {
			fmt.Fprintf(&w, "  - %s\n", strconv.Quote(g))
		}
	}
	if len(b.Accepted) == 0 {
		w.WriteString("accepted: []\n")
	} else {
		w.WriteString("accepted:\n")
		for _, a := range b.Accepted {
			fmt.Fprintf(&w, "  - fingerprint: %s\n    file: %s\n    kind: %s\n", a.Fingerprint, strconv.Quote(a.File), a.Kind)
		}
	}
	return w.Bytes()
}

func checkGlob(g string) error {
	if g == "" {
		return errors.New("empty pattern")
	}
	for _, seg := range strings.Split(g, "/") {
		if seg == "**" {
			continue
		}
		if _, err := path.Match(seg, ""); err != nil {
			return err
		}
	}
	return nil
}

// matchGlob matches a slash-separated name against a glob where "**"
// matches zero or more segments; a glob without "/" matches the base name.
func matchGlob(g, name string) bool {
	g = strings.TrimPrefix(g, "./")
	if !strings.Contains(g, "/") {
		ok, _ := path.Match(g, path.Base(name))
		return ok
	}
	return matchSegs(strings.Split(strings.TrimSuffix(g, "/"), "/"), strings.Split(name, "/"), strings.HasSuffix(g, "/"))
}

func matchSegs(g, n []string, dirPrefix bool) bool {
	for len(g) > 0 {
		if g[0] == "**" {
			if len(g) == 1 {
				return true
			}
			for i := 0; i <= len(n); i++ {
				if matchSegs(g[1:], n[i:], dirPrefix) {
					return true
				}
			}
			return false
		}
		if len(n) == 0 {
			return false
		}
		if ok, _ := path.Match(g[0], n[0]); !ok {
			return false
		}
		g, n = g[1:], n[1:]
	}
	return len(n) == 0 || dirPrefix
}
