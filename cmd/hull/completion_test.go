package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/internal/clidoc"
)

// testRunner returns a runner named hull whose app() is the live app.
func testRunner() *runner {
	return &runner{
		name:   "hull",
		stdin:  strings.NewReader(""),
		stdout: &bytes.Buffer{},
		stderr: &bytes.Buffer{},
		env:    env{lookup: func(string) (string, bool) { return "", false }},
	}
}

func writeScript(t *testing.T, shell string) string {
	t.Helper()
	for _, s := range clidoc.Shells {
		if s.Name == shell {
			p := filepath.Join(t.TempDir(), "hull."+shell)
			if err := os.WriteFile(p, []byte(s.Gen(testRunner().app())), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	t.Fatalf("no generator for %s", shell)
	return ""
}

func TestCompletionScriptsStart(t *testing.T) {
	for _, s := range clidoc.Shells {
		out := s.Gen(testRunner().app())
		// sops 3.13.3 fixed a leading empty line in its scripts.
		if !strings.HasPrefix(out, "#") {
			t.Errorf("%s script does not start with a comment line: %q", s.Name, out[:min(len(out), 40)])
		}
		if !strings.HasSuffix(out, "\n") || strings.HasSuffix(out, "\n\n") {
			t.Errorf("%s script does not end with exactly one newline", s.Name)
		}
		// every visible command and every flag name is in every script
		cmds, flags := clidoc.Names(testRunner().app())
		for _, n := range cmds {
			if !strings.Contains(out, n) {
				t.Errorf("%s script: command %q missing", s.Name, n)
			}
		}
		for _, n := range flags {
			if !strings.Contains(out, n) {
				t.Errorf("%s script: flag %q missing", s.Name, n)
			}
		}
	}
}

// syntaxCheck runs the shell's parse-only mode on the script, or skips
// when the shell is not installed.
func syntaxCheck(t *testing.T, shell string, args ...string) {
	path, err := exec.LookPath(shell)
	if err != nil {
		t.Skipf("%s is not installed: cannot check the syntax of the %s script", shell, shell)
	}
	script := writeScript(t, shell)
	out, err := exec.Command(path, append(args, script)...).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("%s %s: %v\n%s", shell, strings.Join(args, " "), err, out)
	}
}

func TestCompletionBashSyntax(t *testing.T) { syntaxCheck(t, "bash", "-n") }
func TestCompletionZshSyntax(t *testing.T)  { syntaxCheck(t, "zsh", "-n") }
func TestCompletionFishSyntax(t *testing.T) { syntaxCheck(t, "fish", "--no-execute") }

// TestCompletionBash runs the completion function as bash would.
func TestCompletionBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	script := writeScript(t, "bash")
	cases := []struct {
		words []string // the last one is the word being completed
		want  string
	}{
		{[]string{"hull", "enc"}, "encrypt"},
		{[]string{"hull", "exec-"}, "exec-env exec-file"},
		{[]string{"hull", "completion", ""}, "bash zsh fish"},
		{[]string{"hull", "--verbose", "completion", "z"}, "zsh"},
		{[]string{"hull", "completion", "bash", ""}, ""},
		{[]string{"hull", "encrypt", "--input-type", ""}, "yaml json dotenv ini binary"},
		{[]string{"hull", "decrypt", "--output-type", "j"}, "json"},
		{[]string{"hull", "encrypt", "--input-type", "=", "d"}, "dotenv"},
		{[]string{"hull", "encrypt", "--output-type="}, ""}, // cur is the word "--output-type="
		{[]string{"hull", "decrypt", "--out"}, "--output --output-type"},
		{[]string{"hull", "--age", "age1x", "encrypt", "--in"}, "--in-place --indent --input-type"},
		{[]string{"hull", "-d", "--output-type", "y"}, "yaml"},
		{[]string{"hull", "decrypt", "x.yaml", "enc"}, ""}, // a file, not a command
		{[]string{"hull", "encrypt", "--age", "en"}, ""},   // the value of --age
	}
	for _, c := range cases {
		var b strings.Builder
		b.WriteString("source " + shQuote(script) + "\nCOMP_WORDS=(")
		for _, w := range c.words {
			b.WriteString(shQuote(w) + " ")
		}
		b.WriteString(")\nCOMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n_hull\necho \"${COMPREPLY[*]}\"\n")
		out, err := exec.Command(bash, "--norc", "--noprofile", "-c", b.String()).Output()
		if err != nil {
			t.Fatalf("%q: %v", c.words, err)
		}
		if got := strings.TrimSpace(string(out)); got != c.want {
			t.Errorf("complete %q: got %q, want %q", c.words, got, c.want)
		}
	}
}

// shQuote quotes s for a POSIX shell.
func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
