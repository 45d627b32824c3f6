// Package gitattr is hull's git integration below the command line: it
// turns .sops.yaml path_regex values into gitattributes patterns (patterns
// that match at least the paths the regular expression matches), adds the
// .gitattributes lines and git config of 'hull git setup' (repo.go),
// installs and removes the pre-commit hook, and shortens what 'hull diff'
// shows of a file it cannot decrypt (textconv.go). It prints nothing: the
// caller reports what changed.
package gitattr

import (
	"fmt"
	"regexp/syntax"
	"strings"
)

// Escape escapes the characters that are special in a gitattributes
// pattern; a space (which would end the pattern) becomes "?".
func Escape(s string) string {
	var b strings.Builder
	for _, ch := range s {
		switch ch {
		case '*', '?', '[', ']', '\\', '!', '#':
			b.WriteByte('\\')
			b.WriteRune(ch)
		case ' ', '\t':
			b.WriteByte('?')
		default:
			b.WriteRune(ch)
		}
	}
	return b.String()
}

// A glob token: literal text, "*" within a path segment, or anything
// (slashes included).
type gtok struct {
	lit  string
	kind byte // 'l' literal, 's' segment star, 'a' any
}

const maxGlobAlts = 16

// Globs turns a path_regex into gitattributes patterns that match
// at least the paths it matches (more is harmless: hull diff prints a
// plaintext file as it is, and hull merge merges it as text). ok is false
// when the regex uses something that cannot be expressed, or matches every
// path.
func Globs(expr string) ([]string, bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, false
	}
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	startAnchored, endAnchored := false, false
	if len(subs) > 0 && (subs[0].Op == syntax.OpBeginText || subs[0].Op == syntax.OpBeginLine) {
		startAnchored, subs = true, subs[1:]
	}
	if len(subs) > 0 && (subs[len(subs)-1].Op == syntax.OpEndText || subs[len(subs)-1].Op == syntax.OpEndLine) {
		endAnchored, subs = true, subs[:len(subs)-1]
	}
	alts, ok := globConcat(subs)
	if !ok {
		return nil, false
	}
	var out []string
	seen := map[string]bool{}
	for _, a := range alts {
		if !startAnchored {
			a = append([]gtok{{kind: 'a'}}, a...)
		}
		if !endAnchored {
			a = append(a, gtok{kind: 'a'})
		}
		for _, g := range renderGlob(mergeToks(a)) {
			if g == "*" || g == "**" || g == "" || g == "**/*" {
				return nil, false // every path
			}
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		}
	}
	return out, len(out) > 0
}

func globConcat(subs []*syntax.Regexp) ([][]gtok, bool) {
	alts := [][]gtok{nil}
	for _, s := range subs {
		sa, ok := globAlts(s)
		if !ok {
			return nil, false
		}
		var next [][]gtok
		for _, a := range alts {
			for _, b := range sa {
				next = append(next, append(append([]gtok(nil), a...), b...))
			}
		}
		if len(next) > maxGlobAlts {
			return nil, false
		}
		alts = next
	}
	return alts, true
}

func classHasSlash(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return true
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i] <= '/' && '/' <= re.Rune[i+1] {
				return true
			}
		}
		return false
	case syntax.OpLiteral:
		return strings.ContainsRune(string(re.Rune), '/')
	}
	return true
}

func globAlts(re *syntax.Regexp) ([][]gtok, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return nil, false
		}
		return [][]gtok{{{lit: string(re.Rune), kind: 'l'}}}, true
	case syntax.OpEmptyMatch:
		return [][]gtok{nil}, true
	case syntax.OpCapture:
		return globAlts(re.Sub[0])
	case syntax.OpConcat:
		return globConcat(re.Sub)
	case syntax.OpAlternate:
		var out [][]gtok
		for _, s := range re.Sub {
			a, ok := globAlts(s)
			if !ok {
				return nil, false
			}
			out = append(out, a...)
		}
		return out, len(out) <= maxGlobAlts
	case syntax.OpQuest:
		if re.Sub[0].Op == syntax.OpLiteral || re.Sub[0].Op == syntax.OpConcat || re.Sub[0].Op == syntax.OpCapture {
			a, ok := globAlts(re.Sub[0])
			if ok {
				return append(a, nil), true
			}
		}
		fallthrough
	case syntax.OpStar, syntax.OpPlus, syntax.OpRepeat, syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		inner := re
		if len(re.Sub) > 0 {
			inner = re.Sub[0]
		}
		if re.Op == syntax.OpCharClass && len(re.Rune) == 2 && re.Rune[0] == re.Rune[1] {
			return [][]gtok{{{lit: string(re.Rune[0]), kind: 'l'}}}, true
		}
		if classHasSlash(inner) {
			return [][]gtok{{{kind: 'a'}}}, true
		}
		return [][]gtok{{{kind: 's'}}}, true
	}
	return nil, false
}

// mergeToks joins adjacent literals and adjacent wildcards.
func mergeToks(in []gtok) []gtok {
	var out []gtok
	for _, t := range in {
		if t.kind == 'l' && t.lit == "" {
			continue
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.kind == 'l' && t.kind == 'l' {
				last.lit += t.lit
				continue
			}
			if last.kind != 'l' && t.kind != 'l' {
				if t.kind == 'a' {
					last.kind = 'a'
				}
				continue
			}
		}
		out = append(out, t)
	}
	return out
}

// renderGlob writes the tokens as gitattributes patterns; a wildcard that
// may cross directories can need two patterns.
func renderGlob(toks []gtok) []string {
	outs := []string{""}
	for i, t := range toks {
		var variants []string
		switch t.kind {
		case 'l':
			variants = []string{Escape(t.lit)}
		case 's':
			variants = []string{"*"}
		case 'a':
			prevSlash := i > 0 && strings.HasSuffix(toks[i-1].lit, "/")
			nextSlash := i+1 < len(toks) && strings.HasPrefix(toks[i+1].lit, "/")
			restHasSlash := false
			for _, u := range toks[i+1:] {
				if strings.Contains(u.lit, "/") || u.kind == 'a' {
					restHasSlash = true
				}
			}
			switch {
			case i == 0 && !restHasSlash:
				variants = []string{"*"} // a pattern without '/' matches at any depth
			case i == 0 && nextSlash:
				variants = []string{"**"}
			case i == 0:
				variants = []string{"**/*"}
			case i+1 == len(toks) && prevSlash:
				variants = []string{"**"}
			case i+1 == len(toks):
				variants = []string{"*", "*/**"}
			case prevSlash && nextSlash:
				variants = []string{"**"}
			case prevSlash:
				variants = []string{"**/*"}
			case nextSlash:
				variants = []string{"*/**"}
			default:
				variants = []string{"*", "*/**/*"}
			}
		}
		var next []string
		for _, o := range outs {
			for _, v := range variants {
				next = append(next, o+v)
			}
		}
		outs = next
	}
	return outs
}

// QuotePattern writes a pattern as a .gitattributes line needs it: as
// it is, or, when it holds a control character (a file name with CR or LF
// would otherwise end the line and inject attributes) or starts with a
// double quote, in git's C-style quotes ("a\nb"), which git unquotes before
// matching.
func QuotePattern(p string) string {
	needs := strings.HasPrefix(p, `"`)
	for i := 0; i < len(p) && !needs; i++ {
		needs = p[i] < 0x20 || p[i] == 0x7f
	}
	if !needs {
		return p
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(&b, "\\%03o", c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
