package hull

import (
	"errors"
	"fmt"
)

// Errors that callers can test with errors.Is. The command line maps each
// to one exit code (cmd/hull/exitcodes.go).
var (
	// ErrMalformedValue: an ENC[…] value that neither sops nor hull can
	// read (bad base64, unknown type, wrong IV length, …).
	ErrMalformedValue = errors.New("malformed encrypted value")
	// ErrNonCanonical: an ENC[…] value that sops would read but that has
	// more than one encoding (trailing bytes, moved tag bytes, non-canonical
	// base64 or typed plaintext), or a type used where it cannot be.
	ErrNonCanonical = errors.New("non-canonical encrypted value")
	// ErrDecrypt: a value failed authentication, or a value that the rule
	// says is encrypted is not.
	ErrDecrypt = errors.New("cannot decrypt value")
	// ErrMACMismatch: the values do not match the file's MAC.
	ErrMACMismatch = errors.New("MAC mismatch")
	// ErrNoMAC: the file has no MAC.
	ErrNoMAC = errors.New("file has no MAC")
	// ErrExtendedMAC: the file does not match its hull extended MAC
	// (x_hull_mac), the field is malformed, or it is missing and the
	// caller requires it (OpenOptions.RequireExtendedMAC).
	ErrExtendedMAC = errors.New("strict MAC failure")
	// ErrEncrypt: a value could not be encrypted.
	ErrEncrypt = errors.New("cannot encrypt value")
	// ErrAlreadyEncrypted: the input to encrypt already has sops metadata.
	ErrAlreadyEncrypted = errors.New("file is already encrypted")
	// ErrEmpty: the input has no document.
	ErrEmpty = errors.New("file cannot be completely empty, it must contain at least one document")
	// ErrNothingEncrypted: the rule leaves every value of the file in
	// clear (a regex that matches nothing, a parent key ending in the
	// unencrypted suffix); the write is refused unless explicitly allowed.
	ErrNothingEncrypted = errors.New("the encryption rule leaves every value in clear")
	// ErrUnverifiedRewrite: a file read with --ignore-mac whose MAC does
	// not match would be rewritten (and re-sealed as if it were genuine).
	ErrUnverifiedRewrite = errors.New("refusing to rewrite a file whose MAC does not match")
	// ErrNoRecipients: nothing to encrypt the data key to.
	ErrNoRecipients = errors.New("no recipients")
)

func malformed(msg string) error    { return fmt.Errorf("%w: %s", ErrMalformedValue, msg) }
func nonCanonical(msg string) error { return fmt.Errorf("%w: %s", ErrNonCanonical, msg) }

// PathError says where in a document an error happened. Path is written
// like a sops tree path (["a"]["b"][0]); it names keys and indexes, never
// values.
type PathError struct {
	Doc  int // 0-based document index
	Path string
	Err  error
}

func (e *PathError) Error() string {
	where := e.Path
	if where == "" {
		where = "top level"
	}
	if e.Doc > 0 {
		return fmt.Sprintf("document %d, %s: %v", e.Doc+1, where, e.Err)
	}
	return fmt.Sprintf("%s: %v", where, e.Err)
}

func (e *PathError) Unwrap() error { return e.Err }
