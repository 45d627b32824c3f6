package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/editor"
	"github.com/hullsecrets/hull/internal/bulk"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/localkeys"
	"github.com/hullsecrets/hull/metadata"
	"github.com/hullsecrets/hull/sopsenv"
)

func (r *runner) cmdKeygen(cl *cmdLine) error {
	path, err := oneFile(cl, true)
	if err != nil {
		return err
	}
	identity, recipient, err := localkeys.Keygen(path, r.env.lookup, runtime.GOOS, time.Now())
	switch {
	case errors.Is(err, localkeys.ErrNoKeyFilePlace):
		return withCode(exitGeneric, err)
	case path != "-" && err != nil:
		return withCode(exitCouldNotWrite, err)
	case err != nil || identity != nil:
		if err == nil {
			_, err = r.stdout.Write(identity)
		}
		return err
	}
	fmt.Fprintln(r.stdout, recipient)
	return nil
}

// legacy runs the sops top-level form: hull [flags] -e|-d FILE.
func (r *runner) legacy(cl *cmdLine) error {
	if cl.on("rotate") || keyChangeGiven(cl) {
		return r.legacyRotate(cl)
	}
	if cl.str("set") != "" {
		return r.legacySet(cl, cl.str("set"))
	}
	if len(cl.args) > 1 {
		return withCode(exitGeneric, fmt.Errorf("usage: one file expected, got %d arguments", len(cl.args)))
	}
	path := cl.arg(0)
	enc, dec := cl.on("encrypt"), cl.on("decrypt")
	if enc && dec {
		return withCode(exitConflictingParams, errors.New("--encrypt and --decrypt cannot be used together"))
	}
	if !isStdin(path) {
		if _, err := os.Stat(path); err != nil && (enc || dec) {
			abs, _ := filepath.Abs(path)
			return withCode(exitNoFileSpecified, fmt.Errorf("cannot operate on non-existent file %q", abs))
		}
	}
	switch {
	case enc:
		return r.encrypt(cl, path)
	case dec:
		return r.decrypt(cl, path)
	}
	return r.edit(cl, path)
}

// hints suggest the corrected command for common failures.
func hints(err error) []string {
	var nce *bulk.NoConfigError
	var ke *editor.KeptError
	switch {
	case errors.Is(err, keysources.ErrNoKey):
		return []string{sopsenv.KeyHint(err)}
	case errors.As(err, &nce) && nce.Files:
		return []string{"a pre-commit hook written by an older hull runs 'hull check' without --pre-commit: run 'hull hooks install' to update it (the new hook passes when there is no .sops.yaml)"}
	case errors.As(err, &ke):
		return []string{fmt.Sprintf("'hull decrypt %s' shows your version; carry your changes over with 'hull edit %s', then delete %s (it is encrypted for the recipients %s had when you opened it)", ke.Kept, ke.Path, ke.Kept, ke.Path)}
	case errors.Is(err, hull.ErrMACMismatch), errors.Is(err, hull.ErrNoMAC):
		return []string{"the file was modified outside sops/hull; check 'git diff' and, only if you trust the change, use --ignore-mac to read it"}
	case errors.Is(err, metadata.ErrNoMetadata):
		return []string{"to encrypt it, run 'hull encrypt'"}
	}
	return nil
}
