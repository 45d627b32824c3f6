package bulk

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/hullsecrets/hull"
)

// Spec says which files a bulk change works on: the encrypted ones, or
// the plaintext ones (encrypt). The others are left alone, counted as
// Outcome, with Note saying why.
type Spec struct {
	Verb      string // the command, for the summary ("rotate")
	Encrypted bool
	Note      string
	Outcome   Outcome
}

// The files each bulk command works on; the others are left alone.
var (
	EncryptSpec    = Spec{Verb: "encrypt", Encrypted: false, Note: "already encrypted", Outcome: Unchanged}
	DecryptSpec    = Spec{Verb: "decrypt", Encrypted: true, Note: "not encrypted", Outcome: Unchanged}
	RotateSpec     = Spec{Verb: "rotate", Encrypted: true, Note: "not encrypted (see 'hull check')", Outcome: Skipped}
	UpdatekeysSpec = Spec{Verb: "updatekeys", Encrypted: true, Note: "not encrypted (see 'hull check')", Outcome: Skipped}
)

// Result is what happened to one file of a bulk change.
type Result struct {
	Path    string
	Outcome Outcome
	Note    string // why it was skipped or left unchanged
	Err     error
	Log     []byte // what the change of this file wrote
}

// ChangeHooks are called by Change, under one lock, as in Run.
type ChangeHooks struct {
	// Done gets each result in input order.
	Done func(Result)
	// Progress is called after each file with the number finished.
	Progress func(done, total int)
}

// Change runs op on each file concurrently (Run, in the order of Spread)
// and counts the outcomes: a file with Skip is skipped; a file that is
// (or is not) encrypted against spec gets spec's outcome and note; else
// op changes it in place, writing its messages to log, and the file is
// Changed when its bytes differ afterwards, Unchanged when they do not,
// Failed when op fails. One file failing does not stop the others.
func Change(files []File, spec Spec, op func(f File, log io.Writer) error, hooks ChangeHooks) Summary {
	var sum Summary
	Run(files, 0, func(_ int, f File) Result {
		res := Result{Path: f.Path, Outcome: Skipped, Note: f.Skip}
		if f.Skip != "" {
			return res
		}
		enc, err := encryptedFile(f.Path)
		if err == nil && enc != spec.Encrypted {
			res.Outcome, res.Note = spec.Outcome, spec.Note
			return res
		}
		var log bytes.Buffer
		before, _ := os.ReadFile(f.Path)
		if err == nil {
			err = op(f, &log)
		}
		res.Log, res.Note, res.Err, res.Outcome = log.Bytes(), "", err, Failed
		if err == nil {
			after, _ := os.ReadFile(f.Path)
			res.Outcome = Unchanged
			if sha256.Sum256(before) != sha256.Sum256(after) {
				res.Outcome = Changed
			}
		}
		return res
	}, Hooks[Result]{
		Done: func(_ int, res Result) {
			sum.Add(res.Outcome)
			if hooks.Done != nil {
				hooks.Done(res)
			}
		},
		Progress: hooks.Progress,
		Order:    Spread(files),
	})
	return sum
}

// encryptedFile is hull.IsEncryptedFile, saying which file could not be
// read.
func encryptedFile(path string) (bool, error) {
	enc, err := hull.IsEncryptedFile(path)
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return false, fmt.Errorf("cannot read %s: %w", path, pe.Err)
	}
	return enc, err
}

// Shown are the lines of the file's log a user needs to see: all of them
// when verbose or when the file failed, else only the warnings (lines
// with ": warning: ").
func (r Result) Shown(verbose bool) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(r.Log))
	for sc.Scan() {
		if line := sc.Text(); verbose || r.Err != nil || strings.Contains(line, ": warning: ") {
			out = append(out, line)
		}
	}
	return out
}

// Message is the file's error as a message that names the file.
func (r Result) Message() string {
	msg := r.Err.Error()
	if !strings.Contains(msg, r.Path) {
		msg = r.Path + ": " + msg
	}
	return msg
}

// Drifted are the recipient drifts of checked files, "FILE: detail" each:
// the files whose keys differ from those of their creation rules.
func Drifted(results []hull.CheckResult) []string {
	var out []string
	for _, f := range Findings(results, hull.FindRecipientDrift) {
		out = append(out, fmt.Sprintf("%s: %s", f.File, f.Detail))
	}
	return out
}
