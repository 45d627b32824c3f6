// Parts of this file are derived from go.yaml.in/yaml/v3 v3.0.4, resolve.go:
//
// Copyright (c) 2011-2019 Canonical Ltd
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

package yaml

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file mirrors the plain-scalar resolution of go.yaml.in/yaml/v3
// v3.0.4 (resolve.go) without its reflection: which tag an unquoted scalar gets,
// and the integer and timestamp forms it accepts. Parse uses it to type
// scalars; both emitters use it to decide whether a string must be quoted.

const (
	tagNull      = "!!null"
	tagBool      = "!!bool"
	tagStr       = "!!str"
	tagInt       = "!!int"
	tagFloat     = "!!float"
	tagTimestamp = "!!timestamp"
	tagBinary    = "!!binary"
	tagMerge     = "!!merge"
)

var resolveHint = func() (t [256]byte) {
	t['+'], t['-'] = 'S', 'S'
	for c := '0'; c <= '9'; c++ {
		t[c] = 'D'
	}
	for _, c := range "yYnNtTfFoO~" {
		t[c] = 'M'
	}
	t['.'] = '.'
	return t
}()

var resolveFixed = map[string]string{
	"true": tagBool, "True": tagBool, "TRUE": tagBool,
	"false": tagBool, "False": tagBool, "FALSE": tagBool,
	"": tagNull, "~": tagNull, "null": tagNull, "Null": tagNull, "NULL": tagNull,
	".nan": tagFloat, ".NaN": tagFloat, ".NAN": tagFloat,
	".inf": tagFloat, ".Inf": tagFloat, ".INF": tagFloat,
	"+.inf": tagFloat, "+.Inf": tagFloat, "+.INF": tagFloat,
	"-.inf": tagFloat, "-.Inf": tagFloat, "-.INF": tagFloat,
	"<<": tagMerge,
}

// floatSpecial maps the YAML spellings of infinities and NaN to the
// canonical Float values of the tree.
var floatSpecial = map[string]string{
	".nan": "NaN", ".NaN": "NaN", ".NAN": "NaN",
	".inf": "+Inf", ".Inf": "+Inf", ".INF": "+Inf",
	"+.inf": "+Inf", "+.Inf": "+Inf", "+.INF": "+Inf",
	"-.inf": "-Inf", "-.Inf": "-Inf", "-.INF": "-Inf",
}

// isYAMLStyleFloat reports whether s has the form of yaml.v3's float
// pattern, ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$, without
// a regular expression (compiling one cost more than decrypting a small
// file; resolve_test.go checks the two agree).
func isYAMLStyleFloat(s string) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	} else {
		if digits() == 0 {
			return false
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

var base60float = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`) })

// resolvePlain returns the tag yaml.v3 gives s as an unquoted scalar.
func resolvePlain(s string) string {
	hint := byte('N')
	if s != "" {
		hint = resolveHint[s[0]]
	}
	if hint == 0 {
		return tagStr
	}
	if tag, ok := resolveFixed[s]; ok {
		return tag
	}
	switch hint {
	case '.':
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return tagFloat
		}
	case 'D', 'S':
		if _, ok := parseTimestamp(s); ok {
			return tagTimestamp
		}
		if _, _, ok := parseInt(s); ok {
			return tagInt
		}
		plain := strings.ReplaceAll(s, "_", "")
		if isYAMLStyleFloat(plain) {
			if _, err := strconv.ParseFloat(plain, 64); err == nil {
				return tagFloat
			}
		}
	}
	return tagStr
}

// parseInt parses an integer as yaml.v3 does. It returns the decimal digits
// and whether the value fits in an int64.
func parseInt(s string) (digits string, fits, ok bool) {
	if s == "" {
		return "", false, false
	}
	plain := strings.ReplaceAll(s, "_", "")
	if intDigits(plain) {
		if v, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return strconv.FormatInt(v, 10), true, true
		}
		if v, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return strconv.FormatUint(v, 10), false, true
		}
	}
	if isYAMLStyleFloat(plain) {
		return "", false, false
	}
	for _, p := range []struct {
		prefix string
		base   int
	}{{"0b", 2}, {"0o", 8}} {
		if strings.HasPrefix(plain, p.prefix) {
			if v, err := strconv.ParseInt(plain[2:], p.base, 64); err == nil {
				return strconv.FormatInt(v, 10), true, true
			}
			if v, err := strconv.ParseUint(plain[2:], p.base, 64); err == nil {
				return strconv.FormatUint(v, 10), false, true
			}
			return "", false, false
		}
		if strings.HasPrefix(plain, "-"+p.prefix) {
			if v, err := strconv.ParseInt("-"+plain[3:], p.base, 64); err == nil {
				return strconv.FormatInt(v, 10), true, true
			}
			return "", false, false
		}
	}
	return "", false, false
}

// intDigits reports whether s, without underscores, has the syntax
// strconv.ParseInt and ParseUint accept with base 0 (a sign for ParseInt,
// then a 0x, 0o or 0b prefix, or a leading 0 for octal, then digits of
// that base). parseInt asks it first: strconv allocates an error for each
// failure, and most plain scalars that start with a digit (hex keys,
// versions, floats) are not integers.
func intDigits(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	max := byte('9')
	if len(s) > 1 && s[0] == '0' {
		switch s[1] {
		case 'x', 'X':
			s, max = s[2:], 0
		case 'o', 'O':
			s, max = s[2:], '7'
		case 'b', 'B':
			s, max = s[2:], '1'
		default:
			s, max = s[1:], '7'
		}
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if max == 0 {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		} else if c < '0' || c > max {
			return false
		}
	}
	return true
}

var timestampFormats = []string{
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

// parseTimestamp parses the timestamp forms yaml.v3 accepts.
func parseTimestamp(s string) (time.Time, bool) {
	i := 0
	for ; i < len(s); i++ {
		if c := s[i]; c < '0' || c > '9' {
			break
		}
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return time.Time{}, false
	}
	for _, f := range timestampFormats {
		if t, err := time.Parse(f, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// isOldBool reports YAML 1.1 booleans, which yaml.v3 quotes on output.
func isOldBool(s string) bool {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "off", "Off", "OFF":
		return true
	}
	return false
}

func isBase60Float(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	if !(c == '+' || c == '-' || c >= '0' && c <= '9') || strings.IndexByte(s, ':') < 0 {
		return false
	}
	return base60float().MatchString(s)
}
