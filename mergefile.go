package hull

import (
	"crypto/subtle"
	"errors"
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
