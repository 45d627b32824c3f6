// Package keysources wraps and unwraps the data key of a file for the
// recipients that may read it.
//
// A Recipient wraps a data key into a metadata.Stanza; an Identity unwraps a
// stanza back into the data key. Both are stateless: the wrapped key is a
// return value, never a field. An Identity returns ErrIncorrectIdentity for
// a stanza that is not addressed to it, so callers try the next one; any
// other error is a real failure and is reported.
//
// Key groups and Shamir sharing (Wrap many, Recover) are in this package
// too; each key type lives in a subpackage (age, …), and keysources/all
// holds the table that routes a recipient string to its key type.
package keysources

import (
	"errors"

	"github.com/hullsecrets/hull/metadata"
)

// Recipient wraps a data key for one reader.
type Recipient interface {
	// Type is the metadata type name ("age", "pgp", …).
	Type() string
	// String is the recipient as the user writes it (an age recipient, a
	// fingerprint, an ARN). It contains no secret.
	String() string
	// Wrap returns a stanza holding the wrapped data key.
	Wrap(dataKey []byte) (metadata.Stanza, error)
}

// Identity unwraps data keys addressed to it.
type Identity interface {
	// Unwrap returns the data key (or share) in s, ErrIncorrectIdentity
	// when s is not for this identity, or another error when it is but
	// unwrapping failed.
	Unwrap(s metadata.Stanza) ([]byte, error)
}

// ErrIncorrectIdentity means "this stanza is not mine; try the next one".
var ErrIncorrectIdentity = errors.New("incorrect identity for this stanza")

// KeyFilter restricts an identity of a network key source to some keys
// (its Only method): Allows is true for every key when the filter is nil.
type KeyFilter map[string]bool

// NewKeyFilter returns a filter for ids, or nil (every key) when there are
// none.
func NewKeyFilter(ids ...string) KeyFilter {
	if len(ids) == 0 {
		return nil
	}
	f := KeyFilter{}
	for _, id := range ids {
		f[id] = true
	}
	return f
}

// Allows reports whether any of ids passes the filter.
func (f KeyFilter) Allows(ids ...string) bool {
	if f == nil {
		return true
	}
	for _, id := range ids {
		if f[id] {
			return true
		}
	}
	return false
}
