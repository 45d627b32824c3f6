// Package sopsenv holds sops's environment conventions, as hull follows
// them: which variables and flags name the recipients of a new file, the
// decryption order, where hull-kms (the companion running the cloud key
// sources) is found and what environment it gets, the Vault token and the
// Vault addresses a user trusts; and the steps of a sops command that a
// program embedding hull runs the same way (open, the output of decrypt,
// set's value, updatekeys' rule, the YAML stream of several files), with
// the sentences sops prints first in its errors, which scripts match. It
// resolves each value once, from what the caller passes in: this package
// never reads the process environment itself (a CLI passes os.LookupEnv,
// tests and library users their own), and never prints (it takes
// callbacks).
package sopsenv

import (
	"errors"
	"fmt"
	"strings"
)

// Lookup looks up an environment variable, as os.LookupEnv.
type Lookup func(string) (string, bool)

// Get is the variable's value, "" when unset (or l is nil).
func (l Lookup) Get(k string) string {
	if l == nil {
		return ""
	}
	v, _ := l(k)
	return v
}

// ErrDuplicateKeyType is returned by DecryptionOrder for a key type named
// twice.
var ErrDuplicateKeyType = errors.New("duplicate decryption key type")

// DecryptionOrder is the order key types are tried in: flag (sops's
// --decryption-order), else SOPS_DECRYPTION_ORDER; nil when neither is
// set.
func DecryptionOrder(flag string, env Lookup) ([]string, error) {
	s := flag
	if s == "" {
		s = env.Get("SOPS_DECRYPTION_ORDER")
	}
	seen := map[string]bool{}
	var order []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if seen[t] {
			return nil, fmt.Errorf("%w: %s", ErrDuplicateKeyType, t)
		}
		seen[t] = true
		order = append(order, t)
	}
	return order, nil
}

// True reports whether an environment value means "on" (anything but
// empty, 0, false, no, off).
func True(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}
