package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/atomicfile"
	"github.com/hullsecrets/hull/metadata"
)

// errConcurrentModification is returned by a rewrite whose file changed
// meanwhile.
var errConcurrentModification = errors.New("the file was changed by someone else while hull was working on it; nothing was written, run the command again")

// changeFunc changes a decrypted file in place and reports whether it
// changed anything.
type changeFunc func(f *formats.File, o *hull.Opened) (changed bool, err error)

// rewriteOptions tune rewrite.
type rewriteOptions struct {
	// hold keeps the directory lock for the whole read-modify-write (set,
	// unset). edit does not hold it while the editor runs; it relies on
	// the compare-and-swap check instead.
	hold bool
	// onConflict, when set, gets the sealed result that the
	// compare-and-swap refused to write (edit keeps it; see keepEdit).
	onConflict func(sealed []byte) error
}

// rewrite decrypts fio's file, lets change modify the plaintext, and writes
// the file back encrypted with the same data key. Values whose path, type
// and plaintext are unchanged keep their exact ciphertext. The write is
// atomic and happens only if the file on disk still has the bytes that were
// read (compare-and-swap under the directory lock).
func (r *runner) rewrite(c *cli.Context, fio *fileIO, o rewriteOptions, change changeFunc) (bool, error) {
	dir := filepath.Dir(fio.path)
	var unlock func()
	if o.hold {
		u, err := atomicfile.LockDir(dir)
		if err != nil {
			return false, withCode(exitCouldNotWrite, err)
		}
		unlock = u
		defer func() {
			if unlock != nil {
				unlock()
			}
		}()
	}
	original, err := r.readInput(fio)
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256(original)
	stash := hull.NewStash()
	f, opened, err := r.decryptBytes(c, fio, original, stash)
	if err != nil {
		return false, err
	}
	if opened.Result.Unverified && !(hasFlag(c, "force-rewrite-unverified") && c.Bool("force-rewrite-unverified")) {
		// --ignore-mac lets a tampered file be read; re-sealing it would
		// vouch for whatever was changed (SECURITY-CASES row 66).
		return false, withCode(exitMacMismatch, fmt.Errorf("%s: %w (read with --ignore-mac); check the file (git diff, git log) and pass --force-rewrite-unverified if you trust its content", fio.display(), hull.ErrUnverifiedRewrite))
	}
	if err := r.checkFilePolicy(c, fio, opened.Meta); err != nil {
		return false, err
	}
	changed, err := change(f, opened)
	if err != nil || !changed {
		return false, err
	}
	m := opened.Meta
	bumpVersion(m)
	if err := hull.Seal(f, opened.Key, m, hull.SealOptions{Stash: stash, Format: fio.out, InputFormat: fio.in, AllowNoEncryption: hasFlag(c, "allow-no-encryption") && c.Bool("allow-no-encryption")}); err != nil {
		return false, fmt.Errorf("%s: %w", fio.display(), err)
	}
	out, err := fio.out.Emit(f, fio.emitOpts)
	if err != nil {
		return false, fmt.Errorf("%s: %w", fio.display(), err)
	}
	if unlock == nil {
		u, err := atomicfile.LockDir(dir)
		if err != nil {
			return false, withCode(exitCouldNotWrite, err)
		}
		unlock = u
	}
	now, err := os.ReadFile(fio.path)
	if err != nil || sha256.Sum256(now) != sum {
		if o.onConflict != nil {
			unlock()
			unlock = nil
			return false, o.onConflict(out)
		}
		return false, withCode(exitConcurrentModification, fmt.Errorf("%s: %w", fio.path, errConcurrentModification))
	}
	if err := atomicfile.Write(fio.path, out, atomicfile.Options{}); err != nil {
		return false, withCode(exitCouldNotWrite, fmt.Errorf("cannot write %s: %w", fio.path, err))
	}
	return true, nil
}

// bumpVersion raises the file's version to the one hull writes, as sops
// does when it rewrites a file written by an older release.
func bumpVersion(m *metadata.Metadata) {
	if versionLess(m.Version, metadata.Version) {
		m.Version = metadata.Version
	}
}

// versionLess compares dotted numeric versions ("3.7.1" < "3.13.3").
// Anything unparsable counts as older.
func versionLess(a, b string) bool {
	pa, oka := parseVersion(a)
	pb, _ := parseVersion(b)
	if !oka {
		return true
	}
	for i := 0; i < 3; i++ {
		if pa[i] != pb[i] {
			return pa[i] < pb[i]
		}
	}
	return false
}

func parseVersion(s string) ([3]int, bool) {
	var v [3]int
	parts := bytes.Split([]byte(s), []byte("."))
	if len(parts) == 0 || len(parts) > 3 {
		return v, false
	}
	for i, p := range parts {
		n := 0
		if len(p) == 0 {
			return v, false
		}
		for _, ch := range p {
			if ch < '0' || ch > '9' {
				return v, false
			}
			n = n*10 + int(ch-'0')
		}
		v[i] = n
	}
	return v, true
}

// checkFilePolicy refuses to rewrite a file whose encryption rule differs
// from the trusted one: the rule of the matching .sops.yaml creation rule.
// The file's own rule is not trusted (SECURITY-CASES C8: a writer of the
// repository can swap it so that the next write stores a secret in clear).
// Without a matching creation rule there is nothing to compare with, and
// the file's rule is used, as sops does.
func (r *runner) checkFilePolicy(c *cli.Context, fio *fileIO, m *metadata.Metadata) error {
	if fio.out.Name() == "binary" || fio.path == "" {
		return nil
	}
	cfg, err := r.loadConfig(c, fio.path)
	if err != nil || cfg == nil || cfg.CreationRules == nil {
		return nil // a broken config is reported by the commands that need it
	}
	cr, err := cfg.RuleFor(absOrSelf(fio.path))
	if err != nil {
		return nil
	}
	want, have := cr.Rule.OrDefault(), m.Rule.OrDefault()
	if want == have && cr.MACOnlyEncrypted == m.MACOnlyEncrypted {
		return nil
	}
	return withCode(exitPolicyViolation, fmt.Errorf("%s: the file's encryption rule (%s %q, mac_only_encrypted %v) differs from .sops.yaml line %d (%s %q, mac_only_encrypted %v); hull writes only with the trusted rule: re-encrypt the file to apply it (hull decrypt -i %s && hull encrypt -i %s), or fix .sops.yaml",
		fio.display(), have.Kind, have.Value, m.MACOnlyEncrypted, cr.Line, want.Kind, want.Value, cr.MACOnlyEncrypted, fio.display(), fio.display()))
}
