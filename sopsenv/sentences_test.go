package sopsenv

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
)

func TestMessage(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		// The class's sentence first, with ": " …
		{fmt.Errorf("a.yaml: %w", hull.ErrDecrypt), "Error decrypting tree: a.yaml: " + hull.ErrDecrypt.Error()},
		// A message that holds the sentence already stays as it is.
		{fmt.Errorf("a.yaml: %w", hull.ErrMACMismatch), "a.yaml: MAC mismatch"},
		{fmt.Errorf("a.yaml: %w: line 3", formats.ErrSyntax), "Error unmarshalling file: a.yaml: " + formats.ErrSyntax.Error() + ": line 3"},
		// … or a space after a sentence that ends with a full stop.
		{fmt.Errorf("a.yaml: %w", keysources.ErrNoKey), "Failed to get the data key required to decrypt the SOPS file. a.yaml: " + keysources.ErrNoKey.Error()},
		// The same words in another case take sops's spelling.
		{fmt.Errorf("x: %w", hull.ErrEmpty), "x: File cannot be completely empty, it must contain at least one document"},
		// The first class that matches wins.
		{fmt.Errorf("%w: %w: group 1", hull.ErrNoRecipients, ErrEmptyKeyGroup), "Could not generate data key: [empty key group provided]: no recipients: empty key group: group 1"},
		{fmt.Errorf("%w: the stored MAC cannot be decrypted", hull.ErrMACMismatch), "Cannot decrypt MAC: MAC mismatch: the stored MAC cannot be decrypted"},
		// A marked error takes its own sentence, once.
		{Says("Key not found", fmt.Errorf("f: %w", hull.ErrNotFound)), "Key not found: f: " + hull.ErrNotFound.Error()},
		{Says("MAC mismatch", fmt.Errorf("f: %w", hull.ErrMACMismatch)), "f: MAC mismatch"},
		{fmt.Errorf("outer: %w", Says("Error dumping file", errors.New("inner"))), "Error dumping file: outer: inner"},
		// "": sops prints no sentence, not even the class's.
		{Says("", fmt.Errorf("f: %w", formats.ErrSyntax)), "f: " + formats.ErrSyntax.Error()},
		// No class: the message as it is.
		{errors.New("plain"), "plain"},
	} {
		if got := Message(c.err); got != c.want {
			t.Errorf("Message(%q) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestSentence(t *testing.T) {
	if s, ok := Sentence(fmt.Errorf("x: %w", Says("Error dumping tree", errors.New("y")))); !ok || s != "Error dumping tree" {
		t.Errorf("wrapped: %q %v", s, ok)
	}
	if s, ok := Sentence(errors.New("y")); ok || s != "" {
		t.Errorf("unmarked: %q %v", s, ok)
	}
}
