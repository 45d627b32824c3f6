package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestAuditValid(t *testing.T) {
	for _, tc := range []struct {
		text string
		want *Audit
		path string
	}{
		{"creation_rules: []\n", nil, ""},
		{"audit:\n", nil, ""},
		{"audit: {}\n", &Audit{Line: 1}, ""},
		{"audit:\n  path: /var/log/hull/audit.jsonl\n  required: true\n", &Audit{Line: 1, Path: "/var/log/hull/audit.jsonl", Required: true}, "/var/log/hull/audit.jsonl"},
		{"stores: {}\naudit:\n  path: logs/audit.log\n  fsync: true\n  required: false\n", &Audit{Line: 2, Path: "logs/audit.log", Fsync: true}, "/cfg/logs/audit.log"},
	} {
		c := mustParse(t, tc.text)
		switch {
		case tc.want == nil && c.Audit != nil, tc.want != nil && (c.Audit == nil || *c.Audit != *tc.want):
			t.Errorf("%q: audit %+v, want %+v", tc.text, c.Audit, tc.want)
		}
		if got := c.AuditPath(); got != filepath.FromSlash(tc.path) {
			t.Errorf("%q: AuditPath %q, want %q", tc.text, got, tc.path)
		}
	}
	// An alias works as elsewhere.
	c := mustParse(t, "creation_rules:\n  - path_regex: x\n    age: &p age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m\naudit: {required: true}\n")
	if c.Audit == nil || !c.Audit.Required || c.Audit.Line != 4 || len(c.CreationRules) != 1 {
		t.Errorf("audit %+v", c.Audit)
	}
}

func TestAuditInvalid(t *testing.T) {
	for text, want := range map[string]string{
		"audit: yes\n":                           `/cfg/.sops.yaml:1: audit: want a mapping`,
		"audit: [a]\n":                           `audit: want a mapping`,
		"audit:\n  path: ''\n":                   `:2: audit: path: empty`,
		"audit:\n  path: /home/u/.bashrc\n":      `:2: audit: path "/home/u/.bashrc": the file name must end in .log or .jsonl`,
		"audit:\n  path: /var/log/.log\n":        `must end in .log or .jsonl`,
		"audit:\n  path: {a: b}\n":               `audit: path: want a string`,
		"audit:\n  required: 'yes'\n":            `:2: audit: required: want true or false`,
		"audit:\n  fsync: 1\n":                   `audit: fsync: want true or false`,
		"audit:\n  sink: syslog\n":               `:2: unknown key "sink" in audit (want one of path, required, fsync)`,
		"audit: {}\naudit: {}\n":                 `duplicate key "audit"`,
		"audit:\n  path: a.log\n  path: b.log\n": `duplicate key "path"`,
	} {
		_, err := Parse([]byte(text), "/cfg/.sops.yaml")
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: error %v, want %q", text, err, want)
		}
	}
	// A DSN is refused without repeating it.
	_, err := Parse([]byte("audit:\n  path: postgres://hull:s3cretpw@db/audit.log\n"), "/cfg/.sops.yaml")
	if err == nil || strings.Contains(err.Error(), "s3cretpw") || !strings.Contains(err.Error(), "a URL is not supported") {
		t.Errorf("DSN: %v", err)
	}
}
