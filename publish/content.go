package publish

import (
	"fmt"
	"io"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
)

// Source is the file Content publishes and how to read it.
type Source struct {
	Path    string // the file as the user named it, for errors
	In, Out formats.Format
	Emit    formats.EmitOptions
	// Read reads the file as it is (for a bucket without a recreation
	// rule).
	Read func() ([]byte, error)
	// Open reads and decrypts the file (for Vault, or a recreation rule).
	Open func() (*hull.KeyFile, error)
	// Recipients are the key groups of the recreation rule rr, to wrap the
	// new data key for.
	Recipients func(rr *config.CreationRule) ([][]keysources.Recipient, error)
	// Changes gets the change of the file's key groups, which sops prints
	// before it re-encrypts a file for a recreation rule (KeyChanges).
	Changes io.Writer
}

// Content is what goes to t, as sops publish sends it: for Vault the
// decrypted values (data, as Data makes them); for a bucket the encrypted
// file as it is (body), or, when the destination has a recreation rule rr
// with keys (Recreates), the file with a new data key wrapped for the
// rule's keys and the rule's threshold and suffixes (Recreate). Such a file
// gets a fresh hull MAC only over a rule it vouches for (hull.VouchesRule).
// A file that is not encrypted is not published.
func Content(t Target, rr *config.CreationRule, s Source) (body []byte, data map[string]any, err error) {
	if t.Kind != Vault && !Recreates(rr) {
		raw, err := s.Read()
		if err != nil {
			return nil, nil, err
		}
		if f, err := s.In.Parse(raw, formats.ParseOptions{Encrypted: true, Borrow: true}); err != nil || !hull.IsEncrypted(f) {
			return nil, nil, fmt.Errorf("%s: not an encrypted file: hull publishes only files sops or hull encrypted", s.Path)
		}
		return raw, nil, nil
	}
	kf, err := s.Open()
	if err != nil {
		return nil, nil, err
	}
	defer kf.Wipe()
	if t.Kind == Vault {
		data, err := Data(kf.Plain.Docs[0])
		return nil, data, err
	}
	groups, err := s.Recipients(rr)
	if err != nil {
		return nil, nil, err
	}
	m := kf.Opened.Meta
	have := hull.StanzaKeyIDs(m.KeyGroups)
	for _, u := range kf.Unusable {
		if u.Group < len(have) {
			have[u.Group] = append(have[u.Group], u.ID)
		}
	}
	fmt.Fprint(s.Changes, KeyChanges(have, hull.RecipientKeyIDs(groups)))
	binary := s.In.Name() == "binary"
	so := hull.SealOptions{Format: s.Out, InputFormat: s.In, NoExtendedMAC: !hull.VouchesRule(kf.Opened, binary, rr)}
	Recreate(m, rr, binary)
	out, err := kf.Rotated(groups, m.ShamirThreshold, so, s.Emit)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", s.Path, err)
	}
	return out, nil, nil
}
