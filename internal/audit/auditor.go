package audit

import (
	"errors"
	"fmt"
)

// Auditor is the audit log's hooks in a program's commands: it follows the
// operation each worker is in (Ops), resolves the settings that apply to
// each file, writes the records and turns a required log that did not take
// one into an error (wrapping ErrRefused where nothing was decrypted or
// the plaintext was dropped).
type Auditor struct {
	// Ops follows the operation of each worker; it outlives the Auditor.
	Ops *Tracker
	// Settings are the settings for a file (a name from FileName, "" for
	// none).
	Settings func(file string) Settings
	// Process describes this process; it is called only when there is a
	// log to write.
	Process func() Process
	// Outcome is the outcome of an operation's error.
	Outcome func(error) Outcome
	// Quiet reports whether a failing optional log stays off stderr for
	// the operation and its error.
	Quiet func(op string, err error) bool
	// Warn is told a log that failed to take a record.
	Warn func(error)
}

// Begin starts the operation name on file (a path; "" when its first
// decryption names it, else fallback) for key (a worker). The function it
// returns ends it: it writes the result record for the operation's error
// and returns the error the operation must fail with when a required log
// did not take the record of a successful operation (nil otherwise).
func (a *Auditor) Begin(key any, name, file, fallback string) (end func(error) error) {
	if file != "" {
		file = FileName(file)
	}
	op := NewOp(name, file)
	leave := a.Ops.Enter(key, op)
	return func(err error) error {
		leave()
		file, keys := op.Target()
		if file == "" {
			file = FileName(fallback)
		}
		s := a.Settings(file)
		rep := op.Result(s, file, keys, a.Process, a.Outcome(err), a.Quiet(name, err), errors.Is(err, ErrRefused))
		a.warn(rep)
		if rep.Refuse != nil {
			return fmt.Errorf("%v: the result of %s was not recorded, and the audit log is required by %s", rep.Refuse, name, s.RequiredBy)
		}
		return nil
	}
}

func (a *Auditor) warn(rep Report) {
	if rep.Warn != nil {
		a.Warn(rep.Warn)
	}
}

// Decryption is one audited decryption (Auditor.BeginAccess).
type Decryption struct {
	*Access
	a    *Auditor
	file string
}

// BeginAccess begins the access record of decrypting the file at path
// for the operation key is in (a new one named name outside any): rule is
// the name the settings are found for and display the file's name in
// messages. With a required log that cannot be opened it fails (wrapping
// ErrRefused): decrypt nothing then.
func (a *Auditor) BeginAccess(key any, name, path, rule, display string) (*Decryption, error) {
	op, file := a.Ops.Current(key, name), FileName(path)
	s := a.Settings(rule)
	acc, err := s.BeginAccess(op, file)
	if err != nil {
		return nil, fmt.Errorf("%w; refusing to decrypt %s: the audit log is required by %s", err, display, s.RequiredBy)
	}
	return &Decryption{Access: acc, a: a, file: file}, nil
}

// End writes the access record for the decryption's error, before any
// plaintext leaves the caller. With a required log that did not take it,
// it returns an error wrapping ErrRefused: drop the plaintext then.
func (d *Decryption) End(err error) error {
	rep := d.Finish(d.a.Process, d.a.Outcome(err), d.a.Quiet(d.op.Name, err))
	d.a.warn(rep)
	if rep.Refuse != nil {
		return fmt.Errorf("%w: %v; refusing to release the plaintext of %s: the audit log is required by %s", ErrRefused, rep.Refuse, d.file, d.s.RequiredBy)
	}
	return nil
}
