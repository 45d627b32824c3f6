package main

// The audit log's hooks in the commands (internal/audit documents the
// settings, the records and fail-closed): exit 34 is exitAuditUnavailable.

import (
	"cmp"
	"errors"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/audit"
)

// auditClasses names the exit codes in records: the class of an error is
// logged, never its message, which may quote a value.
var auditClasses = map[int]string{
	exitOK:                     "ok",
	exitGeneric:                "generic",
	exitCouldNotRead:           "read-failed",
	exitCouldNotWrite:          "write-failed",
	exitErrorDumpingTree:       "emit-failed",
	exitErrorReadingConfig:     "config",
	exitInvalidKMSContext:      "kms-context",
	exitInvalidSetFormat:       "set-format",
	exitConflictingParams:      "conflicting-flags",
	exitErrorEncryptingMac:     "mac-encrypt-failed",
	exitErrorEncryptingTree:    "encrypt-failed",
	exitErrorDecryptingTree:    "decrypt-failed",
	exitNonCanonical:           "non-canonical",
	exitStrictMAC:              "strict-mac",
	exitPolicyViolation:        "policy",
	exitLimitExceeded:          "limit",
	exitConcurrentModification: "concurrent-modification",
	exitEndpointNotAllowed:     "endpoint-not-allowed",
	exitAuditUnavailable:       "audit-unavailable",
	exitCheckPlaintext:         "check-plaintext",
	exitCheckTampered:          "check-tampered",
	exitCheckDrift:             "check-drift",
	exitSecretsFound:           "secrets-found",
	exitCannotChangeKeys:       "cannot-change-keys",
	exitMacMismatch:            "mac-mismatch",
	exitInvalidTreePath:        "tree-path",
	exitNeedOneDocument:        "empty",
	exitNoFileSpecified:        "no-file",
	exitDuplicateKeyType:       "duplicate-key-type",
	exitCommandNotExecutable:   "not-executable",
	exitCommandNotFound:        "command-not-found",
	exitCouldNotRetrieveKey:    "no-key",
	exitEditSIGHUP:             "interrupted",
	exitEditSIGINT:             "interrupted",
	exitEditSIGQUIT:            "interrupted",
	exitEditSIGABRT:            "interrupted",
	exitEditSIGTERM:            "interrupted",
	exitFileNotModified:        "not-modified",
	exitNoEditor:               "no-editor",
	exitFileAlreadyEncrypt:     "already-encrypted",
}

// auditOutcome is the outcome of an operation's error for its records.
func auditOutcome(err error) audit.Outcome {
	if err == nil {
		return audit.Outcome{}
	}
	var ex *childExit
	if errors.As(err, &ex) {
		return audit.Outcome{Code: ex.code, Class: "child-exit"}
	}
	code := exitCode(err)
	return audit.Outcome{Code: code, Class: cmp.Or(auditClasses[code], "error")} // a code without a class: "error"
}

// auditSettings are the log settings for target, from the environment and
// the .sops.yaml that applies (audit.ResolveFound: a missing or broken
// config gives none of its settings).
func (r *runner) auditSettings(cl *cmdLine, target string) audit.Settings {
	if target == "-" {
		target = ""
	}
	find := func() (string, error) { p, _, err := r.findConfig(cl, target); return p, err }
	return audit.ResolveFound(r.env.get, find, r.configs.Load)
}

// auditOps is the operation each *runner is in (bulk workers run
// operations concurrently, each on its own runner).
var auditOps audit.Tracker

// auditor is the audit log's hooks for a run with cl (audit.Auditor). A
// decrypt keeps a failing optional log off stderr unless --verbose,
// because helm-secrets and others read its stderr.
func (r *runner) auditor(cl *cmdLine) *audit.Auditor {
	return &audit.Auditor{Ops: &auditOps, Settings: func(file string) audit.Settings { return r.auditSettings(cl, file) },
		Process: func() audit.Process { return audit.CurrentProcess(hullVersion(), r.env.get("USER")) }, Outcome: auditOutcome,
		Quiet: func(op string, err error) bool { return op == "decrypt" && err == nil && !cl.on("verbose") },
		Warn:  func(err error) { r.warnf("%v (the audit record was not written)", err) }}
}

// audit starts an audited operation on file (or, when file is "", on the
// file its first decryption names); the function it returns writes the
// result record and must be deferred with the command's error:
//
//	func (r *runner) encrypt(cl *cmdLine, path string) (err error) {
//		defer r.audit(cl, "encrypt", path)(&err)
func (r *runner) audit(cl *cmdLine, name, file string) func(*error) {
	end := r.auditor(cl).Begin(r, name, file, cl.arg(0))
	return func(errp *error) {
		if err := end(*errp); err != nil {
			*errp = withCode(exitAuditUnavailable, err)
		}
	}
}

// auditAccess begins the access record of one decryption, before the file
// is decrypted: with a required log that cannot be opened it is an
// exit-34 error, and nothing is decrypted. finish writes the record for
// the outcome before the caller can release any plaintext; with a required
// log that did not take it, the plaintext is dropped and the error is
// exit 34.
func (r *runner) auditAccess(cl *cmdLine, fio *fileIO) (a *audit.Access, finish func(*formats.File, *hull.Opened, error) (*formats.File, *hull.Opened, error), err error) {
	name := "decrypt" // a decryption outside the audited operations (a command added later)
	if cl.command() != "" {
		name = cl.command()
	}
	d, err := r.auditor(cl).BeginAccess(r, name, fio.path, fio.ruleName(), fio.display())
	if err != nil {
		return nil, nil, withCode(exitAuditUnavailable, err)
	}
	return d.Access, func(f *formats.File, o *hull.Opened, err error) (*formats.File, *hull.Opened, error) {
		if rerr := d.End(err); rerr != nil {
			if o != nil {
				clear(o.Key)
			}
			return nil, nil, withCode(exitAuditUnavailable, rerr)
		}
		return f, o, err
	}, nil
}
