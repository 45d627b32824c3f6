package execx

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/formats"
)

func TestCheckFileName(t *testing.T) {
	for _, ok := range []string{"tmp-file", "x;echo PWN;#", "a b $(x) `y`", ".env", "-rf", "..x"} {
		if err := CheckFileName(ok); err != nil {
			t.Errorf("CheckFileName(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "../x", "/etc/x", "a/../../x", "a/b", `a\b`, "a\nb", "a\x00b", strings.Repeat("x", 256)} {
		if err := CheckFileName(bad); err == nil {
			t.Errorf("CheckFileName(%q) = nil, want an error", bad)
		}
	}
}

func TestCheckVar(t *testing.T) {
	for _, v := range []Var{{"", "x"}, {"A=B", "x"}, {"A\x00", "x"}, {"A", "x\x00y"}} {
		err := CheckVar(v)
		if err == nil {
			t.Errorf("CheckVar(%q) = nil", v)
		} else if strings.Contains(err.Error(), "x") && v.Name != "" && strings.Contains(v.Value, "y") {
			t.Errorf("CheckVar error echoes the value: %v", err)
		}
	}
	if err := CheckVar(Var{"A", "it's \"x\"\n$HOME"}); err != nil {
		t.Error(err)
	}
}

func TestMergeEnv(t *testing.T) {
	base := []string{"PATH=/bin", "SOPS_AGE_KEY=secret", "HOME=/root", "A=old", "NOEQ"}
	got := MergeEnv(base, []string{"SOPS_AGE_KEY"}, []Var{{"A", "new"}, {"B", "1"}, {"B", "2"}})
	want := []string{"PATH=/bin", "HOME=/root", "NOEQ", "A=new", "B=2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MergeEnv = %q, want %q", got, want)
	}
	// the file may define a scrubbed variable itself
	got = MergeEnv(base, []string{"SOPS_AGE_KEY"}, []Var{{"SOPS_AGE_KEY", "mine"}})
	if got[len(got)-1] != "SOPS_AGE_KEY=mine" || len(got) != 5 {
		t.Errorf("MergeEnv = %q", got)
	}
	if got := MergeEnv(nil, nil, nil); got == nil || len(got) != 0 {
		t.Errorf("MergeEnv(nil) = %#v, want an empty non-nil slice", got)
	}
}

func TestShellQuote(t *testing.T) {
	for _, s := range []string{"", "a b", "it's", "'", `"$(x)"`, "a\nb"} {
		out, err := exec.Command("/bin/sh", "-c", "printf %s "+ShellQuote(s)).Output()
		if err != nil || string(out) != s {
			t.Errorf("ShellQuote(%q): sh printed %q, %v", s, out, err)
		}
	}
}

// TestSubstituteShell runs the result in /bin/sh with a path full of shell
// metacharacters: every {} must print exactly the path (or, inside single
// quotes, the text "$HULL_FILE") and nothing must run.
func TestSubstituteShell(t *testing.T) {
	dir := t.TempDir()
	canary := filepath.Join(dir, "pwned")
	path := "/tmp/a b;touch " + canary + ";'\"$(touch " + canary + ")`touch " + canary + "`*?{}\\"
	cases := []struct{ cmd, want string }{
		{`printf '[%s]' {}`, "[" + path + "]"},
		{`printf '[%s]' "{}"`, "[" + path + "]"},
		{`printf '[%s]' "x{}y"`, "[x" + path + "y]"},
		{`printf '[%s]' x{}y`, "[x" + path + "y]"},
		{`printf '[%s]' '{}'`, `["$HULL_FILE"]`},
		{`sh -c 'printf "[%s]" {}'`, "[" + path + "]"},
		{`printf '[%s]' "$(printf %s "{}")"`, "[" + path + "]"},
		{`printf '[%s]' "$(printf %s "$(printf %s {})")"`, "[" + path + "]"},
		{`printf '[%s]' $'{}'`, ""}, // dash has no $'…': only check that nothing runs
		{`printf '[%s]' \{}`, "[{}]"},
		{"printf '[%s]' {} # it's {}\nprintf '[%s]' {}", "[" + path + "][" + path + "]"},
		{`(printf '[%s]' {})`, "[" + path + "]"},
		{`printf '[%s]' "a\"{}"`, `[a"` + path + "]"},
	}
	for _, c := range cases {
		cmd := exec.Command("/bin/sh", "-c", SubstituteShell(c.cmd, "HULL_FILE"))
		cmd.Env = []string{"HULL_FILE=" + path, "PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		if err != nil || (c.want != "" && string(out) != c.want) {
			t.Errorf("%s\n  became %s\n  printed %q (%v), want %q", c.cmd, SubstituteShell(c.cmd, "HULL_FILE"), out, err, c.want)
		}
		if _, err := os.Stat(canary); err == nil {
			t.Fatalf("%s: the path was run as code", c.cmd)
		}
	}
}

func TestSubstituteArgs(t *testing.T) {
	got := SubstituteArgs([]string{"{}", "--file={}", "x", "{}{}"}, "/p q")
	want := []string{"/p q", "--file=/p q", "x", "/p q/p q"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SubstituteArgs = %q, want %q", got, want)
	}
}

// docs/TRUST.md rule 18: names that change how the child or hull runs, or
// that are not identifiers, are risky; ordinary names are not.
func TestRiskyName(t *testing.T) {
	for _, n := range []string{"LD_PRELOAD", "LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES", "BASH_ENV", "ENV", "PROMPT_COMMAND",
		"BASH_FUNC_x%%", "SOPS_AGE_KEY_CMD", "SOPS_CONFIG", "HULL_REQUIRE_STRICT_MAC", "IFS", "NODE_OPTIONS", "my-var", "1ABC", "a b", ""} {
		if RiskyName(n) == "" {
			t.Errorf("%q is not risky", n)
		}
	}
	for _, n := range []string{"DATABASE_URL", "password", "_x", "A1", "ENVIRONMENT", "LDAP_URL", "SOPSY", "HULLO"} {
		if why := RiskyName(n); why != "" {
			t.Errorf("%q is risky: %s", n, why)
		}
	}
}

func TestVarsFromMappingAndDisallowed(t *testing.T) {
	m := &formats.Node{Kind: formats.Mapping, Children: []*formats.Node{
		{Kind: formats.Scalar, Key: "A", Type: formats.String, Value: `"x\ty"`},
		{Kind: formats.Scalar, Key: "B", Type: formats.Bool, Value: "True"},
		{Kind: formats.Scalar, Key: "BASH_ENV", Type: formats.String, Value: "/e"},
	}}
	vars, err := VarsFromMapping(m, true)
	if err != nil || len(vars) != 3 || vars[0].Value != "x\ty" || vars[1].Value != "true" {
		t.Fatalf("VarsFromMapping = %+v, %v", vars, err)
	}
	if name, _ := Disallowed(vars, nil); name != "BASH_ENV" {
		t.Errorf("Disallowed = %q", name)
	}
	if name, _ := Disallowed(vars, []string{"BASH_ENV"}); name != "" {
		t.Errorf("Disallowed with allow = %q", name)
	}
}
