package execx

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hullsecrets/hull/formats"
)

// VarsFromMapping turns the scalar children of a mapping into variables:
// values as envValue writes them, with one level of dotenv quotes removed
// when unquote is set. A mapping or list value, or a name or value that
// cannot be a variable, is an error naming the key, never the value.
func VarsFromMapping(m *formats.Node, unquote bool) ([]Var, error) {
	var vars []Var
	for _, n := range m.Children {
		if n.Kind == formats.Comment {
			continue
		}
		if n.Kind != formats.Scalar {
			return nil, fmt.Errorf("cannot use complex value in environment; offending key %q", n.Key)
		}
		v := Var{Name: n.Key, Value: envValue(n)}
		if unquote {
			v.Value = dotenvUnquote(v.Value)
		}
		if err := CheckVar(v); err != nil {
			return nil, fmt.Errorf("key %q cannot be an environment variable: %v", n.Key, err)
		}
		vars = append(vars, v)
	}
	return vars, nil
}

// Disallowed returns the first variable whose name RiskyName refuses and
// that allow does not name, with the reason ("" when there is none).
func Disallowed(vars []Var, allow []string) (name, why string) {
	for _, v := range vars {
		if why := RiskyName(v.Name); why != "" && !slices.Contains(allow, v.Name) {
			return v.Name, why
		}
	}
	return "", ""
}

// envValue is a scalar as an environment value: strings as stored,
// integers as written, floats as sops writes them (1.0 as 1.0, 1.5e300 as
// 1.5E+300), booleans as true/false (as sops), null as an empty value (sops
// writes "<nil>"), times in RFC 3339.
func envValue(n *formats.Node) string {
	switch n.Type {
	case formats.Bool:
		return strings.ToLower(n.Value)
	case formats.Null:
		return ""
	case formats.Float:
		return formats.FloatText(n.Value)
	}
	return n.Value
}

// dotenvUnquote removes one level of matching quotes, as dotenv libraries
// do. Inside double quotes \n, \r, \t, \", \\, \$ and \` are unescaped;
// inside single quotes nothing is. Nothing is ever expanded. (The sops
// dotenv format itself turns \n into a newline in every value.)
func dotenvUnquote(v string) string {
	if len(v) < 2 || v[0] != v[len(v)-1] {
		return v
	}
	switch v[0] {
	case '\'':
		return v[1 : len(v)-1]
	case '"':
		in := v[1 : len(v)-1]
		var b strings.Builder
		for i := 0; i < len(in); i++ {
			if in[i] == '\\' && i+1 < len(in) {
				if r, ok := map[byte]byte{'n': '\n', 'r': '\r', 't': '\t', '"': '"', '\\': '\\', '$': '$', '`': '`'}[in[i+1]]; ok {
					b.WriteByte(r)
					i++
					continue
				}
			}
			b.WriteByte(in[i])
		}
		return b.String()
	}
	return v
}
