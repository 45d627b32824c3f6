package editor

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSplitWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  bool
	}{
		{in: "", want: nil},
		{in: "   ", want: nil},
		{in: "vim", want: []string{"vim"}},
		{in: "code --wait", want: []string{"code", "--wait"}},
		{in: "  code\t--wait  -n ", want: []string{"code", "--wait", "-n"}},
		{in: `'/Applications/My Editor.app/bin/ed' -w`, want: []string{"/Applications/My Editor.app/bin/ed", "-w"}},
		{in: `"/opt/my editor/bin/e" "a \"b\" \$c \\ \x"`, want: []string{"/opt/my editor/bin/e", `a "b" $c \ \x`}},
		{in: `a\ b c`, want: []string{"a b", "c"}},
		{in: `a'b'"c"d`, want: []string{"abcd"}},
		{in: `'' ""`, want: []string{"", ""}},
		{in: `emacs -nw $FILE;rm -rf ~`, want: []string{"emacs", "-nw", "$FILE;rm", "-rf", "~"}},
		{in: "a\\\nb", want: []string{"ab"}},
		{in: `'unterminated`, err: true},
		{in: `"unterminated`, err: true},
		{in: `"ends with escape\"`, err: true},
		{in: `trailing\`, err: true},
	} {
		got, err := SplitWords(tc.in)
		if tc.err {
			if err == nil || !errors.Is(err, ErrQuoting) {
				t.Errorf("SplitWords(%q) = %q, %v; want a quoting error", tc.in, got, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitWords(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// fakeLookPath finds only the named programs, at /bin/NAME.
func fakeLookPath(names ...string) func(string) (string, error) {
	return func(n string) (string, error) {
		for _, x := range names {
			if x == n {
				if strings.Contains(n, "/") {
					return n, nil
				}
				return "/fake/bin/" + n, nil
			}
		}
		return "", errors.New("executable file not found in $PATH")
	}
}

func TestResolve(t *testing.T) {
	vf := strings.Join(VimFlags, "|")
	for _, tc := range []struct {
		name         string
		sops, editor string
		found        []string
		path, args   string // args joined with |
		source       string
		err          string
	}{
		{name: "sops editor wins", sops: "nano", editor: "emacs", found: []string{"nano", "emacs"}, path: "/fake/bin/nano", source: "SOPS_EDITOR"},
		{name: "editor", editor: "emacs -nw", found: []string{"emacs"}, path: "/fake/bin/emacs", args: "-nw", source: "EDITOR"},
		{name: "argument list", editor: "code --wait --new-window", found: []string{"code"}, path: "/fake/bin/code", args: "--wait|--new-window", source: "EDITOR"},
		{name: "blank sops editor is unset", sops: "  ", editor: "ed", found: []string{"ed"}, path: "/fake/bin/ed", source: "EDITOR"},
		{name: "vim gets flags before the user's", editor: "vim -u NONE", found: []string{"vim"}, path: "/fake/bin/vim", args: vf + "|-u|NONE", source: "EDITOR"},
		{name: "nvim", editor: "nvim", found: []string{"nvim"}, path: "/fake/bin/nvim", args: vf, source: "EDITOR"},
		{name: "gvim waits", editor: "gvim", found: []string{"gvim"}, path: "/fake/bin/gvim", args: vf + "|-f", source: "EDITOR"},
		{name: "vim.basic", editor: "vim.basic", found: []string{"vim.basic"}, path: "/fake/bin/vim.basic", args: vf, source: "EDITOR"},
		{name: "defaults in order", found: []string{"vi", "nano"}, path: "/fake/bin/nano", source: "default"},
		{name: "default vim", found: []string{"vi", "nano", "vim"}, path: "/fake/bin/vim", args: vf, source: "default"},
		{name: "plain vi gets no vim flags", found: []string{"vi"}, path: "/fake/bin/vi", source: "default"},
		{name: "nothing found", found: nil, err: "no editor found: set SOPS_EDITOR or EDITOR, or install one of vim, nano, vi"},
		{name: "editor not found is not a fallback", editor: "subl -w", found: []string{"vim"}, err: `$EDITOR: cannot run "subl"`},
		{name: "quoting error", sops: `"code --wait`, found: []string{"code"}, err: "invalid $SOPS_EDITOR: invalid quoting: unterminated double quote"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Resolve(tc.sops, tc.editor, fakeLookPath(tc.found...))
			if tc.err != "" {
				if err == nil || !errors.Is(err, ErrNoEditor) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Path != tc.path || strings.Join(c.Args, "|") != tc.args || c.Source != tc.source {
				t.Fatalf("got %q %q %q, want %q %q %q", c.Path, strings.Join(c.Args, "|"), c.Source, tc.path, tc.args, tc.source)
			}
		})
	}
}

func TestResolveViLinkedToVim(t *testing.T) {
	dir := t.TempDir()
	vim := filepath.Join(dir, "vim.basic")
	if err := os.WriteFile(vim, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	vi := filepath.Join(dir, "vi")
	if err := os.Symlink(vim, vi); err != nil {
		t.Skip("no symlinks:", err)
	}
	c, err := Resolve("", vi, fakeLookPath(vi))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Args, VimFlags) {
		t.Fatalf("args = %q, want the vim flags", c.Args)
	}
}

func TestWithEnv(t *testing.T) {
	got := withEnv([]string{"A=1", "TMPDIR=/tmp", "B=2", "TMPDIR=/x"}, "TMPDIR", "/dev/shm/p")
	want := []string{"A=1", "B=2", "TMPDIR=/dev/shm/p"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := withEnv(nil, "TMPDIR", "/d"); !reflect.DeepEqual(got, []string{"TMPDIR=/d"}) {
		t.Fatalf("got %q", got)
	}
}

func TestSignalErrorExitCode(t *testing.T) {
	e := &SignalError{Signal: os.Interrupt}
	if e.ExitCode() != 130 {
		t.Fatalf("SIGINT exit code %d", e.ExitCode())
	}
}
