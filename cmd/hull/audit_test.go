package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/internal/audit"
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
		rec := audit.NewOp("x", "").Record(audit.EventResult, "-", nil, audit.Process{}, auditOutcome(tc.err))
		outcome, code, class := rec.Outcome, rec.ExitCode, rec.Class
		if outcome != tc.outcome || code != tc.code || class != tc.class {
			t.Errorf("auditOutcome(%v) = %s %d %q, want %s %d %q", tc.err, outcome, code, class, tc.outcome, tc.code, tc.class)
		}
	}
}
