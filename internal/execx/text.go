package execx

import (
	"errors"
	"path/filepath"
	"strings"
)

var errBadName = errors.New("must be a plain file name: not empty, no '/', not '.' or '..', no control characters")

// CheckFileName accepts a plain local file name for [Serve].
func CheckFileName(name string) error {
	if name == "" || name == "." || name == ".." || len(name) > 255 {
		return errBadName
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '/' || c == '\\' || c < 0x20 || c == 0x7f {
			return errBadName
		}
	}
	if !filepath.IsLocal(name) {
		return errBadName
	}
	return nil
}

// Var is one environment variable.
type Var struct{ Name, Value string }

// CheckVar reports why a variable cannot be passed to a child: a name that
// is empty or holds '=' or NUL, or a value that holds NUL. The error never
// contains the value.
func CheckVar(v Var) error {
	switch {
	case v.Name == "":
		return errors.New("empty variable name")
	case strings.ContainsRune(v.Name, '='):
		return errors.New("the variable name contains '='")
	case strings.ContainsRune(v.Name, 0):
		return errors.New("the variable name contains a NUL byte")
	case strings.ContainsRune(v.Value, 0):
		return errors.New("the value contains a NUL byte")
	}
	return nil
}

// MergeEnv returns base ("KEY=VALUE" entries) without the variables named
// in drop and without the ones set replaces, followed by set in order (for
// a name given twice in set, the last one wins).
func MergeEnv(base, drop []string, set []Var) []string {
	gone := map[string]bool{}
	for _, d := range drop {
		gone[d] = true
	}
	last := map[string]int{}
	for i, v := range set {
		gone[v.Name] = true
		last[v.Name] = i
	}
	out := []string{}
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if !gone[name] {
			out = append(out, kv)
		}
	}
	for i, v := range set {
		if last[v.Name] == i {
			out = append(out, v.Name+"="+v.Value)
		}
	}
	return out
}

// ShellQuote quotes s for a POSIX shell.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// SubstituteShell replaces every {} in a /bin/sh command string with a
// reference to the environment variable name, quoted for where the {}
// stands, so that the shell inserts the value without ever parsing it as
// code (whatever a file name or TMPDIR contains):
//
//   - outside quotes: "$NAME"
//   - inside double quotes: ${NAME}
//   - inside single quotes: "$NAME" as literal text, which a nested shell
//     (sh -c '… {} …') expands safely; the outer shell does not
//
// A {} after a backslash, or in a '#' comment, is left alone. The scan
// knows quotes, backslashes, $'…', $( … ) and ( … ) nesting and comments,
// not backquotes, here-documents or case patterns: where it guesses a
// context wrong the result can be word-split, but it still cannot run the
// value as code, since the shell never parses the result of an expansion.
func SubstituteShell(cmd, name string) string {
	const (
		plain = iota
		single
		double
		ansi // $'…'
	)
	var b strings.Builder
	state := plain
	var stack []int // the states to return to at each ')' of $( or (
	wordStart := true
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		if c == '{' && i+1 < len(cmd) && cmd[i+1] == '}' {
			switch state {
			case plain:
				b.WriteString(`"$` + name + `"`)
			case double:
				b.WriteString("${" + name + "}")
			default:
				b.WriteString(`"$` + name + `"`)
			}
			i++
			wordStart = false
			continue
		}
		b.WriteByte(c)
		switch state {
		case plain:
			switch {
			case c == '\\' && i+1 < len(cmd):
				i++
				b.WriteByte(cmd[i])
			case c == '\'':
				state = single
			case c == '"':
				state = double
			case c == '$' && i+1 < len(cmd) && cmd[i+1] == '\'':
				i++
				b.WriteByte('\'')
				state = ansi
			case c == '(':
				stack = append(stack, plain)
			case c == ')' && len(stack) > 0:
				state = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			case c == '#' && wordStart:
				end := strings.IndexByte(cmd[i+1:], '\n')
				if end < 0 {
					end = len(cmd) - i - 1
				}
				b.WriteString(cmd[i+1 : i+1+end])
				i += end
			}
			wordStart = strings.IndexByte(" \t\n;&|()<>", c) >= 0
		case single:
			if c == '\'' {
				state = plain
			}
		case ansi:
			if c == '\\' && i+1 < len(cmd) {
				i++
				b.WriteByte(cmd[i])
			} else if c == '\'' {
				state = plain
			}
		case double:
			switch {
			case c == '\\' && i+1 < len(cmd):
				i++
				b.WriteByte(cmd[i])
			case c == '"':
				state = plain
			case c == '$' && i+1 < len(cmd) && cmd[i+1] == '(':
				// $( … ) inside double quotes starts a new context
				i++
				b.WriteByte('(')
				stack = append(stack, double)
				state = plain
				wordStart = true
			}
		}
	}
	return b.String()
}

// SubstituteArgs returns args with every {} inside each argument replaced
// by path. No shell is involved, so nothing needs quoting.
func SubstituteArgs(args []string, path string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, "{}", path)
	}
	return out
}

// riskyNames are variables that change how the child (its dynamic loader,
// its shell) or a nested hull or sops runs; a prefix ends in '*'.
var riskyNames = []string{
	"LD_*", "DYLD_*", "BASH_ENV", "ENV", "PROMPT_COMMAND", "BASH_FUNC_*",
	"SHELLOPTS", "BASHOPTS", "IFS", "PS4", "NODE_OPTIONS", "SOPS_*", "HULL_*",
}

// RiskyName reports why a variable taken from an encrypted file must not
// reach the child without the user's consent, or "" when it may: its name
// changes how the child or hull runs (LD_PRELOAD, BASH_ENV, SOPS_AGE_KEY_CMD
// and the like), or it is not an identifier ([A-Za-z_][A-Za-z0-9_]*). A
// writer of the repository can add such a key to a file whose plain keys
// no MAC covers (mac_only_encrypted), so it is refused in every MAC mode.
func RiskyName(name string) string {
	for _, r := range riskyNames {
		if p, ok := strings.CutSuffix(r, "*"); ok && strings.HasPrefix(name, p) || name == r {
			return "it changes how the command or hull runs"
		}
	}
	for i, c := range name {
		if c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return "it is not an identifier (letters, digits and _, not starting with a digit)"
	}
	if name == "" {
		return "it is empty"
	}
	return ""
}
