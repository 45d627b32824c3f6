package yaml

import (
	"errors"
	"regexp"
	"strconv"
	"testing"
)

// yamlFloatPattern is yaml.v3's float pattern, which isYAMLStyleFloat
// implements by hand.
var yamlFloatPattern = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

func TestIsYAMLStyleFloatMatchesPattern(t *testing.T) {
	cases := []string{
		"", "0", "1", "-1", "+1", "1.", "1.5", ".5", "-.5", "+.5", ".", "-", "+", "-.", "+.",
		"1e5", "1E5", "1e+5", "1e-5", "1.5e5", ".5e5", "1.e5", "e5", "1e", "1e+", "1e-",
		"1.5.5", "1e5e5", "1e5.5", "0x1", "1_000", "1 ", " 1", "١", "1.5E+10", "--1", "+-1", "1..",
		"12345678901234567890.12345678901234567890e123", ".e5", "-e5", "1.5e", "NaN", "inf",
	}
	// Every string of up to four characters over the alphabet the pattern
	// cares about, plus one it does not.
	alphabet := []byte("0.e+-x")
	var gen func(prefix []byte, n int)
	gen = func(prefix []byte, n int) {
		cases = append(cases, string(prefix))
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(append(prefix, c), n-1)
		}
	}
	gen(nil, 5)
	for _, s := range cases {
		if got, want := isYAMLStyleFloat(s), yamlFloatPattern.MatchString(s); got != want {
			t.Errorf("isYAMLStyleFloat(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}

func FuzzIsYAMLStyleFloat(f *testing.F) {
	for _, s := range []string{"1.5e5", ".5", "-1.", "1e+", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isYAMLStyleFloat(s), yamlFloatPattern.MatchString(s); got != want {
			t.Errorf("isYAMLStyleFloat(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}

// intDigits must never refuse what strconv parses with base 0: parseInt
// skips strconv when it says no.
func TestIntDigitsCoversStrconv(t *testing.T) {
	alphabet := []byte("0179afFxXoObB+-.e")
	check := func(s string) {
		_, errI := strconv.ParseInt(s, 0, 64)
		_, errU := strconv.ParseUint(s, 0, 64)
		syntaxOK := func(err error) bool { return err == nil || errors.Is(err, strconv.ErrRange) }
		if (syntaxOK(errI) || syntaxOK(errU)) && !intDigits(s) {
			t.Errorf("intDigits(%q) = false, but strconv reads it (%v, %v)", s, errI, errU)
		}
	}
	var gen func(prefix []byte, n int)
	gen = func(prefix []byte, n int) {
		check(string(prefix))
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(append(prefix, c), n-1)
		}
	}
	gen(nil, 5)
	for _, s := range []string{"9223372036854775807", "9223372036854775808", "18446744073709551616", "-0x8000000000000000", "0o777", "0777", "0b1011", "+0x1F"} {
		check(s)
	}
	// And it says no to the common non-integers.
	for _, s := range []string{"89344f0a1e", "1.75", "3.15", "2024-01-01", "1e5", "08", "0x", "-", ""} {
		if intDigits(s) {
			t.Errorf("intDigits(%q) = true", s)
		}
	}
}
