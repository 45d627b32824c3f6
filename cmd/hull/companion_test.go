package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/hullsecrets/hull/sopsenv"
)

// without-companion: runs the script's hull and sops from a PATH where
// hull-kms is not (the test binary is hull-kms in testscript's PATH, next
// to hull): a directory of $WORK holding only hull (a link to, or copy of,
// the test binary, so that hull-kms is not next to it either) and sops.
func cmdWithoutCompanion(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: without-companion")
	}
	dir := filepath.Join(ts.Getenv("WORK"), ".no-hull-kms")
	ts.Check(os.MkdirAll(dir, 0o755))
	target, err := exec.LookPath("hull")
	ts.Check(err)
	hull := filepath.Join(dir, "hull")
	if os.Link(target, hull) != nil {
		data, err := os.ReadFile(target)
		ts.Check(err)
		ts.Check(os.WriteFile(hull, data, 0o755))
	}
	ts.Check(os.Symlink(hull, filepath.Join(dir, "sops")))
	ts.Setenv("PATH", dir)
	ts.Setenv(envCompanion, "")
}

// TestFindCompanion: HULL_KMS_PLUGIN first, then next to hull (also
// through a "sops" symlink to it), then PATH.
func TestFindCompanion(t *testing.T) {
	dir := t.TempDir()
	install, other, pathDir := filepath.Join(dir, "install"), filepath.Join(dir, "links"), filepath.Join(dir, "path")
	for _, d := range []string{install, other, pathDir} {
		os.MkdirAll(d, 0o755)
	}
	exe := filepath.Join(install, "hull")
	writeTestFile(t, exe, "")
	os.Symlink(exe, filepath.Join(other, "sops"))
	kms := filepath.Join(install, "hull-kms")
	inPath := filepath.Join(pathDir, "hull-kms")
	for _, p := range []string{kms, inPath} {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	override := filepath.Join(dir, "override")
	os.WriteFile(override, []byte("#!/bin/sh\n"), 0o755)
	find := func(env map[string]string, exe string) (string, error) {
		return sopsenv.FindCompanion(env2(env).lookup, exe)
	}
	for _, c := range []struct {
		name string
		env  map[string]string
		exe  string
		want string
	}{
		{"override", map[string]string{envCompanion: override, "PATH": pathDir}, exe, override},
		{"next to hull", map[string]string{"PATH": pathDir}, exe, kms},
		{"through the sops symlink", map[string]string{"PATH": pathDir}, filepath.Join(other, "sops"), kms},
		{"PATH", map[string]string{"PATH": pathDir}, filepath.Join(dir, "elsewhere", "hull"), inPath},
	} {
		if got, err := find(c.env, c.exe); err != nil || got != c.want {
			t.Errorf("%s: %q, %v; want %q", c.name, got, err, c.want)
		}
	}
	if _, err := find(map[string]string{envCompanion: filepath.Join(dir, "nope")}, exe); err == nil {
		t.Error("a missing HULL_KMS_PLUGIN was accepted")
	}
	os.Remove(kms)
	if got, err := find(map[string]string{"PATH": filepath.Join(dir, "empty")}, exe); err == nil {
		t.Errorf("found %q with none installed", got)
	}
}

func env2(m map[string]string) env {
	return env{lookup: func(k string) (string, bool) { v, ok := m[k]; return v, ok }}
}

// envCompanion names hull-kms's path in the tests' environments.
const envCompanion = sopsenv.CompanionVar
