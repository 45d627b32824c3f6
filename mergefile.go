package hull

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/conflict"
	"github.com/hullsecrets/hull/metadata"
)

// MergeSide is one decrypted version of a file for MergeFiles: the
// plaintext tree, what opening it gave, and the ciphertexts of its values
// (a Stash filled by Open), so that unchanged values keep them.
type MergeSide struct {
	File   *formats.File
	Opened *Opened
	Stash  *Stash
}

// ErrDifferentKeys is returned by MergeFiles when the two sides have
// different data keys (one side rotated the key): they cannot be merged.
var ErrDifferentKeys = errors.New("the two sides have different data keys (one side rotated the key)")

// ErrMetadataConflict is returned by MergeMetadata when both sides changed
// who can decrypt, or how values are selected, differently.
var ErrMetadataConflict = errors.New("both sides changed the recipients, key groups or encryption rule differently")

// metaShape is what a merge compares in the metadata: who can decrypt and
// how values are selected.
type metaShape struct {
	Groups    [][]metadata.Stanza
	Threshold int
	Rule      metadata.Rule
	MACOnly   bool
}

func shapeOf(m *metadata.Metadata) metaShape {
	return metaShape{m.KeyGroups, m.ShamirThreshold, m.Rule, m.MACOnlyEncrypted}
}

// MergeMetadata merges the metadata three ways (base may be nil: no
// common ancestor): one side's change to the recipients or the rule is
// taken; different changes on both sides are ErrMetadataConflict. The
// result is a copy with its version bumped.
func MergeMetadata(base, ours, theirs *metadata.Metadata) (*metadata.Metadata, error) {
	o, t := shapeOf(ours), shapeOf(theirs)
	pick := ours
	switch {
	case reflect.DeepEqual(o, t):
	case base != nil && reflect.DeepEqual(shapeOf(base), o):
		pick = theirs
	case base != nil && reflect.DeepEqual(shapeOf(base), t):
	default:
		return nil, ErrMetadataConflict
	}
	m, err := metadata.Load(pick.Node())
	if err != nil {
		return nil, err
	}
	m.BumpVersion()
	return m, nil
}

// MergeFilesOptions tune MergeFiles.
type MergeFilesOptions struct {
	// Format is the format of the file.
	Format formats.Format
	// Now is the time written as lastmodified (time.Now when zero).
	Now time.Time
	// Check vets each version before it is sealed (the caller's
	// Policy.CheckWrite): it gets the merged metadata and plaintext and
	// says whether to leave out the extended MAC. An error stops the
	// merge.
	Check func(o *Opened, plain *formats.File) (noExtendedMAC bool, err error)
}

// MergedFile is the result of MergeFiles: the encrypted file, and the
// paths both sides changed differently. With conflicts, Data holds both
// encrypted versions between git conflict markers (never plaintext).
type MergedFile struct {
	Data      []byte
	Conflicts []MergeConflict
}

// MergeFiles merges three decrypted versions of an encrypted file key by
// key (base may be nil: no common ancestor) and seals the result with the
// data key of ours; values that did not change keep their ciphertext. The
// metadata is merged by MergeMetadata; the merged file has the extended
// MAC checked only when both sides had (docs/TRUST.md rules 11 and 12).
func MergeFiles(base, ours, theirs *MergeSide, o MergeFilesOptions) (*MergedFile, error) {
	if subtle.ConstantTimeCompare(ours.Opened.Key, theirs.Opened.Key) != 1 {
		return nil, ErrDifferentKeys
	}
	stashes := []*Stash{ours.Stash, theirs.Stash}
	var baseMeta *metadata.Metadata
	var baseDocs []*formats.Node
	if base != nil {
		baseMeta, baseDocs = base.Opened.Meta, base.File.Docs
		// The base's ciphertexts are of use only under the same key.
		if subtle.ConstantTimeCompare(base.Opened.Key, ours.Opened.Key) == 1 {
			stashes = append(stashes, base.Stash)
		}
	}
	m, err := MergeMetadata(baseMeta, ours.Opened.Meta, theirs.Opened.Meta)
	if err != nil {
		return nil, err
	}
	res, err := Merge3(baseDocs, ours.File.Docs, theirs.File.Docs)
	if err != nil {
		return nil, err
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	seal := func(docs []*formats.Node) ([]byte, error) {
		st := NewStash()
		for _, s := range stashes {
			st.Add(s)
		}
		mm, err := metadata.Load(m.Node())
		if err != nil {
			return nil, err
		}
		f := &formats.File{Docs: docs}
		// The merged tree is made by code: seal it as the file will hold
		// it (comments of both sides that meet, for example).
		if err := formats.Settle(o.Format, f); err != nil {
			return nil, err
		}
		r := *ours.Opened.Result
		r.ExtendedMACChecked = ours.Opened.Result.ExtendedMACChecked && theirs.Opened.Result.ExtendedMACChecked
		noXMAC := false
		if o.Check != nil {
			if noXMAC, err = o.Check(&Opened{Meta: mm, Result: &r}, f); err != nil {
				return nil, err
			}
		}
		if err := Seal(f, ours.Opened.Key, mm, SealOptions{Stash: st, Format: o.Format, Now: o.Now, NoExtendedMAC: noXMAC}); err != nil {
			return nil, err
		}
		return o.Format.Emit(f, formats.EmitOptions{})
	}
	out, err := seal(res.Docs)
	if err != nil {
		return nil, err
	}
	if len(res.Conflicts) > 0 {
		theirsOut, err := seal(res.TheirDocs)
		if err != nil {
			return nil, err
		}
		out = conflict.Text(out, theirsOut)
	}
	return &MergedFile{Data: out, Conflicts: res.Conflicts}, nil
}

// MergeVersions are the three versions of a file that git gives a merge
// driver, as read, and what MergeVersions needs to open and check them.
type MergeVersions struct {
	// Base, Ours and Theirs are the versions; Base is empty when they
	// have no common ancestor.
	Base, Ours, Theirs []byte
	Format             formats.Format
	// Name is the name creation rules match (git's %P).
	Name string
	// Open decrypts one version (side is "base", "ours" or "theirs") with
	// the caller's identities, filling stash with its ciphertexts
	// (Policy.Open with a Stash).
	Open func(side string, data []byte, stash *Stash) (*formats.File, *Opened, error)
	// Policy is the trust policy the merged file must pass
	// (Policy.CheckWrite); it is asked for once the versions merged
	// without a conflict of keys or metadata. A nil Policy func checks
	// with the zero Policy.
	Policy func() (*Policy, error)
}

// errNoVersionEncrypted is returned by MergeEncrypted when no version is
// encrypted: they are merged as text (as git does), not by hull.
var errNoVersionEncrypted = fmt.Errorf("no version is encrypted: %w", ErrNotEncrypted)

// PartlyEncryptedError is returned by MergeEncrypted when only some of the
// versions are encrypted: they are not merged.
type PartlyEncryptedError struct{ Base, Ours, Theirs bool }

func (e *PartlyEncryptedError) Error() string {
	return fmt.Sprintf("only some versions are encrypted (base %t, ours %t, theirs %t)", e.Base, e.Ours, e.Theirs)
}

// MergeInputError is an error of MergeVersions' Open or Policy, as they
// returned it.
type MergeInputError struct{ Err error }

func (e *MergeInputError) Error() string { return e.Err.Error() }
func (e *MergeInputError) Unwrap() error { return e.Err }

// MergeRefusedError is a refusal of Policy.CheckWrite: the merged file
// breaks a write rule of docs/TRUST.md.
type MergeRefusedError struct{ Err error }

func (e *MergeRefusedError) Error() string { return e.Err.Error() }
func (e *MergeRefusedError) Unwrap() error { return e.Err }

// MergeEncrypted is a merge driver's whole merge of an encrypted file: it
// opens each version (v.Open), merges them with MergeFiles and checks the
// result against the policy before it is sealed, with the same write rules
// as File.Rewrite. When no version is encrypted it returns an error
// wrapping ErrNotEncrypted, when only some are a *PartlyEncryptedError;
// errors of Open and Policy are *MergeInputError, refusals of the policy
// *MergeRefusedError, and MergeFiles' errors are returned as they are.
func MergeEncrypted(v MergeVersions) (*MergedFile, error) {
	data := [3][]byte{v.Base, v.Ours, v.Theirs}
	var enc [3]bool
	for i, d := range data {
		enc[i] = len(d) > 0 && HasMetadata(v.Format, d)
	}
	switch {
	case !enc[0] && !enc[1] && !enc[2]:
		return nil, errNoVersionEncrypted
	case !enc[1] || !enc[2] || (len(data[0]) > 0 && !enc[0]):
		return nil, &PartlyEncryptedError{enc[0], enc[1], enc[2]}
	}
	var sides [3]*MergeSide
	for i, side := range []string{"base", "ours", "theirs"} {
		if len(data[i]) == 0 {
			continue // no common ancestor
		}
		st := NewStash()
		f, o, err := v.Open(side, data[i], st)
		if err != nil {
			return nil, &MergeInputError{err}
		}
		sides[i] = &MergeSide{File: f, Opened: o, Stash: st}
	}
	var pol *Policy
	var before *formats.File
	check := func(o *Opened, plain *formats.File) (_ bool, err error) {
		if before == nil {
			if v.Policy != nil {
				if pol, err = v.Policy(); err != nil {
					return false, &MergeInputError{err}
				}
			}
			if before, err = v.Format.Parse(v.Ours, formats.ParseOptions{Encrypted: true}); err != nil {
				return false, err
			}
		}
		wc, err := pol.CheckWrite(v.Name, o, plain, before, v.Format.Name() == "binary", nil)
		if err != nil {
			return false, &MergeRefusedError{err}
		}
		return wc.NoExtendedMAC, nil
	}
	return MergeFiles(sides[0], sides[1], sides[2], MergeFilesOptions{Format: v.Format, Check: check})
}
