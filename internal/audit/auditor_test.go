package audit

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/config"
)

func TestAuditor(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit.log")
	s := Settings{Sinks: []Sink{{logPath, "E"}}}
	var warned []error
	var settingsFor []string
	a := &Auditor{Ops: &Tracker{},
		Settings: func(file string) Settings { settingsFor = append(settingsFor, file); return s },
		Process:  func() Process { return Process{User: "u", PID: 7} },
		Outcome: func(err error) Outcome {
			if err != nil {
				return Outcome{Code: 1, Class: "generic"}
			}
			return Outcome{}
		},
		Quiet: func(op string, err error) bool { return op == "decrypt" && err == nil },
		Warn:  func(err error) { warned = append(warned, err) }}

	// An operation whose decryption names the file: access then result,
	// one op id.
	key := new(int)
	end := a.Begin(key, "exec-env", "", "fallback.yaml")
	d, err := a.BeginAccess(key, "decrypt", "s.yaml", "s.yaml", "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.End(nil); err != nil {
		t.Fatal(err)
	}
	if err := end(errors.New("child failed")); err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, logPath)
	abs := FileName("s.yaml")
	if len(recs) != 2 || recs[0].Event != EventAccess || recs[1].Event != EventResult || recs[0].OpID != recs[1].OpID ||
		recs[0].Op != "exec-env" || recs[1].File != abs || recs[1].Class != "generic" || recs[1].User != "u" {
		t.Fatalf("records: %+v", recs)
	}
	if strings.Join(settingsFor, ",") != "s.yaml,"+abs {
		t.Errorf("settings asked for %q", settingsFor)
	}

	// No decryption: the result names the fallback.
	if err := a.Begin(key, "exec-env", "", "fallback.yaml")(nil); err != nil {
		t.Fatal(err)
	}
	if recs := readRecords(t, logPath); recs[2].File != FileName("fallback.yaml") {
		t.Errorf("fallback: %+v", recs[2])
	}

	// A required log that cannot be written: no decryption, and a
	// successful operation fails.
	s = Settings{Sinks: []Sink{{filepath.Join(dir, "no", "x.log"), "E"}}, Required: true, RequiredBy: "HULL_AUDIT_REQUIRED"}
	if _, err := a.BeginAccess(key, "decrypt", "s.yaml", "s.yaml", "shown.yaml"); !errors.Is(err, ErrRefused) ||
		!strings.Contains(err.Error(), "refusing to decrypt shown.yaml: the audit log is required by HULL_AUDIT_REQUIRED") {
		t.Errorf("BeginAccess with a broken required log: %v", err)
	}
	if err := a.Begin(key, "encrypt", "s.yaml", "")(nil); err == nil || !strings.Contains(err.Error(), "the result of encrypt was not recorded, and the audit log is required by HULL_AUDIT_REQUIRED") {
		t.Errorf("a result not recorded: %v", err)
	}
	if err := a.Begin(key, "encrypt", "s.yaml", "")(errors.New("failed")); err != nil {
		t.Errorf("a failed operation is not refused again: %v", err)
	}

	// An optional log that fails warns once per operation, and not for a
	// quiet decrypt.
	s = Settings{Sinks: []Sink{{filepath.Join(dir, "no", "x.log"), "E"}}}
	warned = nil
	if err := a.Begin(key, "decrypt", "s.yaml", "")(nil); err != nil || len(warned) != 0 {
		t.Errorf("a quiet decrypt: %v, warned %v", err, warned)
	}
	if err := a.Begin(key, "encrypt", "s.yaml", "")(nil); err != nil || len(warned) != 1 {
		t.Errorf("an optional log that fails: %v, warned %v", err, warned)
	}
}

func readRecords(t *testing.T, path string) []Record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []Record
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r Record
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestResolveFound(t *testing.T) {
	getenv := func(k string) string {
		if k == EnvLog {
			return "/var/log/hull.log"
		}
		return ""
	}
	loads := 0
	load := func(string) (*config.Config, error) { loads++; return nil, errors.New("broken") }
	for name, find := range map[string]func() (string, error){
		"none":   func() (string, error) { return "", nil },
		"error":  func() (string, error) { return "", errors.New("cannot look") },
		"broken": func() (string, error) { return "/r/.sops.yaml", nil },
	} {
		if s := ResolveFound(getenv, find, load); len(s.Sinks) != 1 || s.Sinks[0].Source != EnvLog || s.Required {
			t.Errorf("%s: %+v", name, s)
		}
	}
	if loads != 1 {
		t.Errorf("load called %d times, want once (for the config found)", loads)
	}
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, ".sops.yaml")
	if err := os.WriteFile(cfgPath, []byte("creation_rules: []\naudit:\n  path: audit.log\n  required: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := ResolveFound(getenv, func() (string, error) { return cfgPath, nil }, config.Load)
	if len(s.Sinks) != 2 || !s.Required || !strings.HasPrefix(s.RequiredBy, "audit: required: true in "+cfgPath) {
		t.Errorf("a config with an audit block: %+v", s)
	}
}
