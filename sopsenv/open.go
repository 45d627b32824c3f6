package sopsenv

import (
	"context"
	"errors"
	"fmt"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/localkeys"
)

// OpenInput is what Open needs to open one encrypted file as a sops
// command line does.
type OpenInput struct {
	// Format is the file's format and Data its bytes.
	Format formats.Format
	Data   []byte
	// Display names the file in messages; Name is the name creation rules
	// match.
	Display, Name string
	// Prepare, when set, sees the parsed file before it is decrypted.
	Prepare func(*formats.File)
	// Identities loads the identities, once the file parsed (loading
	// them may ask for a passphrase).
	Identities func() (*localkeys.Set, error)
	// Policy resolves the trust policy, after the identities.
	Policy func() (*hull.Policy, error)
	// Decrypt are the options of the decryption (the order, a stash,
	// compat); the identities and what the policy requires are Open's.
	Decrypt hull.DecryptOptions
	// Decrypted, when set, is told the outcome of the decryption (a log).
	Decrypted func(error)
	// Warn, when set, is told the parse's warnings, and once the file
	// opened, the identities' warnings (only with Verbose or a Stash: a
	// read-only command prints nothing on success) and the open's
	// notices (hull.Result.Notices).
	Warn    func(string)
	Verbose bool
}

// Open is the open step of every command that reads an encrypted file:
// it parses it (ParseEncrypted, with sops's sentences), loads the
// identities, resolves the policy and opens the file as the policy says
// (hull.Policy.Open: the data key, the MAC and, where required, the
// extended MAC). When no identity could even try to recover the data
// key, the error is a *localkeys.NoIdentityError that says where
// identities were looked for.
func Open(ctx context.Context, in OpenInput) (*formats.File, *hull.Opened, error) {
	warn := func(format string, args ...any) {
		if in.Warn != nil {
			in.Warn(fmt.Sprintf(format, args...))
		}
	}
	f, err := ParseEncrypted(in.Format, in.Data, in.Display)
	if err != nil {
		return nil, nil, err
	}
	for _, w := range f.Warnings {
		warn("%s: %s", in.Display, w)
	}
	if in.Prepare != nil {
		in.Prepare(f)
	}
	ids, err := in.Identities()
	if err != nil {
		return nil, nil, err
	}
	pol, err := in.Policy()
	if err != nil {
		return nil, nil, err
	}
	opened, err := pol.Open(ctx, f, in.Display, in.Name, ids.Identities, in.Decrypt)
	if in.Decrypted != nil {
		in.Decrypted(err)
	}
	if err != nil {
		var re *keysources.RecoverError
		if errors.As(err, &re) && re.NoneTried() {
			return nil, nil, &localkeys.NoIdentityError{File: in.Display, Err: errors.Unwrap(err), Searched: ids.Searched}
		}
		return nil, nil, err
	}
	rewriting := in.Decrypt.Stash != nil
	if rewriting || in.Verbose {
		for _, w := range ids.Warnings {
			warn("%s", w)
		}
	}
	for _, w := range opened.Result.Notices(rewriting, in.Verbose) {
		warn("%s: %s", in.Display, w)
	}
	return f, opened, nil
}
