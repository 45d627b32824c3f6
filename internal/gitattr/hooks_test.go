package gitattr

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInstallUninstall(t *testing.T) {
	ctx := context.Background()
	dir := gitRepo(t)
	hook := filepath.Join(dir, ".git", "hooks", "pre-commit")
	say := func(rep *HookReport, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(rep.Lines(), "\n")
	}
	if got := say(Install(ctx, dir, "/opt/hull", true, false)); got != "installed "+hook {
		t.Errorf("install: %q", got)
	}
	if b, _ := os.ReadFile(hook); !strings.Contains(string(b), "/opt/hull") || !strings.Contains(string(b), "--drift error") {
		t.Errorf("the hook does not run the given program with --drift error:\n%s", b)
	}
	if got := say(Install(ctx, dir, "/opt/hull", true, false)); got != hook+" is already installed" {
		t.Errorf("again: %q", got)
	}
	if got := say(Uninstall(ctx, dir)); got != "removed "+hook {
		t.Errorf("uninstall: %q", got)
	}
	if got := say(Uninstall(ctx, dir)); got != "no pre-commit hook installed" {
		t.Errorf("uninstall again: %q", got)
	}
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho mine\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Install(ctx, dir, "", false, false); err == nil {
		t.Error("install over a foreign hook without force")
	}
	got := say(Install(ctx, dir, "", false, true))
	if want := "installed " + hook + "\nyour previous hook is kept as " + filepath.Join(filepath.Dir(hook), ChainedHook) + " and runs first; 'hull hooks uninstall' puts it back"; got != want {
		t.Errorf("install with force: %q, want %q", got, want)
	}
	if got := say(Uninstall(ctx, dir)); got != "removed hull's hook and put back "+hook+" from "+ChainedHook {
		t.Errorf("uninstall restores: %q", got)
	}
	if _, err := Install(ctx, t.TempDir(), "", false, false); err == nil {
		t.Error("install outside a repository")
	}
}

func TestSetupReportLines(t *testing.T) {
	rep := &SetupReport{Attributes: ".gitattributes", Added: []string{"*.enc.yaml diff=hull merge=hull"}, Where: ".git/config",
		Changes: []ConfigChange{{Key: "diff.hull.textconv", Value: "hull diff", Set: true}, {Key: "merge.hull.name", Value: "hull", Set: false}}}
	want := ".gitattributes: added \"*.enc.yaml diff=hull merge=hull\"\n.git/config: set diff.hull.textconv = \"hull diff\"\n.git/config: merge.hull.name is already \"hull\""
	if got := strings.Join(rep.Lines(), "\n"); got != want {
		t.Errorf("Lines:\n%s\nwant\n%s", got, want)
	}
	rep.Added, rep.UpToDate, rep.Changes = nil, true, nil
	if got := strings.Join(rep.Lines(), "\n"); got != ".gitattributes: up to date" {
		t.Errorf("up to date: %q", got)
	}
}
