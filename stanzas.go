package hull

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"filippo.io/age/armor"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/metadata"
)

// The stanzas of a file that hold no key: a writer of the repository can
// add one to receive the next data key (docs/TRUST.md rule 13). The key
// commands set them aside before loading the metadata, show them, and never
// wrap a key for them.

// UnusableStanza is a stanza of a file that holds no key hull can use: its
// key group (0-based), its key ID and why.
type UnusableStanza struct {
	Group int
	ID    KeyID
	Why   string
}

func (u UnusableStanza) String() string { return fmt.Sprintf("%s (%s)", u.ID, u.Why) }

// StripUnusable removes from a sops metadata tree the stanzas whose enc is
// missing or empty, and entries of unknown key types inside key_groups,
// and returns them. Neither holds a wrapped key.
func StripUnusable(meta *formats.Node) []UnusableStanza {
	var out []UnusableStanza
	strip := func(group int, list *formats.Node) {
		if list.Kind != formats.Sequence {
			return
		}
		var kept []*formats.Node
		for _, e := range list.Children {
			if e.Kind == formats.Mapping && emptyEnc(e) {
				s := metadata.Stanza{Type: list.Key, Fields: e}
				out = append(out, UnusableStanza{Group: group, ID: StanzaKeyID(s), Why: "enc is empty: it holds no key"})
				continue
			}
			kept = append(kept, e)
		}
		list.Children = kept
	}
	for _, ch := range meta.Children {
		if slices.Contains(metadata.StanzaTypes, ch.Key) {
			strip(0, ch)
		}
	}
	if kg := meta.Get("key_groups"); kg != nil && kg.Kind == formats.Sequence {
		gi := 0
		for _, g := range kg.Children {
			if g.Kind == formats.Comment {
				continue
			}
			if g.Kind == formats.Mapping {
				var kept []*formats.Node
				for _, l := range g.Children {
					switch {
					case slices.Contains(metadata.StanzaTypes, l.Key):
						strip(gi, l)
					case l.Kind == formats.Sequence && len(l.Children) > 0:
						out = append(out, UnusableStanza{Group: gi, ID: KeyID{Type: l.Key, ID: "?"}, Why: "unknown key type"})
						continue
					}
					kept = append(kept, l)
				}
				g.Children = kept
			}
			gi++
		}
	}
	return out
}

func emptyEnc(stanza *formats.Node) bool {
	e := stanza.Get("enc")
	return e == nil || e.Kind != formats.Scalar || strings.TrimSpace(e.Value) == ""
}

// CheckEnc checks that a stanza taken from the file looks like a wrapped
// key of its type, before its recipient gets a new key. It cannot tell
// whether the key inside is really wrapped for that recipient.
func CheckEnc(s metadata.Stanza) error {
	enc := s.Get("enc")
	if strings.TrimSpace(enc) == "" {
		return errors.New("enc is empty: it holds no key")
	}
	switch s.Type {
	case "age":
		head := make([]byte, len("age-encryption.org/v1\n"))
		if _, err := io.ReadFull(armor.NewReader(strings.NewReader(enc)), head); err != nil || string(head) != "age-encryption.org/v1\n" {
			return errors.New("enc is not an armored age file")
		}
	case "pgp":
		if !strings.HasPrefix(strings.TrimSpace(enc), "-----BEGIN PGP MESSAGE-----") {
			return errors.New("enc is not an armored PGP message")
		}
	}
	return nil
}
