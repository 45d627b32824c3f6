package audit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/config"
)

func TestIsTrue(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "false": false, " No ": false, "off": false, "1": true, "true": true, "yes": true} {
		if IsTrue(v) != want {
			t.Errorf("IsTrue(%q) = %v", v, !want)
		}
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{EnvLog: filepath.Join(dir, "env.jsonl"), EnvFsync: "1"}
	cfg := &config.Config{Dir: dir, Audit: &config.Audit{Line: 4, Path: "cfg.log", Required: true}}
	s := Resolve(func(k string) string { return env[k] }, cfg, filepath.Join(dir, ".sops.yaml"))
	if len(s.Sinks) != 2 || s.Sinks[0].Source != EnvLog || s.Sinks[1].Path != filepath.Join(dir, "cfg.log") {
		t.Fatalf("sinks = %+v", s.Sinks)
	}
	if !s.Required || !strings.Contains(s.RequiredBy, ".sops.yaml:4") || !s.Fsync {
		t.Errorf("settings = %+v", s)
	}
	// The same file named twice is one sink.
	env[EnvLog] = filepath.Join(dir, "cfg.log")
	if s := Resolve(func(k string) string { return env[k] }, cfg, "x"); len(s.Sinks) != 1 {
		t.Errorf("sinks = %+v, want one", s.Sinks)
	}
	if s := Resolve(func(string) string { return "" }, nil, ""); s.Required || len(s.Sinks) != 0 {
		t.Errorf("no settings: %+v", s)
	}
}

func TestSettingsWrite(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "a.jsonl")
	bad := filepath.Join(dir, "missing", "b.jsonl")
	op := NewOp("decrypt", FileName("x.yaml"))
	rec := op.Record(EventResult, "/x", nil, Process{PID: 1}, Outcome{})
	failed, err := Settings{Sinks: []Sink{{bad, "B"}, {good, "A"}}}.Write(rec)
	if err != nil || len(failed) != 1 || !strings.Contains(failed[0].Error(), "(from B)") {
		t.Fatalf("Write = %v, %v", failed, err)
	}
	b, _ := os.ReadFile(good)
	if !bytes.Contains(b, []byte(`"op_id":"`+op.ID()+`"`)) || len(op.ID()) != 16 {
		t.Errorf("record %s", b)
	}
	if _, err := (Settings{Sinks: []Sink{{bad, "B"}}}).Write(rec); err == nil {
		t.Error("no sink took the record, and no error")
	}
	if _, err := (Settings{Required: true}).Write(rec); err == nil {
		t.Error("a required log with no sink took the record")
	}
	if _, err := (Settings{}).Write(rec); err != nil {
		t.Errorf("no log, not required: %v", err)
	}
}

func TestAccessRequired(t *testing.T) {
	dir := t.TempDir()
	op := NewOp("edit", "")
	s := Settings{Sinks: []Sink{{filepath.Join(dir, "no", "x.log"), "E"}}, Required: true}
	if _, err := s.BeginAccess(op, "/f"); !errors.Is(err, ErrRefused) {
		t.Fatalf("BeginAccess = %v, want ErrRefused", err)
	}
	if f, _ := op.Target(); f != "" {
		t.Errorf("a refused access named the file %q", f)
	}
	s.Sinks[0].Path = filepath.Join(dir, "x.log")
	a, err := s.BeginAccess(op, "/f")
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Context(context.Background())
	if rep := a.Finish(noProcess, Outcome{Code: 128, Class: "no-key"}, false); rep != (Report{}) {
		t.Fatal(rep)
	}
	b, _ := os.ReadFile(s.Sinks[0].Path)
	if !bytes.Contains(b, []byte(`"event":"access","op":"edit","outcome":"error","exit_code":128,"class":"no-key","file":"/f"`)) {
		t.Errorf("record %s", b)
	}
	if f, _ := op.Target(); f != "/f" {
		t.Errorf("target %q", f)
	}
}

func TestShouldWarnOnce(t *testing.T) {
	op := NewOp("decrypt", "")
	if op.ShouldWarn(true) {
		t.Error("quiet warned")
	}
	if !op.ShouldWarn(false) || op.ShouldWarn(false) {
		t.Error("not exactly one warning")
	}
}

func TestReport(t *testing.T) {
	dir := t.TempDir()
	bad := Settings{Sinks: []Sink{{filepath.Join(dir, "no", "x.log"), "E"}}}
	op := NewOp("decrypt", "/f")
	if rep := op.Result(bad, "/f", nil, noProcess, Outcome{}, true, false); rep.Refuse != nil || rep.Warn != nil {
		t.Errorf("quiet, not required: %+v", rep)
	}
	if rep := op.Result(bad, "/f", nil, noProcess, Outcome{}, false, false); rep.Warn == nil {
		t.Errorf("no warning: %+v", rep)
	}
	if rep := op.Result(bad, "/f", nil, noProcess, Outcome{}, false, false); rep.Warn != nil {
		t.Errorf("a second warning: %+v", rep)
	}
	bad.Required = true
	if rep := NewOp("edit", "").Result(bad, "/f", nil, noProcess, Outcome{}, false, false); rep.Refuse == nil {
		t.Errorf("a required log did not refuse: %+v", rep)
	}
	if rep := NewOp("edit", "").Result(bad, "/f", nil, noProcess, Outcome{Code: 34}, false, true); rep.Refuse != nil || rep.Warn != nil {
		t.Errorf("an operation the log refused already: %+v", rep)
	}
}

func noProcess() Process { return Process{} }

// A run without a log reads neither the user database nor the host name,
// nor makes an operation id.
func TestNoLogNoProcessLookup(t *testing.T) {
	called := false
	p := func() Process { called = true; return Process{} }
	op := NewOp("decrypt", "/f")
	if rep := op.Result(Settings{}, "/f", nil, p, Outcome{}, false, false); rep != (Report{}) {
		t.Fatalf("report without a log: %+v", rep)
	}
	a, err := Settings{}.BeginAccess(op, "/f")
	if err != nil {
		t.Fatal(err)
	}
	a.Finish(p, Outcome{}, false)
	if called {
		t.Error("the process was described although there is no log to write")
	}
}
