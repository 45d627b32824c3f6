package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
	tp, err := r.writeTrust(c, fio, opened)
	if err != nil {
		return false, err
	}
	changed, err := change(f, opened)
	if err != nil || !changed {
		return false, err
	}
	m := opened.Meta
	if err := tp.checkClear(fio, f, original, m); err != nil {
		return false, err
	}
	bumpVersion(m)
	if err := hull.Seal(f, opened.Key, m, hull.SealOptions{Stash: stash, Format: fio.out, InputFormat: fio.in, AllowNoEncryption: hasFlag(c, "allow-no-encryption") && c.Bool("allow-no-encryption"), NoExtendedMAC: tp.noXMAC}); err != nil {
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

// writeTrust is what the trust policy (docs/TRUST.md) says about
// rewriting a file: the rule its values must honour, and whether the write
// may vouch for the file's recipients with a fresh x_hull_mac.
type writeTrust struct {
	trusted hull.TrustedRule
	// noXMAC: the file was read without a valid extended MAC and lists
	// recipients that neither the creation rule nor the command line name;
	// the write does not authenticate them.
	noXMAC bool
	// authenticated: the file's metadata was covered by a valid x_hull_mac.
	authenticated bool
}

// writeTrust resolves the trust policy of a rewrite of the opened file. A
// .sops.yaml that cannot be read is an error (fail closed).
func (r *runner) writeTrust(c *cli.Context, fio *fileIO, opened *hull.Opened) (*writeTrust, error) {
	name := fio.name
	if name == "" {
		name = fio.path
	}
	cr, source, err := r.trustedRule(c, name)
	if err != nil {
		return nil, err
	}
	var rule *metadata.Rule
	var named [][]hull.KeyID
	if cr != nil {
		rule = &cr.Rule
		if groups, err := groupsFromConfig(cr); err == nil {
			named = hull.RecipientKeyIDs(groups)
		}
	}
	tp := &writeTrust{trusted: hull.TrustedRuleFor(rule, source, opened.Meta, opened.Result.ExtendedMACChecked), authenticated: opened.Result.ExtendedMACChecked}
	if !opened.Result.ExtendedMACChecked && fio.out.Name() != "binary" && !hull.SameRule(opened.Meta, tp.trusted) {
		// A rule nobody authenticated, other than the trusted one, is
		// kept (as sops keeps it) but not vouched for: a fresh hull MAC
		// would make it the trusted rule of the next write.
		tp.noXMAC = true
		r.warnf("%s: x_hull_mac not added: the file's rule (%s) has no valid hull MAC and differs from %s", fio.display(), hull.DescribeRule(opened.Meta.Rule), tp.trusted.Source)
	}
	if !opened.Result.ExtendedMACChecked && !tp.noXMAC {
		if unv := hull.UnvouchedRecipients(opened.Meta, named); len(unv) > 0 {
			tp.noXMAC = true
			names := make([]string, len(unv))
			for i, k := range unv {
				names[i] = k.String()
			}
			r.warnf("%s: x_hull_mac not added: the file has no valid hull MAC and lists recipients no .sops.yaml creation rule names (%s); run 'hull updatekeys' or 'hull rotate -i' to confirm its recipients", fio.display(), strings.Join(names, ", "))
		}
	}
	return tp, nil
}

// checkClear refuses a write that would store in clear a value the
// trusted rule encrypts (exit 29).
func (tp *writeTrust) checkClear(fio *fileIO, f *formats.File, original []byte, m *metadata.Metadata) error {
	if fio.out.Name() == "binary" {
		return nil
	}
	before, err := fio.parse(original, true)
	if err != nil {
		return err
	}
	if _, err := hull.CheckClearValues(f, before, m, tp.trusted); err != nil {
		return withCode(exitPolicyViolation, fmt.Errorf("%s: %w", fio.display(), err))
	}
	return nil
}
