package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/keysources"
)

// The environment variables of the audit log. The caller reads them and
// hands [Resolve] a lookup function: this package reads no environment.
const (
	EnvLog      = "HULL_AUDIT_LOG"      // a log file
	EnvRequired = "HULL_AUDIT_REQUIRED" // make the log required
	EnvFsync    = "HULL_AUDIT_FSYNC"    // fsync every line
)

// Sink is one log file and what named it (an environment variable or a
// line of .sops.yaml), for messages.
type Sink struct{ Path, Source string }

// Settings are the audit-log settings that apply to one file. A record
// goes to every sink; at least one must take it.
type Settings struct {
	Sinks []Sink
	// Required: a decrypting command refuses to run, and drops the
	// plaintext, when no sink takes its record.
	Required bool
	// RequiredBy says what made the log required, for messages.
	RequiredBy string
	// Fsync: fsync every line.
	Fsync bool
}

// Resolve combines the environment (EnvLog, EnvRequired, EnvFsync, read
// with getenv) with the audit block of cfg, the .sops.yaml at cfgPath (nil
// when none applies). The config's log is a second sink unless it is the
// same file as the environment's.
func Resolve(getenv func(string) string, cfg *config.Config, cfgPath string) Settings {
	var s Settings
	if p := getenv(EnvLog); p != "" {
		s.Sinks = append(s.Sinks, Sink{p, EnvLog})
	}
	if IsTrue(getenv(EnvRequired)) {
		s.Required, s.RequiredBy = true, EnvRequired
	}
	s.Fsync = IsTrue(getenv(EnvFsync))
	if cfg == nil || cfg.Audit == nil {
		return s
	}
	where := fmt.Sprintf("%s:%d", cfgPath, cfg.Audit.Line)
	if p := cfg.AuditPath(); p != "" && (len(s.Sinks) == 0 || absolute(s.Sinks[0].Path) != p) {
		s.Sinks = append(s.Sinks, Sink{p, where})
	}
	if cfg.Audit.Required && !s.Required {
		s.Required, s.RequiredBy = true, "audit: required: true in "+where
	}
	s.Fsync = s.Fsync || cfg.Audit.Fsync
	return s
}

// ResolveFound is Resolve with the .sops.yaml that find locates ("" for
// none) and load reads. A config that cannot be found or read gives none
// of its settings: the command reports config problems itself, and
// whoever can break the config could also remove the audit block.
func ResolveFound(getenv func(string) string, find func() (string, error), load func(path string) (*config.Config, error)) Settings {
	path, err := find()
	var cfg *config.Config
	if err == nil && path != "" {
		if cfg, err = load(path); err != nil {
			cfg = nil
		}
	}
	return Resolve(getenv, cfg, path)
}

// IsTrue is a boolean environment value: anything but "", "0", "false",
// "no" and "off" (as HULL_REQUIRE_STRICT_MAC).
func IsTrue(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

func absolute(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// FileName is a file's name in records: absolute, or "-" for stdin ("",
// "-" or /dev/stdin).
func FileName(path string) string {
	if path == "" || path == "-" || path == "/dev/stdin" {
		return "-"
	}
	return absolute(path)
}

// Check opens every sink once: nil when at least one can be written.
func (s Settings) Check() error {
	if len(s.Sinks) == 0 {
		return fmt.Errorf("no audit log is configured (set %s, or audit: path in .sops.yaml)", EnvLog)
	}
	var errs []error
	for _, sk := range s.Sinks {
		l, err := Open(sk.Path, Options{})
		if err == nil {
			l.Close()
			return nil
		}
		errs = append(errs, fmt.Errorf("%w (from %s)", err, sk.Source))
	}
	return errors.Join(errs...)
}

// Write appends rec to every sink. err is non-nil when no sink took it (or
// none is configured and the log is required); failed lists the sinks
// that did not take it when another did.
func (s Settings) Write(rec Record) (failed []error, err error) {
	if len(s.Sinks) == 0 {
		if s.Required {
			return nil, s.Check()
		}
		return nil, nil
	}
	ok := 0
	for _, sk := range s.Sinks {
		l, err := Open(sk.Path, Options{Sync: s.Fsync})
		if err == nil {
			err = l.Log(rec)
			l.Close()
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("%w (from %s)", err, sk.Source))
			continue
		}
		ok++
	}
	if ok == 0 {
		return nil, errors.Join(failed...)
	}
	return failed, nil
}

// Process is who runs the operations, as records name it.
type Process struct {
	User, UID, Host string
	PID             int
	Version         string
}

// CurrentProcess describes this process. The user name comes from the
// user database, else fallbackUser (the caller's $USER).
func CurrentProcess(version, fallbackUser string) Process {
	p := Process{UID: strconv.Itoa(os.Getuid()), PID: os.Getpid(), Version: version, User: fallbackUser}
	if u, err := user.Current(); err == nil {
		p.User = u.Username
	}
	p.Host, _ = os.Hostname()
	return p
}

// Outcome is how an operation or a decryption ended: Code 0 is success;
// Class names the kind of error (never its message, which may quote a
// value).
type Outcome struct {
	Code  int
	Class string
}

// Op is one audited operation (decrypt, edit, exec-env…): every record it
// writes carries its random ID. It is safe for concurrent use.
type Op struct {
	Name string

	id func() string // random, made on first use (a run without a log needs no randomness)

	mu     sync.Mutex
	file   string
	keys   []string
	warned bool
}

// NewOp starts an operation on file (a name from [FileName], or "" when
// its first decryption will name it).
func NewOp(name, file string) *Op {
	return &Op{id: sync.OnceValue(newID), Name: name, file: file}
}

// ID is the operation's random id, shared by its records.
func (o *Op) ID() string { return o.id() }

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Target is the operation's file and the keys that opened it.
func (o *Op) Target() (file string, keys []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.file, o.keys
}

// ShouldWarn reports whether to print a warning about a failing log now:
// once per operation, and not at all when quiet.
func (o *Op) ShouldWarn(quiet bool) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	skip := o.warned || quiet
	o.warned = o.warned || !skip
	return !skip
}

// Record is a record of the operation.
func (o *Op) Record(event, file string, keys []string, p Process, out Outcome) Record {
	rec := Record{Event: event, Op: o.Name, File: file, Keys: keys, PID: p.PID, UID: p.UID, User: p.User, Host: p.Host, OpID: o.ID(), Version: p.Version, Outcome: OutcomeOK}
	if out.Code != 0 || out.Class != "" {
		rec.Outcome, rec.ExitCode, rec.Class = OutcomeError, out.Code, out.Class
	}
	return rec
}

// ErrRefused marks the refusals of a required log: nothing was decrypted,
// or the plaintext was dropped.
var ErrRefused = errors.New("audit log unavailable")

// Access is the access record of one decryption of an operation's file.
type Access struct {
	op   *Op
	s    Settings
	file string

	mu   sync.Mutex
	keys []string
}

// BeginAccess is called before file is decrypted for op. With a required
// log that cannot be opened it returns an error wrapping ErrRefused:
// decrypt nothing then.
func (s Settings) BeginAccess(op *Op, file string) (*Access, error) {
	if s.Required {
		if err := s.Check(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrRefused, err)
		}
	}
	op.mu.Lock()
	op.file = file
	op.mu.Unlock()
	return &Access{op: op, s: s, file: file}, nil
}

// Context makes keysources.Recover report the keys that open the file.
func (a *Access) Context(ctx context.Context) context.Context {
	return keysources.WithOpenedBy(ctx, func(_ int, typ, id string) {
		a.mu.Lock()
		a.keys = append(a.keys, typ+":"+id)
		a.mu.Unlock()
	})
}

// Finish writes the access record for the outcome of the decryption. The
// caller must call it before any plaintext leaves it, and drop the
// plaintext when the report says to refuse.
//
// p is called only when there is a log to write: it reads the user
// database and the host name, which a run without a log does not need.
func (a *Access) Finish(p func() Process, out Outcome, quiet bool) Report {
	a.mu.Lock()
	keys := a.keys
	a.mu.Unlock()
	a.op.mu.Lock()
	a.op.keys = keys
	a.op.mu.Unlock()
	return a.s.report(a.op, func() Record { return a.op.Record(EventAccess, a.file, keys, p(), out) }, out, quiet, false)
}

// Report says what a caller must do once a record was written (or not).
type Report struct {
	// Refuse: the log is required, the operation succeeded, and no sink
	// took its record: the operation must fail (and drop any plaintext).
	Refuse error
	// Warn is a failure to warn about: no sink, or only some, took the
	// record. It is set once per operation, and never when quiet.
	Warn error
}

// Result writes the operation's result record. refused says that the
// operation failed because the required log refused it already (no
// second warning then).
// p is called only when there is a log to write (see Access.Finish).
func (o *Op) Result(s Settings, file string, keys []string, p func() Process, out Outcome, quiet, refused bool) Report {
	return s.report(o, func() Record { return o.Record(EventResult, file, keys, p(), out) }, out, quiet, refused)
}

func (s Settings) report(op *Op, rec func() Record, out Outcome, quiet, refused bool) Report {
	var r Record
	if len(s.Sinks) > 0 {
		r = rec()
	}
	failed, err := s.Write(r)
	var rep Report
	switch {
	case err != nil && s.Required && out == (Outcome{}):
		rep.Refuse = err
	case err != nil && !refused:
		rep.Warn = err
	case len(failed) > 0:
		rep.Warn = errors.Join(failed...)
	}
	if rep.Warn != nil && !op.ShouldWarn(quiet) {
		rep.Warn = nil
	}
	return rep
}
