package editor

import (
	"errors"
	"fmt"
	"strings"
)

// ErrQuoting is wrapped by the errors of SplitWords.
var ErrQuoting = errors.New("invalid quoting")

// SplitWords splits s into words as a POSIX shell splits a simple command,
// without running a shell: blanks separate words; 'single quotes' keep
// everything literally; "double quotes" keep everything except that a
// backslash escapes $, `, ", \ and a newline; outside quotes a backslash
// keeps the next character (a backslash-newline pair is removed). Nothing is
// expanded: $VAR, ~, globs, ;, | and & are ordinary characters. An
// unterminated quote or a trailing backslash is an error, never a guess.
func SplitWords(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // a word is being built (even an empty one, from "")
	)
	flush := func() {
		if in {
			words = append(words, cur.String())
			cur.Reset()
			in = false
		}
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch ch {
		case ' ', '\t', '\n':
			flush()
		case '\\':
			if i+1 >= len(s) {
				return nil, errorf(ErrQuoting, "trailing backslash")
			}
			i++
			if s[i] != '\n' {
				cur.WriteByte(s[i])
				in = true
			}
		case '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errorf(ErrQuoting, "unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+end])
			in = true
			i += end + 1
		case '"':
			in = true
			i++
			for ; ; i++ {
				if i >= len(s) {
					return nil, errorf(ErrQuoting, "unterminated double quote")
				}
				c := s[i]
				if c == '"' {
					break
				}
				if c == '\\' && i+1 < len(s) {
					switch n := s[i+1]; n {
					case '$', '`', '"', '\\':
						cur.WriteByte(n)
						i++
						continue
					case '\n':
						i++
						continue
					}
				}
				cur.WriteByte(c)
			}
		default:
			cur.WriteByte(ch)
			in = true
		}
	}
	flush()
	return words, nil
}

func errorf(base error, msg string) error {
	return fmt.Errorf("%w: %s", base, msg)
}
