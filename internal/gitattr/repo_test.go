package gitattr

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git")
	}
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	dir := t.TempDir()
	if _, err := Git(context.Background(), dir, "init", "-q", "."); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestAddAttributes(t *testing.T) {
	ctx := context.Background()
	dir := gitRepo(t)
	enc := "a: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops:\n    mac: x\n"
	if err := os.WriteFile(filepath.Join(dir, "s.txt"), []byte(enc), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Git(ctx, dir, "add", "s.txt"); err != nil {
		t.Fatal(err)
	}
	added, err := AddAttributes(ctx, dir, []string{"*.enc.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"*.enc.yaml diff=hull merge=hull", "/s.txt diff=hull merge=hull"}
	if strings.Join(added, "|") != strings.Join(want, "|") {
		t.Errorf("added %q, want %q", added, want)
	}
	if added, err := AddAttributes(ctx, dir, []string{"*.enc.yaml"}); err != nil || len(added) != 0 {
		t.Errorf("second run added %q, %v", added, err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, ".gitattributes"))
	if !bytes.HasPrefix(b, []byte("# hull:")) || bytes.Count(b, []byte("\n")) != 3 {
		t.Errorf(".gitattributes:\n%s", b)
	}
}

func TestInstallUninstallHook(t *testing.T) {
	dir := gitRepo(t)
	path, err := HookPath(context.Background(), dir)
	if err != nil || !filepath.IsAbs(path) {
		t.Fatalf("HookPath = %q, %v", path, err)
	}
	user := []byte("#!/bin/sh\nexit 0\n")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, user, 0o755); err != nil {
		t.Fatal(err)
	}
	script := HookScript("/opt/it's/hull", true)
	if !bytes.Contains(script, []byte(`hull='/opt/it'\''s/hull'`)) || !bytes.Contains(script, []byte("--drift error")) {
		t.Errorf("script:\n%s", script)
	}
	var fe *FileError
	if _, err := InstallHook(path, script, false); !errors.As(err, &fe) || !fe.Write {
		t.Fatalf("a foreign hook was replaced without force: %v", err)
	}
	if res, err := InstallHook(path, script, true); err != nil || res != HookChained {
		t.Fatalf("InstallHook force = %d, %v", res, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("hook mode: %v %v", fi, err)
	}
	if res, err := InstallHook(path, script, false); err != nil || res != HookAlreadyInstalled {
		t.Errorf("second install = %d, %v", res, err)
	}
	if res, err := UninstallHook(path); err != nil || res != HookRestored {
		t.Fatalf("UninstallHook = %d, %v", res, err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, user) {
		t.Errorf("the user's hook was not put back: %q", b)
	}
	if _, err := UninstallHook(path); err == nil {
		t.Error("removed a hook hull did not write")
	}
	os.Remove(path)
	if res, err := UninstallHook(path); err != nil || res != HookNone {
		t.Errorf("no hook: %d, %v", res, err)
	}
}

func TestAbbreviate(t *testing.T) {
	in := "a: ENC[AES256_GCM,data:aGk=,iv:aXY=,tag:dGFn,type:str]\nb: ENC[AES256_GCM,data:aGo=,iv:aXY=,tag:dGFn,type:str]\n    x_hull_mac: v1:c2VjcmV0\n"
	out := string(Abbreviate([]byte(in)))
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "a: ENC[…") || lines[0] == strings.Replace(lines[1], "b:", "a:", 1) || strings.Contains(out, "aGk=") {
		t.Errorf("Abbreviate:\n%s", out)
	}
	if lines[2] != "    x_hull_mac: v1:…" {
		t.Errorf("the hull MAC: %q", lines[2])
	}
}

func TestConfigureGit(t *testing.T) {
	dir := gitRepo(t)
	ctx := context.Background()
	changes, err := ConfigureGit(ctx, dir, false)
	if err != nil || len(changes) != len(GitConfig) || !changes[0].Set {
		t.Fatalf("ConfigureGit = %+v, %v", changes, err)
	}
	if v, _ := Git(ctx, dir, "config", "--get", "diff.hull.cachetextconv"); strings.TrimSpace(v) != "false" {
		t.Errorf("cachetextconv = %q", v)
	}
	changes, err = ConfigureGit(ctx, dir, false)
	for _, ch := range changes {
		if ch.Set {
			t.Errorf("set again: %+v", ch)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
}
