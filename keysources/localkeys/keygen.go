package localkeys

import (
	"errors"
	"time"

	"github.com/hullsecrets/hull/keysources/age"
)

// ErrNoKeyFilePlace is returned by Keygen when no file was named and the
// environment has no default place for one (DefaultAgeKeyFile).
var ErrNoKeyFilePlace = errors.New("no file given and neither XDG_CONFIG_HOME nor HOME is set")

// Keygen makes a new age identity, as 'hull keygen' does: for path "-" it
// returns the identity file's content (to print); otherwise it writes it
// to path, else to sops's default place (DefaultAgeKeyFile, from lookup
// and goos), never over an existing file (age.WriteIdentityFile), and
// returns its recipient. It fails with ErrNoKeyFilePlace or the error of
// generating or writing the identity.
func Keygen(path string, lookup func(string) (string, bool), goos string, now time.Time) (identity []byte, recipient string, err error) {
	if path == "" {
		if path = DefaultAgeKeyFile(lookup, goos); path == "" {
			return nil, "", ErrNoKeyFilePlace
		}
	}
	if path == "-" {
		identity, _, err := age.GenerateIdentity(now)
		return identity, "", err
	}
	recipient, err = age.WriteIdentityFile(path, now)
	return nil, recipient, err
}
