package keysources

import (
	"errors"
	"fmt"
)

// Cause classes of a failure to reach or use a key service (AWS KMS,
// Vault, …). A network key source wraps one of them in a *KeyError, so the
// command line can give a hint and callers can tell "no credentials" from
// "key not found" with errors.Is.
var (
	// ErrNoCredentials: no credentials were found, or they could not be
	// loaded (no token, unknown profile, expired session).
	ErrNoCredentials = errors.New("no credentials")
	// ErrAccessDenied: the service refused the credentials or the
	// operation on this key.
	ErrAccessDenied = errors.New("access denied")
	// ErrKeyNotFound: the key does not exist, or is disabled or pending
	// deletion.
	ErrKeyNotFound = errors.New("key not found")
	// ErrUnreachable: the service could not be reached or answered with a
	// server error, after the retries; this includes the call's timeout.
	ErrUnreachable = errors.New("service unreachable")
	// ErrThrottled: the service kept refusing the call for its rate
	// limits, after the retries.
	ErrThrottled = errors.New("throttled")
	// ErrInvalidCiphertext: the service could not decrypt the wrapped key:
	// it is damaged, or was made with another key or encryption context.
	ErrInvalidCiphertext = errors.New("the wrapped key cannot be decrypted")
	// ErrEndpointNotAllowed: the service address comes from the file and is
	// not in the trusted allowlist; nothing was sent to it.
	ErrEndpointNotAllowed = errors.New("endpoint not allowed")
	// ErrHelperUnavailable: the program a key source works through
	// (hull-kms, for the cloud keys) is missing or of another version.
	ErrHelperUnavailable = errors.New("helper program unavailable")
	// ErrKeyServices: the key services (sops's --keyservice) failed the
	// wrap or unwrap.
	ErrKeyServices = errors.New("the key services failed")
)

// Classed is an error with the text msg that is also class (errors.Is),
// for a key source's own sentinel errors: callers that know only this
// package can still tell the class.
func Classed(msg string, class error) error { return &classed{msg, class} }

type classed struct {
	msg   string
	class error
}

func (e *classed) Error() string { return e.msg }
func (e *classed) Unwrap() error { return e.class }

// KeyError is a failure of one key at a key service. Its text names the
// key type, the key and the cause class, then the service's own message;
// it never holds a secret (a token, a data key).
type KeyError struct {
	Type  string // the stanza type: "kms", "hc_vault", …
	Key   string // the key: an ARN, a Vault key URI, …
	Op    string // "wrap" or "unwrap"
	Class error  // one of the Err… classes above, or nil when unknown
	Err   error  // the underlying cause, or nil
}

func (e *KeyError) Error() string {
	s := fmt.Sprintf("%s key %s", e.Type, e.Key)
	if e.Op != "" {
		s += ": " + e.Op
	}
	if e.Class != nil {
		s += ": " + e.Class.Error()
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the class and the cause, for errors.Is and errors.As.
func (e *KeyError) Unwrap() []error {
	var errs []error
	if e.Class != nil {
		errs = append(errs, e.Class)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}
