package execx

import (
	"errors"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	file, argv, command, err := ParseArgs("exec-env", []string{"s.yaml", "echo $A"})
	if err != nil || file != "s.yaml" || argv != nil || command != "echo $A" {
		t.Errorf("shell form: %q %q %q %v", file, argv, command, err)
	}
	file, argv, command, err = ParseArgs("exec-env", []string{"s.yaml", "--", "env", "-0"})
	if err != nil || file != "s.yaml" || strings.Join(argv, " ") != "env -0" || command != "" {
		t.Errorf("argv form: %q %q %q %v", file, argv, command, err)
	}
	for _, args := range [][]string{nil, {"s.yaml"}, {"s.yaml", "--"}, {"s.yaml", "echo", "a"}} {
		_, _, _, err := ParseArgs("exec-file", args)
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "exec-file FILE -- PROGRAM") {
			t.Errorf("ParseArgs(%q) = %v", args, err)
		}
	}
}

func TestModeOf(t *testing.T) {
	for _, tc := range []struct {
		bg, same bool
		want     Mode
		err      error
	}{{false, false, Foreground, nil}, {true, false, Background, nil}, {false, true, SameProcess, nil}, {true, true, Foreground, ErrModes}} {
		if m, err := ModeOf(tc.bg, tc.same); m != tc.want || err != tc.err {
			t.Errorf("ModeOf(%t, %t) = %v, %v", tc.bg, tc.same, m, err)
		}
	}
}

func TestFileName(t *testing.T) {
	for _, tc := range []struct {
		name string
		exts []string
		want string
		ok   bool
	}{
		{"", []string{".yaml", ".yml"}, "tmp-file.yaml", true},
		{"", nil, "tmp-file", true},
		{"app.env", []string{".yaml"}, "app.env", true},
		{"../x", nil, "../x", false},
	} {
		got, err := FileName(tc.name, tc.exts)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("FileName(%q, %q) = %q, %v", tc.name, tc.exts, got, err)
		}
	}
}

func TestEnviron(t *testing.T) {
	lookup := func(n string) (string, bool) {
		v, ok := map[string]string{"A": "1", "B": "run's"}[n]
		return v, ok
	}
	got := Environ([]string{"A=0", "B=x=y", "C=3"}, lookup)
	if strings.Join(got, "|") != "A=1|B=run's" {
		t.Errorf("Environ = %q", got)
	}
}
