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

func TestModeOfAndMaxSize(t *testing.T) {
	for _, tc := range []struct {
		staged, history bool
		paths           []string
		want            Mode
		err             error
	}{
		{false, false, []string{"a"}, ModeFiles, nil},
		{true, false, nil, ModeStaged, nil},
		{false, true, nil, ModeHistory, nil},
		{true, true, nil, ModeFiles, ErrStagedAndHistory},
		{true, false, []string{"a"}, ModeFiles, ErrPathsWithMode},
	} {
		if m, err := ModeOf(tc.staged, tc.history, tc.paths); m != tc.want || err != tc.err {
			t.Errorf("ModeOf(%t, %t, %q) = %v, %v", tc.staged, tc.history, tc.paths, m, err)
		}
	}
	if n, err := ParseMaxSize(""); n != DefaultMaxSize || err != nil {
		t.Errorf("default max size: %d, %v", n, err)
	}
	if n, err := ParseMaxSize("1024"); n != 1024 || err != nil {
		t.Errorf("1024: %d, %v", n, err)
	}
	for _, s := range []string{"0", "-1", "1k"} {
		if _, err := ParseMaxSize(s); !errors.Is(err, ErrMaxSize) || !strings.Contains(err.Error(), s) {
			t.Errorf("ParseMaxSize(%q) = %v", s, err)
		}
	}
}

func TestReportLines(t *testing.T) {
	r := &Report{Root: "/repo", Result: &Result{Findings: []Finding{
		{File: "sub/a.env", Line: 2, Column: 5, Kind: "aws-access-key", Redacted: "AKIA…"},
		{File: "b.env", Commit: "0123456789abcdef", Line: 1, Column: 1, Kind: "jwt", Redacted: "eyJh…"},
	}}}
	got := strings.Join(r.Lines(ModeFiles, "/repo/sub"), "\n")
	if got != "a.env:2:5: aws-access-key AKIA…\n0123456789ab:/repo/b.env:1:1: jwt eyJh…" {
		t.Errorf("files:\n%s", got)
	}
	if got := r.Lines(ModeHistory, "/elsewhere")[1]; got != "0123456789ab:b.env:1:1: jwt eyJh…" {
		t.Errorf("history: %s", got)
	}
	for _, m := range []Mode{ModeFiles, ModeStaged, ModeHistory} {
		if where, hint := Advice(m); where == "" || hint == "" {
			t.Errorf("Advice(%v) is empty", m)
		}
	}
}

func TestReportWrite(t *testing.T) {
	r := &Report{Root: "/repo", Result: &Result{Findings: []Finding{{File: "a.env", Line: 2, Column: 5, Kind: "jwt", Redacted: "eyJh…"}}}}
	var b strings.Builder
	if err := r.Write(&b, false, ModeFiles, "/repo"); err != nil || b.String() != "a.env:2:5: jwt eyJh…\n" {
		t.Errorf("text: %q, %v", b.String(), err)
	}
	b.Reset()
	if err := r.Write(&b, true, ModeFiles, "/repo"); err != nil || !strings.HasPrefix(b.String(), "{\n  \"findings\": [") || !strings.HasSuffix(b.String(), "}\n") {
		t.Errorf("JSON: %q, %v", b.String(), err)
	}
}

func TestRunDefaultDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
	t.Chdir(dir)
	wd, _ := os.Getwd()
	rep, err := Run(context.Background(), RunOptions{Paths: []string{"a.txt"}})
	if err != nil || rep.Dir != wd || len(rep.Findings) != 0 {
		t.Fatalf("Run = %+v, %v (want Dir %q)", rep, err, wd)
	}
}
