package bulk

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
)

func TestCheckTreeOrchestrates(t *testing.T) {
	dir := t.TempDir()
	age := "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m"
	write(t, dir, ".sops.yaml", "creation_rules:\n  - path_regex: s/\n    age: "+age+"\n")
	write(t, dir, "s/plain.yaml", "a: 1\n")
	asked := 0
	o := TreeCheck{Roots: []string{dir}, Config: filepath.Join(dir, ".sops.yaml"), Warn: func(w string) { t.Errorf("warning: %s", w) },
		Options: func() (hull.CheckOptions, error) { asked++; return hull.CheckOptions{NoDecrypt: true}, nil }}
	rep, err := CheckTree(context.Background(), o)
	if err != nil || asked != 1 || rep.Worst != "plaintext" || len(rep.Results) != 1 || rep.NoConfig {
		t.Fatalf("CheckTree = %+v, %v (options asked %d times)", rep, err, asked)
	}

	o.Options = func() (hull.CheckOptions, error) { return hull.CheckOptions{}, errors.New("no identities") }
	if _, err := CheckTree(context.Background(), o); err == nil || err.Error() != "no identities" {
		t.Errorf("an error of Options: %v", err)
	}

	empty := t.TempDir()
	write(t, empty, "a.yaml", "a: 1\n")
	o = TreeCheck{Roots: []string{filepath.Join(empty, "a.yaml")}, Warn: func(string) {},
		Options: func() (hull.CheckOptions, error) {
			t.Error("Options asked without a config")
			return hull.CheckOptions{}, nil
		}}
	var nc *NoConfigError
	if _, err := CheckTree(context.Background(), o); !errors.As(err, &nc) || !nc.Files || !strings.Contains(err.Error(), "nothing was checked") {
		t.Errorf("no config: %v", err)
	}
	o.PreCommit = true
	if rep, err := CheckTree(context.Background(), o); err != nil || !rep.NoConfig {
		t.Errorf("no config before a commit: %+v, %v", rep, err)
	}

	o.Roots = []string{filepath.Join(empty, "missing")}
	var we *WalkError
	if _, err := CheckTree(context.Background(), o); !errors.As(err, &we) || !strings.HasPrefix(err.Error(), "cannot walk: ") || strings.Contains(err.Error(), empty) {
		t.Errorf("a missing root: %v", err)
	}
	o.Roots, o.Config = []string{empty}, filepath.Join(empty, "nope.yaml")
	if _, err := CheckTree(context.Background(), o); !errors.As(err, new(*ConfigError)) {
		t.Errorf("a config that cannot be read: %v", err)
	}
}

func TestSummaryErr(t *testing.T) {
	if err := (Summary{Total: 3, Changed: 3}).Err("rotate"); err != nil {
		t.Errorf("no failure: %v", err)
	}
	if err := (Summary{Total: 3, Failed: 2}).Err("rotate"); err == nil || err.Error() != "rotate failed for 2 of 3 files (see the errors above)" {
		t.Errorf("two failures: %v", err)
	}
}

func TestKnownFormat(t *testing.T) {
	for name, want := range map[string]bool{"a.yaml": true, "b.enc.json": true, ".env": true, "c.ini": true, "main.go": false, "README": false} {
		if got := KnownFormat(name); got != want {
			t.Errorf("KnownFormat(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestWalkTreeDefaultRoot(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, ".sops.yaml", "creation_rules:\n  - path_regex: s/\n    age: age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m\n")
	write(t, dir, "s/a.yaml", "a: 1\n")
	t.Chdir(dir)
	files, _, err := WalkTree(nil, "", func(w string) { t.Errorf("warning: %s", w) })
	if err != nil || len(Selected(files)) != 1 || Selected(files)[0].Path != filepath.Join("s", "a.yaml") {
		t.Fatalf("WalkTree(nil) = %+v, %v", files, err)
	}
}

func TestWriteCheckJSON(t *testing.T) {
	var b strings.Builder
	if err := WriteCheckJSON(&b, []hull.CheckResult{{File: "a.yaml", Status: "ok", Verified: true}}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "[\n  {\n    \"file\": \"a.yaml\",\n    \"status\": \"ok\",") || !strings.HasSuffix(b.String(), "]\n") {
		t.Errorf("WriteCheckJSON:\n%s", b.String())
	}
}

func TestDriftWarns(t *testing.T) {
	for _, tc := range []struct {
		drift     string
		preCommit bool
		want      bool
	}{{"", false, false}, {"", true, true}, {"warn", false, true}, {"error", true, false}} {
		if got, err := DriftWarns(tc.drift, tc.preCommit); got != tc.want || err != nil {
			t.Errorf("DriftWarns(%q, %t) = %t, %v", tc.drift, tc.preCommit, got, err)
		}
	}
	if _, err := DriftWarns("loud", false); err == nil || err.Error() != `--drift "loud": want warn or error` {
		t.Errorf("a bad value: %v", err)
	}
}
