package sopsenv

import (
	"errors"
	"strings"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// sops prints a fixed sentence first for each class of failure, and
// scripts and test suites written for sops match it. Message puts that
// sentence first in an error's message; hull's own explanation follows.

// ErrEmptyKeyGroup is wrapped by an error about a creation rule that
// gives a key group with no keys.
var ErrEmptyKeyGroup = errors.New("empty key group")

// sentences are the sentences sops 3.13 prints for a class of failure,
// the first that matches wins.
var sentences = []struct {
	match    func(err error) bool
	sentence string
}{
	{func(err error) bool { return errors.Is(err, metadata.ErrNoMetadata) }, "sops metadata not found"},
	{func(err error) bool { return errors.Is(err, ErrEmptyKeyGroup) }, "Could not generate data key: [empty key group provided]"},
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

// SentenceError gives an error the sentence sops prints for the command
// that failed, where the class of the error alone does not say which.
type SentenceError struct {
	// Sentence is sops's sentence; "" when sops prints none of its own
	// for this failure.
	Sentence string
	Err      error
}

func (e *SentenceError) Error() string { return e.Err.Error() }
func (e *SentenceError) Unwrap() error { return e.Err }

// Says marks err with the sentence sops prints for it ("" for none).
func Says(sentence string, err error) error { return &SentenceError{sentence, err} }

// Sentence is the sentence err was marked with by Says (the outermost
// one), and whether it was marked.
func Sentence(err error) (string, bool) {
	var se *SentenceError
	if errors.As(err, &se) {
		return se.Sentence, true
	}
	return "", false
}

// Message is the message of err starting with sops's sentence for it:
// the one it was marked with (Says), else the one of its class, unless
// the message already contains it. The same words in another case are
// replaced by sops's spelling.
func Message(err error) string {
	msg := err.Error()
	if s, ok := Sentence(err); ok {
		if !strings.Contains(msg, s) {
			msg = s + ": " + msg
		}
		return msg
	}
	for _, s := range sentences {
		if !s.match(err) {
			continue
		}
		switch i := strings.Index(strings.ToLower(msg), strings.ToLower(s.sentence)); {
		case strings.Contains(msg, s.sentence):
		case i >= 0 && len(strings.ToLower(msg)) == len(msg):
			msg = msg[:i] + s.sentence + msg[i+len(s.sentence):]
		case strings.HasSuffix(s.sentence, "."):
			msg = s.sentence + " " + msg
		default:
			msg = s.sentence + ": " + msg
		}
		break
	}
	return msg
}
