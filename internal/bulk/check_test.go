package bulk

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
)

func TestCheckTree(t *testing.T) {
	dir := t.TempDir()
	age := "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m"
	write(t, dir, ".sops.yaml", "creation_rules:\n  - path_regex: ^s/\n    age: "+age+"\nunknown_key: 1\n")
	write(t, dir, "s/plain.yaml", "a: 1\n")
	write(t, dir, "other/code.go", "package x\n")
	write(t, dir, "other/enc.yaml", "a: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n")
	sel := &Selector{WorkDir: dir}
	if err := RequireConfig(sel, []string{dir}); err != nil {
		t.Fatalf("RequireConfig: %v", err)
	}
	files, err := Walk([]string{dir}, sel, Options{Known: func(n string) bool { return strings.HasSuffix(n, ".yaml") }})
	if err != nil {
		t.Fatal(err)
	}
	known := func(n string) bool { return strings.HasSuffix(n, ".yaml") }
	results := Check(context.Background(), files, CheckOptions{File: hull.CheckOptions{NoDecrypt: true}, Known: known})
	status := map[string]string{}
	for _, r := range results {
		status[filepath.Base(r.File)] = r.Status
	}
	if status[".sops.yaml"] != "error" || status["plain.yaml"] != "plaintext" || status["enc.yaml"] == "" || status["code.go"] != "" {
		t.Errorf("statuses: %v", status)
	}
	if w := Worst(results); w != "plaintext" {
		t.Errorf("worst: %q", w)
	}
	if w := Worst(results, "plaintext", "tampered"); w != "error" {
		t.Errorf("worst without plaintext: %q", w)
	}
	covered := Check(context.Background(), files, CheckOptions{File: hull.CheckOptions{NoDecrypt: true}, Known: known, CoveredOnly: true})
	for _, r := range covered {
		if filepath.Base(r.File) == "enc.yaml" {
			t.Error("CoveredOnly checked a file no rule covers")
		}
	}
	empty := t.TempDir()
	write(t, empty, "a.yaml", "a: 1\n")
	var nc *NoConfigError
	if err := RequireConfig(&Selector{WorkDir: empty}, []string{empty}); !errors.As(err, &nc) || nc.Files || nc.Where != empty {
		t.Errorf("a tree without .sops.yaml: %v", err)
	}
	if err := RequireConfig(&Selector{WorkDir: empty}, []string{filepath.Join(empty, "a.yaml")}); !errors.As(err, &nc) || !nc.Files {
		t.Errorf("a file without .sops.yaml: %v", err)
	}
}

func TestCheckSummary(t *testing.T) {
	results := []hull.CheckResult{
		{Status: "ok", Verified: true},
		{Status: "drift", Findings: []hull.CheckFinding{{Kind: hull.FindNoKey}, {Kind: hull.FindRuleDrift}}},
	}
	if got, want := CheckSummary(results), "check: 2 files: 1 ok, 1 drift (MAC verified for 1; 1 with no key at hand: structure only)"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if got, want := CheckSummary(results[:1]), "check: 1 file: 1 ok (MAC verified for 1)"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
