// Package audit writes hull's audit log: one JSON object per line, one line
// per event, appended to a file that any number of hull processes share.
//
// # Records
//
// A [Record] says who (user, uid, host, pid) did what (op) to which file,
// with which key (the stanza that unwrapped the data key, as
// "type:identity"), when, and how it ended: outcome "ok" or "error", with
// the exit code and a short class name for an error. It has no free-text
// field: an error message may quote a value (a malformed scalar, a key
// name), so only its class is logged, and a record never holds a value, a
// key or a credential.
//
// # Sinks
//
// [Open] appends to a file: opened O_WRONLY|O_APPEND|O_CREATE with mode
// 0600, never through a symbolic link as the last path element, and only if
// it is a regular file (a FIFO or a device is refused, so a write cannot
// hang on a reader that never comes). Every line is written with a single
// write(2) on the O_APPEND descriptor, so lines from concurrent processes
// never interleave. [New] writes to any io.Writer (a test sink, a future
// syslog); it must take a line in one Write call.
//
// A write that takes longer than [Options.Timeout] fails with
// [ErrTimeout]: a log on a hung network file system must not hang hull
// forever, and a caller that requires the log then refuses to go on (HashiCorp
// Vault's blocked audit device; SECURITY.md).
//
// # Settings, operations and fail-closed
//
// [Resolve] combines HULL_AUDIT_LOG, which names a log file, with the
// top-level audit block of the .sops.yaml that applies to the file
// (config.Audit), which names another: a record goes to each, and at least
// one must take it (as Vault's audit devices). HULL_AUDIT_REQUIRED or
// audit: required: true makes the log required; HULL_AUDIT_FSYNC or audit:
// fsync: true fsyncs every line.
//
// An [Op] is one audited command. Every decryption writes an access record
// ([Settings.BeginAccess], [Access.Finish]: after the data key was
// recovered or not and the file authenticated or not, and before any
// plaintext leaves the caller: output, editor, child process), with the
// keys that opened the file. Every operation writes a result record when
// it ends ([Op.Result]), with the caller's exit code (for exec-*, the
// command's); exec-env --same-process replaces hull with the command and
// writes none.
//
// With a required log, a decrypting caller first checks that the log can
// be opened (BeginAccess refuses with [ErrRefused] before anything is
// decrypted); if the access record then cannot be written, the [Report]
// says to refuse: the caller drops the plaintext and fails. A result
// record that cannot be written turns success into failure. Without
// required, a failing log is a warning, reported once per operation and
// not at all when the caller asks for quiet (hull's decrypt, whose stderr
// helm-secrets and others read).
//
// # Shell safety
//
// A log line is JSON, and every '$' and '`' in it is written as \u0024 and
// \u0060 (still valid JSON). Should a log path ever point at a file a
// shell reads, a file name such as "$(cmd).yaml" cannot run anything.
package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Events.
const (
	// EventAccess is written after hull tried to recover the data key and
	// authenticate a file, and before any plaintext leaves hull.
	EventAccess = "access"
	// EventResult is written when an operation ends.
	EventResult = "result"
)

// Outcomes.
const (
	OutcomeOK    = "ok"
	OutcomeError = "error"
)

// Record is one line of the log. Fields that are empty are left out,
// except those every record has.
type Record struct {
	// Time is RFC 3339 in UTC with milliseconds; Log fills it when empty.
	Time string `json:"time"`
	// Event is EventAccess or EventResult.
	Event string `json:"event"`
	// Op is the operation: decrypt, encrypt, edit, rotate, updatekeys,
	// set, unset, exec-env, exec-file, groups-add, groups-delete…
	Op string `json:"op"`
	// Outcome is OutcomeOK or OutcomeError.
	Outcome string `json:"outcome"`
	// ExitCode is the exit code the operation gave (0 when ok).
	ExitCode int `json:"exit_code"`
	// Class names the kind of error ("mac-mismatch", "no-key"…); empty
	// when ok.
	Class string `json:"class,omitempty"`
	// File is the absolute path of the file, or "-" for stdin.
	File string `json:"file"`
	// Keys are the stanzas that unwrapped the data key (one per key group
	// recovered), as "type:identity", e.g. "age:age1…".
	Keys []string `json:"keys,omitempty"`
	User string   `json:"user"`
	UID  string   `json:"uid"`
	Host string   `json:"host"`
	PID  int      `json:"pid"`
	// OpID is a random identifier shared by the records of one
	// operation (its access records and its result).
	OpID    string `json:"op_id,omitempty"`
	Version string `json:"version"`
}

// TimeFormat is the format of Record.Time.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// Marshal returns r as one line of the log, with its final newline.
func Marshal(r Record) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	b = bytes.ReplaceAll(b, []byte("$"), []byte(`\u0024`))
	b = bytes.ReplaceAll(b, []byte("`"), []byte(`\u0060`))
	return append(b, '\n'), nil
}

// DefaultTimeout bounds one write when Options.Timeout is 0.
const DefaultTimeout = 10 * time.Second

// ErrTimeout is returned by Log when a write did not finish in time.
var ErrTimeout = errors.New("the write did not finish in time")

// Options control a Logger.
type Options struct {
	// Sync calls fsync after every line (file sinks only).
	Sync bool
	// Timeout bounds one write (DefaultTimeout when 0).
	Timeout time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Logger writes records to one sink. It is safe for concurrent use.
type Logger struct {
	name string
	w    io.Writer
	file *os.File
	opts Options
	mu   sync.Mutex // held for one write; a hung write keeps it
	hung atomic.Bool
}

// New returns a Logger that writes to w, called name in errors. w must
// take each line in a single Write call.
func New(w io.Writer, name string, opts Options) *Logger {
	return &Logger{name: name, w: w, opts: opts}
}

// Open opens the file at path for appending (see the package doc) and
// returns a Logger for it. Errors name the file by [Redact](path).
func Open(path string, opts Options) (*Logger, error) {
	if path == "" {
		return nil, errors.New("audit log: no path")
	}
	if strings.Contains(path, "://") {
		return nil, fmt.Errorf("audit log %s: only a file path is supported, not a URL", Redact(path))
	}
	f, err := openAppend(path)
	if err != nil {
		return nil, fmt.Errorf("audit log %s: %w", Redact(path), cause(err))
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("audit log %s: %w", Redact(path), cause(err))
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("audit log %s: not a regular file", Redact(path))
	}
	return &Logger{name: path, w: f, file: f, opts: opts}, nil
}

// cause drops the *PathError wrapping (its path is already in the message).
func cause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Log writes r as one line. It fills r.Time when empty.
func (l *Logger) Log(r Record) error {
	if r.Time == "" {
		now := time.Now
		if l.opts.Now != nil {
			now = l.opts.Now
		}
		r.Time = now().UTC().Format(TimeFormat)
	}
	line, err := Marshal(r)
	if err != nil {
		return fmt.Errorf("audit log %s: %v", Redact(l.name), err)
	}
	timeout := l.opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	done := make(chan error, 1)
	go func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		done <- l.write(line)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("audit log %s: %w", Redact(l.name), cause(err))
		}
		return nil
	case <-t.C:
		l.hung.Store(true)
		return fmt.Errorf("audit log %s: %w (after %v)", Redact(l.name), ErrTimeout, timeout)
	}
}

func (l *Logger) write(line []byte) error {
	n, err := l.w.Write(line)
	if err == nil && n != len(line) {
		err = io.ErrShortWrite
	}
	if err == nil && l.opts.Sync && l.file != nil {
		err = l.file.Sync()
	}
	return err
}

// Close closes the file of a Logger made by Open. After a write timed out
// it leaves the file open (closing could wait for the hung write).
func (l *Logger) Close() error {
	if l.file == nil || l.hung.Load() {
		return nil
	}
	return l.file.Close()
}

// Redact returns a log location fit for a message: a URL's password (as
// in a database DSN) is replaced by "xxxxx" and its query dropped
// (SECURITY.md: sops printed its whole Postgres DSN). A file path is
// returned as it is.
func Redact(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(an unparsable URL)"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" {
		u.RawQuery = "xxxxx"
	}
	u.Fragment = ""
	return u.String()
}
