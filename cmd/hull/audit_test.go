package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hullsecrets/hull"
)

// Every exit code has a class name for the audit log, so a new code cannot
// be logged as the catch-all "error".
func TestAuditClasses(t *testing.T) {
	for _, e := range exitCodes {
		if auditClasses[e.code] == "" {
			t.Errorf("exit code %d (%s) has no audit class", e.code, e.text)
		}
	}
	for _, tc := range []struct {
		err     error
		code    int
		class   string
		outcome string
	}{
		{nil, 0, "", "ok"},
		{fmt.Errorf("x.yaml: %w", hull.ErrMACMismatch), exitMacMismatch, "mac-mismatch", "error"},
		{withCode(exitAuditUnavailable, errors.New("log")), exitAuditUnavailable, "audit-unavailable", "error"},
		{&childExit{code: 3}, 3, "child-exit", "error"},
		{withCode(77, errors.New("unknown")), 77, "error", "error"},
	} {
		outcome, code, class := auditOutcome(tc.err)
		if outcome != tc.outcome || code != tc.code || class != tc.class {
			t.Errorf("auditOutcome(%v) = %s %d %q, want %s %d %q", tc.err, outcome, code, class, tc.outcome, tc.code, tc.class)
		}
	}
}

func TestEnvTrue(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "false": false, " No ": false, "off": false, "1": true, "true": true, "yes": true} {
		if envTrue(v) != want {
			t.Errorf("envTrue(%q) = %v", v, !want)
		}
	}
}
