// Package difftest generates the documents and command lines of the
// differential test of hull against the reference sops (make difftest,
// cmd/hull/difftest_test.go).
//
// Generation is deterministic: case i of seed s is always the same bytes and
// the same options, so a failure is reproduced from its seed and index
// alone. Every syntactic feature a document uses is named (Doc.Features);
// the harness regenerates a failing case with features switched off to find
// the smallest set that still shows the difference, and to tell a known
// difference (one whose trigger features are all present) from a new one.
package difftest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Formats are the formats the generator writes, with their file extensions.
var Formats = []struct{ Name, Ext string }{
	{"yaml", ".yaml"}, {"json", ".json"}, {"dotenv", ".env"}, {"ini", ".ini"}, {"binary", ".bin"},
}

// Doc is one generated plaintext document.
type Doc struct {
	Format string // yaml, json, dotenv, ini, binary
	Ext    string
	Data   []byte
	// Features are the syntactic features Data uses, sorted.
	Features []string
	// Paths are sops tree paths (`["a"][0]`) that exist in the first
	// document: mappings, lists and scalars.
	Paths []string
}

// Case is one differential test case: a document and what to do with it.
type Case struct {
	Seed  uint64
	Index int
	Doc   Doc
	// EncryptArgs are the rule and type flags given to -e (both tools).
	EncryptArgs []string
	// EncFormat is the format of the encrypted file (the --output-type of
	// -e, else the document's format).
	EncFormat string
	// OutputType is the --output-type given to -d ("" for none).
	OutputType string
	// Extract is the --extract path tried on the sops-encrypted file.
	Extract string
	// SetPath, SetValue: a set on the sops-encrypted file; UnsetPath: an unset.
	SetPath, SetValue, UnsetPath string
	// Op is the operation tried after encrypting and decrypting (Ops).
	Op string
	// Bad is the bad-input class tried when Op is "bad".
	Bad string
}

// Ops are the operations a case tries on the encrypted file.
var Ops = []string{"output-type", "extract", "set", "unset", "bad"}

// BadClasses are the failure classes each case may try (see the harness
// for what each does). Their exit codes and first-line sentences must match
// sops's.
var BadClasses = []string{
	"truncated", "tampered-mac", "tampered-value", "no-identity", "not-encrypted",
	"missing-file", "broken-plain", "empty-plain", "extract-missing", "extract-badpath",
	"unset-missing", "set-badjson", "set-negative", "already-encrypted", "no-recipients",
}

// Generate returns case index of seed; disabled features are not used
// (the document is otherwise the same random choices, as far as possible).
func Generate(seed uint64, index int, disabled map[string]bool) Case {
	r := rand.New(rand.NewPCG(seed, uint64(index)))
	c := Case{Seed: seed, Index: index}
	f := Formats[pick(r, []int{40, 20, 15, 15, 10})]
	g := &gen{r: r, seed: seed, index: uint64(index), off: disabled, used: map[string]bool{}}
	switch f.Name {
	case "yaml":
		g.yamlFile()
	case "json":
		g.jsonFile()
	case "dotenv":
		g.dotenvFile()
	case "ini":
		g.iniFile()
	case "binary":
		g.binaryFile()
	}
	if f.Name == "binary" {
		g.paths = []string{`["data"]`}
	}
	c.Doc = Doc{Format: f.Name, Ext: f.Ext, Data: []byte(g.b.String()), Paths: g.paths}
	for k := range g.used {
		c.Doc.Features = append(c.Doc.Features, k)
	}
	slices.Sort(c.Doc.Features)

	// The options use their own stream so that switching a feature off
	// leaves them as they were.
	o := rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, uint64(index)))
	c.EncFormat = f.Name
	switch o.IntN(10) {
	case 0:
		c.EncryptArgs = []string{"--encrypted-regex", pickS(o, "^(a|b|p|s|t)", "pass|token|secret|key", "[13579]$", "x$")}
	case 1:
		c.EncryptArgs = []string{"--unencrypted-regex", pickS(o, "^(a|b)", "pass", "^k", "[13579]$")}
	case 2:
		c.EncryptArgs = []string{"--encrypted-suffix", pickS(o, "_secret", "1", "2", "3")}
	case 3:
		c.EncryptArgs = []string{"--unencrypted-suffix", pickS(o, "_unencrypted", "x", "2")}
	case 4:
		c.EncryptArgs = []string{"--encrypted-comment-regex", pickS(o, "comment", "^ ?sops", "inline")}
	case 5:
		c.EncryptArgs = []string{"--mac-only-encrypted", "--encrypted-regex", pickS(o, "^(a|b|p|s|t)", "pass|token|secret|key", "[13579]$")}
	}
	if o.IntN(6) == 0 && f.Name != "binary" {
		// A type pair on encrypt: the encrypted file is in the output type.
		out := pickS(o, "yaml", "json", "dotenv", "ini", "binary")
		c.EncryptArgs = append(c.EncryptArgs, "--input-type", f.Name, "--output-type", out)
		c.EncFormat = out
	}
	c.Op = Ops[pick(o, []int{3, 3, 3, 2, 4})]
	switch c.Op {
	case "output-type":
		c.OutputType = pickS(o, "yaml", "json", "dotenv", "ini", "binary")
	case "bad":
		c.Bad = BadClasses[o.IntN(len(BadClasses))]
	}
	paths := c.Doc.Paths
	if len(paths) > 0 {
		c.Extract = paths[o.IntN(len(paths))]
		c.SetPath = paths[o.IntN(len(paths))]
		if o.IntN(3) == 0 {
			c.SetPath = `["new_key"]`
		}
		c.UnsetPath = paths[o.IntN(len(paths))]
	}
	c.SetValue = pickS(o, `"new value"`, `5`, `-5`, `1.5`, `true`, `null`, `{"x":1,"y":{"z":"w"}}`, `""`, `"multi\nline"`)
	return c
}

func pick(r *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

func pickS(r *rand.Rand, s ...string) string { return s[r.IntN(len(s))] }

type gen struct {
	r     *rand.Rand
	off   map[string]bool
	used  map[string]bool
	b     strings.Builder
	paths []string
	n     int // key counter, keeps keys unique
	// blocked: a feature switched off was drawn in the current choice.
	blocked bool
	// seed, index and leaves seed the generator of each key and scalar
	// (vr), so that what one leaf draws does not move the others.
	seed, index, leaves uint64
}

// vr returns the random source of the next leaf.
func (g *gen) vr() *rand.Rand {
	g.leaves++
	return rand.New(rand.NewPCG(g.seed^(g.leaves*0x9e3779b97f4a7c15), g.index))
}

// want reports whether to use feature f now (probability 1/n), recording it.
// The random number is always drawn, so switching f off keeps the stream;
// and when f is off but drawn, the other features of the same choice are
// not tried either (the choice falls to its default), so switching one
// feature off does not bring in another.
func (g *gen) want(f string, n int) bool {
	if g.blocked {
		return false
	}
	hit := g.r.IntN(n) == 0
	if hit && g.off[f] {
		g.blocked = true
		return false
	}
	if hit {
		g.used[f] = true
	}
	return hit
}

// want1 is want for a choice of one feature.
func (g *gen) want1(f string, n int) bool {
	g.reset()
	hit := g.want(f, n)
	g.reset()
	return hit
}

// reset starts a new choice (see want).
func (g *gen) reset() { g.blocked = false }

var words = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "password", "token", "secret", "user", "host", "port", "db", "api", "key"}

func word(r *rand.Rand) string { return words[r.IntN(len(words))] }

func (g *gen) word() string { return word(g.vr()) }

func (g *gen) key() string {
	g.n++
	v := g.vr()
	k := fmt.Sprintf("%s%d", word(v), g.n)
	switch g.reset(); {
	case g.want("unicode-key", 15):
		k = pickS(v, "clé", "ключ", "鍵", "naïve_key") + fmt.Sprint(g.n)
	case g.want("suffix-key", 8):
		k += pickS(v, "_secret", "_unencrypted", "x", "2")
	}
	g.reset()
	return k
}

// ---- YAML ----

// yamlScalar returns a YAML scalar as text (on one line).
func (g *gen) yamlScalar() string {
	v := g.vr()
	switch g.reset(); {
	case g.want("yaml-numlike-string", 12):
		return pickS(v, `"123"`, `'0123'`, `"1.50"`, `"0x1F"`, `"1e3"`, `"true"`, `'null'`, `"-0"`)
	case g.want("bool", 12):
		return pickS(v, "true", "false")
	case g.want("yaml-bool-variants", 30):
		return pickS(v, "yes", "no", "True", "FALSE", "on", "off")
	case g.want("null", 14):
		return pickS(v, "null", "~")
	case g.want("timestamp", 16):
		return pickS(v, "2001-12-14t21:59:43.10-05:00", "2002-12-14", "2026-01-02T03:04:05Z")
	case g.want("int", 6):
		return pickS(v, "0", "42", "-7", "1234567890", "-9223372036854775808", "0o17", "0x1f")
	case g.want("bignum", 20):
		return pickS(v, "123456789012345678901234567890", "18446744073709551616", "-99999999999999999999")
	case g.want("float", 10):
		return pickS(v, "3.14", "-0.5", "1e10", "2.5e-3", ".5", "1.0", "6.02E+23")
	case g.want("precise-float", 20):
		return pickS(v, "0.1000000000000000055511151231257827", "3.141592653589793238462643383279", "1.00000000000000001")
	case g.want("yaml-special-float", 40):
		return pickS(v, ".inf", "-.Inf", ".nan")
	case g.want("unicode-value", 10):
		return pickS(v, "héllo wörld", "日本語の値", "emoji 🔐 value", "Ωmega")
	case g.want("yaml-quoted", 8):
		return pickS(v, `"double quoted: with colon"`, `'single ''quoted'''`, `"esc\taped\n"`, `"#not a comment"`)
	case g.want("empty-string", 14):
		return pickS(v, `""`, `''`)
	}
	return word(v) + fmt.Sprint(v.IntN(1000))
}

func (g *gen) yamlFile() {
	if g.want1("bom", 25) {
		g.b.WriteString("\ufeff")
	}
	if g.want1("yaml-comment-top", 4) {
		g.b.WriteString("# top comment\n")
	}
	docs := 1
	if g.want1("yaml-multidoc", 8) {
		docs = 2 + g.r.IntN(2)
		if g.want1("yaml-leading-separator", 2) {
			g.b.WriteString("---\n")
		}
	}
	for d := 0; d < docs; d++ {
		if d > 0 {
			g.b.WriteString("---\n")
			if g.want1("yaml-comment-between-docs", 4) {
				g.b.WriteString("# between documents\n")
			}
		}
		g.yamlMap(0, "", d == 0, 1+g.r.IntN(6))
	}
	if g.want1("yaml-comment-end", 5) {
		g.b.WriteString("# trailing comment\n")
	}
	s := g.b.String()
	if g.want1("crlf", 20) {
		s = strings.ReplaceAll(s, "\n", "\r\n")
	}
	if g.want1("no-final-newline", 12) {
		s = strings.TrimRight(s, "\r\n")
	}
	g.b.Reset()
	g.b.WriteString(s)
}

func (g *gen) yamlMap(depth int, path string, record bool, n int) {
	ind := strings.Repeat("  ", depth)
	anchored := ""
	for i := 0; i < n; i++ {
		if g.want1("yaml-comment-line", 6) {
			fmt.Fprintf(&g.b, "%s# comment %d\n", ind, g.n)
		}
		k := g.key()
		p := path + `["` + k + `"]`
		if record {
			g.paths = append(g.paths, p)
		}
		switch g.reset(); {
		case depth < 6 && g.want("nested", 4):
			if g.want1("yaml-anchor", 10) && anchored == "" {
				anchored = "anc" + fmt.Sprint(g.n)
				fmt.Fprintf(&g.b, "%s%s: &%s\n", ind, k, anchored)
			} else {
				fmt.Fprintf(&g.b, "%s%s:\n", ind, k)
			}
			g.yamlMap(depth+1, p, record, 1+g.r.IntN(3))
		case depth < 6 && g.want("deep-nesting", 40):
			fmt.Fprintf(&g.b, "%s%s:\n", ind, k)
			g.yamlMap(depth+1, p, record, 1)
		case g.want("list", 6):
			fmt.Fprintf(&g.b, "%s%s:\n", ind, k)
			g.yamlList(depth, p, record)
		case g.want("yaml-block-scalar", 8):
			ind2 := ind + "  "
			fmt.Fprintf(&g.b, "%s%s: %s\n", ind, k, pickS(g.r, "|", "|-", "|+", ">", ">-", ">+"))
			for j := 0; j <= g.r.IntN(3); j++ {
				fmt.Fprintf(&g.b, "%s%s line %d\n", ind2, g.word(), j)
			}
			if g.want1("yaml-block-trailing-blank", 3) {
				g.b.WriteString("\n")
			}
		case g.want("yaml-flow", 10):
			fmt.Fprintf(&g.b, "%s%s: %s\n", ind, k, pickS(g.r, "{a: 1, b: two}", "[1, two, 3.5]", "{}", "[]", `{x: [1, {y: z}]}`))
		case anchored != "" && g.want("yaml-alias", 3):
			fmt.Fprintf(&g.b, "%s%s: *%s\n", ind, k, anchored)
		case anchored != "" && depth == 0 && g.want("yaml-merge-key", 3):
			fmt.Fprintf(&g.b, "%s%s:\n%s  <<: *%s\n%s  extra%d: 1\n", ind, k, ind, anchored, ind, g.n)
		case g.want("empty-value", 14):
			fmt.Fprintf(&g.b, "%s%s:\n", ind, k)
		default:
			g.reset()
			fmt.Fprintf(&g.b, "%s%s: %s", ind, k, g.yamlScalar())
			if g.want1("yaml-comment-inline", 8) {
				g.b.WriteString(" # inline")
			}
			g.b.WriteString("\n")
		}
	}
}

func (g *gen) yamlList(depth int, path string, record bool) {
	ind := strings.Repeat("  ", depth)
	if g.want1("yaml-list-indented", 2) {
		ind += "  "
	}
	for j := 0; j <= g.r.IntN(3); j++ {
		p := fmt.Sprintf("%s[%d]", path, j)
		if record {
			g.paths = append(g.paths, p)
		}
		if g.want1("yaml-comment-in-list", 8) {
			fmt.Fprintf(&g.b, "%s# in list\n", ind)
		}
		if depth < 5 && g.want("list-of-maps", 4) {
			fmt.Fprintf(&g.b, "%s- %s: %s\n", ind, g.key(), g.yamlScalar())
			fmt.Fprintf(&g.b, "%s  %s: %s\n", ind, g.key(), g.yamlScalar())
			continue
		}
		fmt.Fprintf(&g.b, "%s- %s\n", ind, g.yamlScalar())
	}
}

// ---- JSON ----

func (g *gen) jsonScalar() string {
	v := g.vr()
	switch g.reset(); {
	case g.want("bool", 10):
		return pickS(v, "true", "false")
	case g.want("null", 12):
		return "null"
	case g.want("int", 6):
		return pickS(v, "0", "42", "-7", "1234567890", "-9223372036854775808")
	case g.want("bignum", 15):
		return pickS(v, "123456789012345678901234567890", "18446744073709551616")
	case g.want("float", 8):
		return pickS(v, "3.14", "-0.5", "1e10", "2.5E-3", "1.0", "0.1")
	case g.want("precise-float", 15):
		return pickS(v, "0.1000000000000000055511151231257827", "3.141592653589793238462643383279")
	case g.want("json-escapes", 6):
		return pickS(v, `"tab\there"`, `"quote\"in"`, `"back\\slash"`, `"\u00e9t\u00e9"`, `"line\nbreak"`, `"slash\/x"`, `"\ud83d\udd10"`)
	case g.want("unicode-value", 10):
		return pickS(v, `"héllo wörld"`, `"日本語"`)
	case g.want("json-numlike-string", 10):
		return pickS(v, `"123"`, `"1.5"`, `"true"`, `"null"`)
	case g.want("empty-string", 12):
		return `""`
	}
	return `"` + word(v) + fmt.Sprint(v.IntN(1000)) + `"`
}

func (g *gen) jsonFile() {
	indent := "  "
	if g.want1("json-indent-4", 4) {
		indent = "    "
	} else if g.want1("json-indent-tab", 4) {
		indent = "\t"
	}
	compact := g.want("json-compact", 6)
	g.jsonObj(0, "", indent, compact, 1+g.r.IntN(6))
	if !g.want("no-final-newline", 8) {
		g.b.WriteString("\n")
	}
}

func (g *gen) jsonObj(depth int, path, indent string, compact bool, n int) {
	nl, in, in2 := "\n", strings.Repeat(indent, depth), strings.Repeat(indent, depth+1)
	if compact {
		nl, in, in2 = "", "", ""
	}
	if depth > 0 && g.want("json-empty-object", 12) {
		g.b.WriteString("{}")
		return
	}
	g.b.WriteString("{" + nl)
	for i := 0; i < n; i++ {
		k := g.key()
		if g.want1("json-key-escape", 20) {
			k += `\u0041`
		}
		p := path + `["` + strings.ReplaceAll(k, `\u0041`, "A") + `"]`
		g.paths = append(g.paths, p)
		fmt.Fprintf(&g.b, `%s"%s": `, in2, k)
		switch g.reset(); {
		case depth < 6 && g.want("nested", 4):
			g.jsonObj(depth+1, p, indent, compact, 1+g.r.IntN(3))
		case g.want("list", 6):
			g.b.WriteString("[")
			m := g.r.IntN(4)
			for j := 0; j < m; j++ {
				if j > 0 {
					g.b.WriteString(", ")
				}
				g.paths = append(g.paths, fmt.Sprintf("%s[%d]", p, j))
				if depth < 5 && g.want("list-of-maps", 4) {
					g.jsonObj(depth+1, fmt.Sprintf("%s[%d]", p, j), indent, true, 1)
				} else {
					g.b.WriteString(g.jsonScalar())
				}
			}
			g.b.WriteString("]")
		default:
			g.reset()
			g.b.WriteString(g.jsonScalar())
		}
		if i < n-1 {
			g.b.WriteString(",")
		}
		g.b.WriteString(nl)
	}
	g.b.WriteString(in + "}")
}

// ---- dotenv ----

func (g *gen) dotenvFile() {
	n := 1 + g.r.IntN(8)
	for i := 0; i < n; i++ {
		if g.want1("dotenv-comment", 5) {
			g.b.WriteString("# a comment\n")
		}
		if g.want1("dotenv-blank-line", 8) {
			g.b.WriteString("\n")
		}
		k := strings.ToUpper(g.key())
		if g.used["unicode-key"] {
			// dotenv keys sops can write are ASCII; keep the feature but
			// not in a key.
			k = fmt.Sprintf("KEY_%d", g.n)
		}
		g.paths = append(g.paths, `["`+k+`"]`)
		if g.want1("dotenv-export", 8) {
			g.b.WriteString("export ")
		}
		vr := g.vr()
		v := word(vr) + fmt.Sprint(vr.IntN(100))
		switch g.reset(); {
		case g.want("dotenv-double-quote", 6):
			v = pickS(vr, `"a b c"`, `"with \"quote\""`, `"multi\nline"`, `"tab\tx"`)
		case g.want("dotenv-single-quote", 8):
			v = pickS(vr, `'single q'`, `'it''s'`, `'$NOT_EXPANDED'`)
		case g.want("dotenv-equals-in-value", 8):
			v = "a=b=c"
		case g.want("empty-value", 10):
			v = ""
		case g.want("unicode-value", 12):
			v = "héllo"
		case g.want("dotenv-spaces", 12):
			v = "  spaced value  "
		case g.want("dotenv-inline-hash", 12):
			v = "value # not a comment?"
		}
		fmt.Fprintf(&g.b, "%s=%s\n", k, v)
	}
	s := g.b.String()
	if g.want1("crlf", 25) {
		s = strings.ReplaceAll(s, "\n", "\r\n")
	}
	if g.want1("no-final-newline", 10) {
		s = strings.TrimRight(s, "\r\n")
	}
	g.b.Reset()
	g.b.WriteString(s)
}

// ---- INI ----

func (g *gen) iniFile() {
	if g.want1("ini-comment-top", 6) {
		g.b.WriteString("; top comment\n")
	}
	if g.want1("ini-default-section", 4) {
		g.iniSection("DEFAULT")
	}
	if g.want1("ini-keys-before-section", 10) {
		g.iniKeys("", 1+g.r.IntN(2))
	}
	n := 1 + g.r.IntN(3)
	for i := 0; i < n; i++ {
		g.n++
		g.iniSection(fmt.Sprintf("%s%d", g.word(), g.n))
	}
	if !g.want("no-final-newline", 10) {
		return
	}
	s := strings.TrimRight(g.b.String(), "\n")
	g.b.Reset()
	g.b.WriteString(s)
}

func (g *gen) iniSection(name string) {
	if g.b.Len() > 0 && g.want("ini-blank-line", 2) {
		g.b.WriteString("\n")
	}
	fmt.Fprintf(&g.b, "[%s]\n", name)
	g.paths = append(g.paths, `["`+name+`"]`)
	g.iniKeys(name, 1+g.r.IntN(4))
}

func (g *gen) iniKeys(section string, n int) {
	for i := 0; i < n; i++ {
		if g.want1("ini-comment", 5) {
			g.b.WriteString(pickS(g.r, "; semicolon comment\n", "# hash comment\n"))
		}
		k := g.key()
		if section != "" {
			g.paths = append(g.paths, `["`+section+`"]["`+k+`"]`)
		}
		switch g.reset(); {
		case g.want("ini-key-without-value", 12):
			fmt.Fprintf(&g.b, "%s\n", k)
		case g.want("empty-value", 12):
			fmt.Fprintf(&g.b, "%s =\n", k)
		case g.want("ini-no-spaces", 4):
			fmt.Fprintf(&g.b, "%s=%s\n", k, g.word())
		case g.want("ini-colon", 12):
			fmt.Fprintf(&g.b, "%s: %s\n", k, g.word())
		case g.want("ini-quoted", 10):
			fmt.Fprintf(&g.b, "%s = \"quoted value\"\n", k)
		case g.want("int", 6):
			fmt.Fprintf(&g.b, "%s = %d\n", k, g.vr().IntN(1000))
		case g.want("unicode-value", 12):
			fmt.Fprintf(&g.b, "%s = héllo\n", k)
		default:
			g.reset()
			fmt.Fprintf(&g.b, "%s = %s %s\n", k, g.word(), g.word())
		}
	}
}

// ---- binary ----

func (g *gen) binaryFile() {
	switch g.reset(); {
	case g.want("binary-random-bytes", 3):
		n := g.r.IntN(200)
		for i := 0; i < n; i++ {
			g.b.WriteByte(byte(g.r.IntN(256)))
		}
	case g.want("empty-file", 10):
	default:
		g.reset()
		for i := 0; i <= g.r.IntN(5); i++ {
			fmt.Fprintf(&g.b, "%s %s\n", g.word(), g.word())
		}
		if g.want1("no-final-newline", 3) {
			s := strings.TrimRight(g.b.String(), "\n")
			g.b.Reset()
			g.b.WriteString(s)
		}
	}
}
