package main

// The audit log (internal/audit): where it goes, the two hooks the commands
// call, and fail-closed.
//
// Settings: HULL_AUDIT_LOG names a log file, and the top-level audit block
// of the .sops.yaml that applies to the file (config.Audit) names another;
// a record goes to each (at least one must take it, as Vault's audit
// devices). HULL_AUDIT_REQUIRED or audit: required: true makes the log
// required; HULL_AUDIT_FSYNC or audit: fsync: true fsyncs every line.
//
// Records: every decryption writes an "access" record (from decryptBytes
// and openForKeys, after the data key was recovered or not and the file
// authenticated or not, and before any plaintext leaves hull: output,
// editor, child process), with the keys that opened the file. Every audited
// operation writes a "result" record when it ends, with hull's exit code
// (for exec-*, the command's). exec-env --same-process replaces hull with
// the command, so it writes no result record.
//
// Fail-closed: with a required log, a decrypting command first checks that
// the log can be opened, and refuses (exit 34, exitAuditUnavailable) before
// it decrypts anything; if the access record then cannot be written, the
// plaintext is dropped and it exits 34. A result record that cannot be
// written turns success into 34. Without required, a failing log is a
// warning, printed once per operation; decrypt stays silent about it unless
// --verbose, because helm-secrets and others read decrypt's stderr.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/audit"
	"github.com/hullsecrets/hull/keysources"
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

// auditOutcome is the exit code and class of an operation's error.
func auditOutcome(err error) (outcome string, code int, class string) {
	if err == nil {
		return audit.OutcomeOK, 0, ""
	}
	var ex *childExit
	if errors.As(err, &ex) {
		return audit.OutcomeError, ex.code, "child-exit"
	}
	code = exitCode(err)
	class, ok := auditClasses[code]
	if !ok {
		class = "error"
	}
	return audit.OutcomeError, code, class
}

// auditSink is one log file and what named it, for messages.
type auditSink struct{ path, source string }

// auditSettings are the log settings that apply to one file.
type auditSettings struct {
	sinks      []auditSink
	required   bool
	requiredBy string
	fsync      bool
}

// envTrue is a boolean environment value: anything but "", "0", "false",
// "no" and "off" (as HULL_REQUIRE_STRICT_MAC).
func envTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

func (r *runner) auditSettings(c *cli.Context, target string) auditSettings {
	var s auditSettings
	if p := r.env.get("HULL_AUDIT_LOG"); p != "" {
		s.sinks = append(s.sinks, auditSink{p, "HULL_AUDIT_LOG"})
	}
	if envTrue(r.env.get("HULL_AUDIT_REQUIRED")) {
		s.required, s.requiredBy = true, "HULL_AUDIT_REQUIRED"
	}
	s.fsync = envTrue(r.env.get("HULL_AUDIT_FSYNC"))
	cfg, cfgPath := r.auditConfig(c, target)
	if cfg == nil || cfg.Audit == nil {
		return s
	}
	where := fmt.Sprintf("%s:%d", cfgPath, cfg.Audit.Line)
	if p := cfg.AuditPath(); p != "" && (len(s.sinks) == 0 || absOrSelf(s.sinks[0].path) != p) {
		s.sinks = append(s.sinks, auditSink{p, where})
	}
	if cfg.Audit.Required && !s.required {
		s.required, s.requiredBy = true, "audit: required: true in "+where
	}
	s.fsync = s.fsync || cfg.Audit.Fsync
	return s
}

// auditConfig finds and reads the .sops.yaml for target as loadConfig
// does, but quietly: a missing or broken config gives no audit settings
// (the command reports config problems itself; whoever can break the config
// could also remove the audit block).
func (r *runner) auditConfig(c *cli.Context, target string) (*config.Config, string) {
	if target == "-" {
		target = ""
	}
	path, _, err := r.findConfig(c, target)
	if err != nil || path == "" {
		return nil, ""
	}
	cfg, err := r.configs.load(path)
	if err != nil {
		return nil, ""
	}
	return cfg, path
}

// check opens every sink once: nil when at least one can be written.
func (s auditSettings) check() error {
	if len(s.sinks) == 0 {
		return errors.New("no audit log is configured (set HULL_AUDIT_LOG, or audit: path in .sops.yaml)")
	}
	var errs []error
	for _, sk := range s.sinks {
		l, err := audit.Open(sk.path, audit.Options{})
		if err == nil {
			l.Close()
			return nil
		}
		errs = append(errs, fmt.Errorf("%w (from %s)", err, sk.source))
	}
	return errors.Join(errs...)
}

// write appends rec to every sink. It returns an error when no sink took
// it (or none is configured and the log is required), and the failures of
// the sinks that did not.
//
// rec is called only when there is a log to write: it reads /etc/passwd
// for the user name and asks for the host name, which a run without an
// audit log (most runs) does not need.
func (s auditSettings) write(rec func() audit.Record) (failed []error, err error) {
	if len(s.sinks) == 0 {
		if s.required {
			return nil, s.check()
		}
		return nil, nil
	}
	rec = sync.OnceValue(rec) // one record for every sink
	ok := 0
	for _, sk := range s.sinks {
		l, err := audit.Open(sk.path, audit.Options{Sync: s.fsync})
		if err == nil {
			err = l.Log(rec())
			l.Close()
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("%w (from %s)", err, sk.source))
			continue
		}
		ok++
	}
	if ok == 0 {
		return nil, errors.Join(failed...)
	}
	return failed, nil
}

// auditOp is the audited operation a runner is running. The bulk commands
// run operations concurrently, each on its own runner (fork), so the state
// is kept per runner; its mutex guards against a caller that decrypts
// concurrently on one runner.
type auditOp struct {
	mu     sync.Mutex
	id     func() string // random, made on first use; shared by the records of the operation
	op     string        // "" for a decryption outside any audited operation
	file   string        // its file, absolute
	keys   []string      // the keys that opened it
	warned bool          // a warning about the log was printed
}

// auditOps maps a *runner to its *auditOp while the operation runs.
var auditOps sync.Map

func newAuditOp(op, file string) *auditOp {
	return &auditOp{id: sync.OnceValue(newAuditID), op: op, file: file}
}

// newAuditID is an operation's id. It is made only when a record is
// written: the first read of crypto/rand sets up its generator, which a
// run without an audit log (most runs) does not need.
func newAuditID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// auditFile is a file's name in records: absolute, or "-" for stdin.
func auditFile(path string) string {
	if isStdin(path) {
		return "-"
	}
	return absOrSelf(path)
}

func (r *runner) auditRecord(id, event, op, file string, keys []string, err error) audit.Record {
	rec := audit.Record{Event: event, Op: op, File: file, Keys: keys, PID: os.Getpid(), UID: strconv.Itoa(os.Getuid()), OpID: id, Version: hullVersion()}
	rec.Outcome, rec.ExitCode, rec.Class = auditOutcome(err)
	if u, err := user.Current(); err == nil {
		rec.User = u.Username
	} else {
		rec.User = r.env.get("USER")
	}
	rec.Host, _ = os.Hostname()
	return rec
}

// auditWarn prints one warning per operation about a log that failed.
// quiet keeps it off stderr (decrypt, unless --verbose).
func (r *runner) auditWarn(c *cli.Context, st *auditOp, err error, quiet bool) {
	st.mu.Lock()
	skip := st.warned || (quiet && !c.Bool("verbose"))
	st.warned = st.warned || !skip
	st.mu.Unlock()
	if !skip {
		r.warnf("%v (the audit record was not written)", err)
	}
}

// audit starts an audited operation on file (or, when file is "", on the
// file its first decryption names); the function it returns writes the
// result record and must be deferred with the command's error:
//
//	func (r *runner) encrypt(c *cli.Context, path string) (err error) {
//		defer r.audit(c, "encrypt", path)(&err)
func (r *runner) audit(c *cli.Context, op, file string) func(*error) {
	if file != "" {
		file = auditFile(file)
	}
	st := newAuditOp(op, file)
	prev, hadPrev := auditOps.Swap(r, st)
	return func(errp *error) {
		if hadPrev {
			auditOps.Store(r, prev)
		} else {
			auditOps.Delete(r)
		}
		err := *errp
		st.mu.Lock()
		file, keys := st.file, st.keys
		st.mu.Unlock()
		if file == "" {
			file = auditFile(c.Args().First())
		}
		s := r.auditSettings(c, file)
		failed, werr := s.write(func() audit.Record { return r.auditRecord(st.id(), audit.EventResult, op, file, keys, err) })
		quiet := op == "decrypt" && err == nil
		switch {
		case werr != nil && s.required && err == nil:
			*errp = withCode(exitAuditUnavailable, fmt.Errorf("%v: the result of %s was not recorded, and the audit log is required by %s", werr, op, s.requiredBy))
		case werr != nil && !errors.Is(err, errAuditRefused):
			r.auditWarn(c, st, werr, quiet)
		case len(failed) > 0:
			r.auditWarn(c, st, errors.Join(failed...), quiet)
		}
	}
}

// errAuditRefused marks the refusals of a required log: the result record
// then fails too, and is not warned about again.
var errAuditRefused = errors.New("audit log unavailable")

// auditAccess is the access record of one decryption.
type auditAccess struct {
	r    *runner
	c    *cli.Context
	st   *auditOp
	s    auditSettings
	file string
	keys []string
}

// auditAccess is called before a file is decrypted. With a required log
// that cannot be opened it returns an exit-34 error: nothing is decrypted.
func (r *runner) auditAccess(c *cli.Context, fio *fileIO) (*auditAccess, error) {
	a := &auditAccess{r: r, c: c, file: auditFile(fio.path)}
	if v, ok := auditOps.Load(r); ok {
		a.st = v.(*auditOp)
	} else {
		// A decryption outside the audited operations (a command added
		// later): named after the command.
		op := "decrypt"
		if c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
			op = c.Command.Name
		}
		a.st = newAuditOp(op, "")
	}
	target := fio.name
	if target == "" {
		target = fio.path
	}
	a.s = r.auditSettings(c, target)
	if a.s.required {
		if err := a.s.check(); err != nil {
			return nil, withCode(exitAuditUnavailable, fmt.Errorf("%w: %v; refusing to decrypt %s: the audit log is required by %s", errAuditRefused, err, fio.display(), a.s.requiredBy))
		}
	}
	a.st.mu.Lock()
	a.st.file = a.file
	a.st.mu.Unlock()
	return a, nil
}

// context makes Recover report the keys that open the file.
func (a *auditAccess) context(ctx context.Context) context.Context {
	return keysources.WithOpenedBy(ctx, func(_ int, typ, id string) {
		a.keys = append(a.keys, typ+":"+id)
	})
}

// finish writes the access record for the outcome of the decryption,
// before the caller can release any plaintext. With a required log that
// did not take the record, the plaintext is dropped and the error is
// exit 34.
func (a *auditAccess) finish(f *formats.File, o *hull.Opened, err error) (*formats.File, *hull.Opened, error) {
	a.st.mu.Lock()
	a.st.keys = a.keys
	op := a.st.op
	a.st.mu.Unlock()
	failed, werr := a.s.write(func() audit.Record { return a.r.auditRecord(a.st.id(), audit.EventAccess, op, a.file, a.keys, err) })
	quiet := op == "decrypt" && err == nil
	switch {
	case werr != nil && a.s.required && err == nil:
		if o != nil {
			clear(o.Key)
		}
		return nil, nil, withCode(exitAuditUnavailable, fmt.Errorf("%w: %v; refusing to release the plaintext of %s: the audit log is required by %s", errAuditRefused, werr, a.file, a.s.requiredBy))
	case werr != nil:
		a.r.auditWarn(a.c, a.st, werr, quiet)
	case len(failed) > 0:
		a.r.auditWarn(a.c, a.st, errors.Join(failed...), quiet)
	}
	return f, o, err
}
