package main

import (
	"errors"
	"strings"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// sopsSentences are the fixed sentences sops 3.13 prints first for a class
// of failure. Scripts and test suites written for sops match them, so
// hull's first error line contains the sentence (its own explanation
// follows). The differential test (difftest_test.go) checks every class it
// reaches against the reference sops.
// errEmptyKeyGroup: a creation rule gives a key group with no keys.
var errEmptyKeyGroup = errors.New("empty key group")

var sopsSentences = []struct {
	match    func(err error) bool
	sentence string
}{
	{func(err error) bool { return errors.Is(err, metadata.ErrNoMetadata) }, "sops metadata not found"},
	{func(err error) bool { return errors.Is(err, errEmptyKeyGroup) }, "Could not generate data key: [empty key group provided]"},
	{func(err error) bool { return errors.Is(err, hull.ErrNoRecipients) },
		"config file not found, or has no creation rules, and no keys provided through command line options"},
	{func(err error) bool {
		return errors.Is(err, hull.ErrMACMismatch) && strings.Contains(err.Error(), "stored MAC cannot be decrypted")
	}, "Cannot decrypt MAC"},
	{func(err error) bool { return errors.Is(err, hull.ErrMACMismatch) || errors.Is(err, hull.ErrNoMAC) }, "MAC mismatch"},
	{func(err error) bool { return errors.Is(err, hull.ErrDecrypt) || errors.Is(err, hull.ErrMalformedValue) }, "Error decrypting tree"},
	{func(err error) bool { return errors.Is(err, hull.ErrEncrypt) }, "Error encrypting tree"},
	{func(err error) bool { return errors.Is(err, formats.ErrUnsupported) }, "Could not marshal tree"},
	{func(err error) bool { return errors.Is(err, formats.ErrSyntax) }, "Error unmarshalling file"},
	{func(err error) bool { return errors.Is(err, hull.ErrAlreadyEncrypted) },
		"The file you have provided contains a top-level entry called 'sops', or for flat file formats top-level entries starting with 'sops_'."},
	{func(err error) bool { return errors.Is(err, keysources.ErrNoKey) },
		"Failed to get the data key required to decrypt the SOPS file."},
	{func(err error) bool { return errors.Is(err, hull.ErrTreePath) }, "error parsing --extract path"},
	{func(err error) bool { return errors.Is(err, hull.ErrEmpty) }, "File cannot be completely empty, it must contain at least one document"},
}

// sentenceError gives err sops's sentence for the command that failed,
// where the class alone does not say which sops prints.
type sentenceError struct {
	sentence string
	err      error
}

func (e *sentenceError) Error() string { return e.err.Error() }
func (e *sentenceError) Unwrap() error { return e.err }

// sopsSays marks err with the sentence sops prints for it ("" for none:
// sops prints no sentence of its own for this failure).
func sopsSays(sentence string, err error) error { return &sentenceError{sentence, err} }

// withSopsSentence returns the message of err, starting with sops's
// sentence for its class when the message does not already contain it.
func withSopsSentence(err error) string {
	msg := err.Error()
	var se *sentenceError
	if errors.As(err, &se) {
		if !strings.Contains(msg, se.sentence) {
			msg = se.sentence + ": " + msg
		}
		return msg
	}
	for _, s := range sopsSentences {
		if s.match(err) {
			switch i := strings.Index(strings.ToLower(msg), strings.ToLower(s.sentence)); {
			case strings.Contains(msg, s.sentence):
			case i >= 0 && len(strings.ToLower(msg)) == len(msg):
				// The same words in other case: use sops's spelling.
				msg = msg[:i] + s.sentence + msg[i+len(s.sentence):]
			case strings.HasSuffix(s.sentence, "."):
				msg = s.sentence + " " + msg
			default:
				msg = s.sentence + ": " + msg
			}
			break
		}
	}
	return msg
}
