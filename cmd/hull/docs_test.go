package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/internal/clidoc"
)

// TestDocsUpToDate renders the man page and the Markdown reference from the
// live app and compares them with the committed files.
func TestDocsUpToDate(t *testing.T) {
	for _, d := range []struct {
		file string
		gen  func() string
	}{
		{"hull.1", func() string { return clidoc.Man(testRunner().app(), docExits(), docGlobals()) }},
		{"reference.md", func() string { return clidoc.Markdown(testRunner().app(), docExits(), docGlobals()) }},
	} {
		want := d.gen()
		if again := d.gen(); again != want {
			t.Fatalf("docs/%s: rendering is not deterministic", d.file)
		}
		got, err := os.ReadFile(filepath.Join("..", "..", "docs", d.file))
		if err != nil {
			t.Errorf("docs/%s: %v: run make docs", d.file, err)
			continue
		}
		if string(got) != want {
			t.Errorf("docs/%s differs from the command definitions (first difference at line %d): run make docs", d.file, firstDiffLine(string(got), want))
		}
	}
}

func firstDiffLine(a, b string) int {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}

func TestDocsContent(t *testing.T) {
	man := clidoc.Man(testRunner().app(), docExits(), docGlobals())
	md := clidoc.Markdown(testRunner().app(), docExits(), docGlobals())
	for _, sec := range []string{".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH COMMANDS", ".SH ENVIRONMENT", ".SH EXIT STATUS", ".SH SEE ALSO"} {
		if !strings.Contains(man, "\n"+sec+"\n") {
			t.Errorf("man page: no %s", sec)
		}
	}
	for _, e := range exitCodes {
		if !strings.Contains(man, "\n.B "+strconv.Itoa(e.code)+"\n") {
			t.Errorf("man page: exit code %d missing", e.code)
		}
		if !strings.Contains(md, "\n| "+strconv.Itoa(e.code)+" | ") {
			t.Errorf("reference.md: exit code %d missing", e.code)
		}
	}
	for _, c := range testRunner().app().Commands {
		if c.Hidden {
			if strings.Contains(md, "### hull "+c.Name+"\n") {
				t.Errorf("reference.md documents the hidden command %s", c.Name)
			}
			continue
		}
		if !strings.Contains(man, `.SS "hull `+clidoc.Roff(c.Name)+`"`) {
			t.Errorf("man page: command %s missing", c.Name)
		}
		if !strings.Contains(md, "### hull "+c.Name+"\n") {
			t.Errorf("reference.md: command %s missing", c.Name)
		}
	}
	if strings.Contains(man, "\n\n") {
		t.Error("man page has an empty line (roff prints it as a blank line)")
	}
	for _, l := range strings.Split(man, "\n") {
		if strings.HasPrefix(l, "'") {
			t.Errorf("man page: line starts with a quote (a roff control line): %q", l)
		}
	}
}

// TestManPageGroff formats the man page with groff's warnings on.
func TestManPageGroff(t *testing.T) {
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff is not installed: cannot check the man page with it")
	}
	cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
	cmd.Stdin = strings.NewReader(clidoc.Man(testRunner().app(), docExits(), docGlobals()))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("groff: %v\n%s", err, stderr.String())
	}
}
