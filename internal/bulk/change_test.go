package bulk

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
)

// Change counts each file by what happened to it: skipped as walked, left
// alone by spec, changed or unchanged by its bytes, failed; it keeps each
// file's log and hands the results back in order.
func TestChangeOutcomes(t *testing.T) {
	dir := t.TempDir()
	enc := "a: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops:\n    version: 3.9.0\n"
	write(t, dir, "change.yaml", enc)
	write(t, dir, "keep.yaml", enc)
	write(t, dir, "fail.yaml", enc)
	write(t, dir, "plain.yaml", "a: 1\n")
	write(t, dir, "big.yaml", enc)
	files := []File{{Path: filepath.Join(dir, "change.yaml")}, {Path: filepath.Join(dir, "keep.yaml")},
		{Path: filepath.Join(dir, "fail.yaml")}, {Path: filepath.Join(dir, "plain.yaml")},
		{Path: filepath.Join(dir, "big.yaml"), Skip: "too large"}}
	spec := Spec{Verb: "rotate", Encrypted: true, Note: "not encrypted", Outcome: Skipped}
	var got []Result
	sum := Change(files, spec, func(f File, log io.Writer) error {
		fmt.Fprintf(log, "hull: %s: warning: w\nhull: working on %s\n", f.Path, f.Path)
		switch filepath.Base(f.Path) {
		case "change.yaml":
			return os.WriteFile(f.Path, []byte(enc+"# changed\n"), 0o644)
		case "fail.yaml":
			return errors.New("no key")
		}
		return nil
	}, ChangeHooks{Done: func(r Result) { got = append(got, r) }})
	if want := (Summary{Total: 5, Changed: 1, Unchanged: 1, Skipped: 2, Failed: 1}); sum != want {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	outcomes := make([]Outcome, len(got))
	for i, r := range got {
		outcomes[i] = r.Outcome
	}
	if want := []Outcome{Changed, Unchanged, Failed, Skipped, Skipped}; !reflect.DeepEqual(outcomes, want) {
		t.Fatalf("outcomes = %v, want %v", outcomes, want)
	}
	if got[3].Note != "not encrypted" || got[4].Note != "too large" || got[3].Log != nil {
		t.Errorf("left alone: %+v, %+v", got[3], got[4])
	}
	// The log: warnings only, unless verbose or the file failed.
	if s := got[0].Shown(false); len(s) != 1 || !strings.Contains(s[0], ": warning: ") {
		t.Errorf("Shown(false) = %q", s)
	}
	if len(got[0].Shown(true)) != 2 || len(got[2].Shown(false)) != 2 {
		t.Errorf("Shown(true) = %q, failed Shown = %q", got[0].Shown(true), got[2].Shown(false))
	}
	if m := got[2].Message(); m != files[2].Path+": no key" {
		t.Errorf("Message = %q", m)
	}
}

// An unreadable file fails with a message naming it; op is not run.
func TestChangeUnreadable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gone.yaml")
	var res Result
	Change([]File{{Path: p}}, Spec{Encrypted: true}, func(File, io.Writer) error {
		t.Error("op ran")
		return nil
	}, ChangeHooks{Done: func(r Result) { res = r }})
	if res.Outcome != Failed || res.Err == nil || !strings.HasPrefix(res.Message(), "cannot read "+p) {
		t.Errorf("result = %+v", res)
	}
}

func TestDrifted(t *testing.T) {
	got := Drifted([]hull.CheckResult{
		{File: "a.yaml", Findings: []hull.CheckFinding{{Kind: hull.FindRuleDrift, Detail: "rule"}, {Kind: hull.FindRecipientDrift, Detail: "+age:x"}}},
		{File: "b.yaml"},
	})
	if want := []string{"a.yaml: +age:x"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Drifted = %q, want %q", got, want)
	}
}

func TestWriteCheck(t *testing.T) {
	results := []hull.CheckResult{
		{File: "a.yaml", Status: "drift", Findings: []hull.CheckFinding{{Kind: hull.FindNoKey, Detail: "no identity"}, {Kind: hull.FindRuleDrift, Path: `["k"]`, Detail: "rule"}}},
		{File: "b.yaml", Status: "ok", Verified: true},
	}
	var b strings.Builder
	WriteCheck(&b, results, true)
	want := "a.yaml [\"k\"]: rule-drift: rule\n" + CheckSummary(results) + "\n"
	if b.String() != want {
		t.Errorf("WriteCheck(quiet) = %q, want %q", b.String(), want)
	}
	b.Reset()
	WriteCheck(&b, results, false)
	if !strings.HasPrefix(b.String(), "a.yaml: no-key: no identity\n") {
		t.Errorf("WriteCheck = %q", b.String())
	}
	if f := Findings(results, hull.FindRuleDrift, hull.FindRecipientDrift); len(f) != 1 || f[0].File != "a.yaml" || f[0].Detail != "rule" {
		t.Errorf("Findings = %+v", f)
	}
}
