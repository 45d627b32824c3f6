package scan

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunBaselineRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
	t.Chdir(dir) // the paths of ModeFiles are relative to the working directory
	if err := os.WriteFile(filepath.Join(dir, "app.txt"), []byte("key = AKIAZ4QW7RT2XK9PLM3B\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := Run(ctx, RunOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if rep.InGit || len(rep.Findings) != 1 || rep.Findings[0].Kind != KindAWSAccessKeyID {
		t.Fatalf("report %+v", rep.Findings)
	}
	rep, err = Run(ctx, RunOptions{Dir: dir, UpdateBaseline: true})
	if err != nil || rep.Written == nil || len(rep.Written.Accepted) != 1 || rep.Written.Key == "" {
		t.Fatalf("update: %+v, %v", rep, err)
	}
	rep, err = Run(ctx, RunOptions{Dir: dir})
	if err != nil || len(rep.Findings) != 0 || rep.Accepted != 1 {
		t.Fatalf("with the baseline: %+v, %v", rep, err)
	}
	var re *RunError
	if _, err := Run(ctx, RunOptions{Dir: dir, Mode: ModeStaged}); !errors.As(err, &re) || re.Step != StepRepository {
		t.Errorf("staged outside git: %v", err)
	}
	if _, err := Run(ctx, RunOptions{Dir: dir, Baseline: filepath.Join(dir, "none.yaml")}); !errors.As(err, &re) || re.Step != StepRead {
		t.Errorf("a missing --baseline: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("accepted: 3\n"), 0o600)
	if _, err := LoadBaseline(filepath.Join(dir, "bad.yaml"), true); !errors.As(err, &re) || re.Step != StepBaseline {
		t.Errorf("a bad baseline: %v", err)
	}
}

func TestLocalKeyOutsideGit(t *testing.T) {
	a, b := LocalKey(context.Background(), t.TempDir(), false), LocalKey(context.Background(), t.TempDir(), false)
	if len(a) == 0 || string(a) == string(b) {
		t.Errorf("keys for one run: %x %x", a, b)
	}
}

func TestReportOutput(t *testing.T) {
	b, err := (&Report{Result: &Result{}}).JSON()
	if err != nil || !strings.Contains(string(b), `"findings": []`) {
		t.Errorf("JSON = %s, %v", b, err)
	}
	f := Finding{File: "a", Line: 2, Column: 3, Kind: KindJWT, Redacted: "eyJh…", Commit: "0123456789abcdef"}
	if got := f.Text("dir/a"); got != "0123456789ab:dir/a:2:3: jwt eyJh…" {
		t.Errorf("Text = %q", got)
	}
}
