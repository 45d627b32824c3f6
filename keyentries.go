package hull

import (
	"slices"
	"strings"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// KeyEntry is one key of a key group being computed: a recipient hull can
// wrap for, or a stanza of the file still to be turned into one.
type KeyEntry struct {
	ID        KeyID
	Recipient keysources.Recipient
	Stanza    *metadata.Stanza
	Unusable  string // why a stanza of the file holds no key
}

// EntriesFromRecipients lists recipients as entries.
func EntriesFromRecipients(groups [][]keysources.Recipient) [][]KeyEntry {
	out := make([][]KeyEntry, len(groups))
	for i, g := range groups {
		for _, rc := range g {
			out[i] = append(out[i], KeyEntry{ID: RecipientKeyID(rc), Recipient: rc})
		}
	}
	return out
}

// EntriesFromFile lists the file's keys, the unusable ones included.
func EntriesFromFile(m *metadata.Metadata, unusable []UnusableStanza) [][]KeyEntry {
	out := make([][]KeyEntry, len(m.KeyGroups))
	for i, g := range m.KeyGroups {
		for j := range g {
			out[i] = append(out[i], KeyEntry{ID: StanzaKeyID(g[j]), Stanza: &g[j]})
		}
	}
	for _, u := range unusable {
		for u.Group >= len(out) {
			out = append(out, nil)
		}
		out[u.Group] = append(out[u.Group], KeyEntry{ID: u.ID, Unusable: u.Why})
	}
	return out
}

// KeyChanges are the --add-*/--rm-* flags of rotate.
type KeyChanges struct {
	Add    []keysources.Recipient
	Remove []KeyID
}

// Empty reports whether nothing is added or removed.
func (k KeyChanges) Empty() bool { return len(k.Add) == 0 && len(k.Remove) == 0 }

// Apply adds kc.Add to group 0 (unless already there) and removes kc.Remove
// from every group. It returns the removals that matched nothing.
func (kc KeyChanges) Apply(groups [][]KeyEntry) ([][]KeyEntry, []KeyID) {
	if len(kc.Add) > 0 && len(groups) == 0 {
		groups = append(groups, nil)
	}
	for _, a := range kc.Add {
		id := RecipientKeyID(a)
		if !slices.ContainsFunc(groups[0], func(e KeyEntry) bool { return e.ID == id }) {
			groups[0] = append(groups[0], KeyEntry{ID: id, Recipient: a})
		}
	}
	var unmatched []KeyID
	for _, rm := range kc.Remove {
		found := false
		for i := range groups {
			groups[i] = slices.DeleteFunc(groups[i], func(e KeyEntry) bool {
				if e.ID == rm || (rm.Type == "kms" && e.ID.Type == "kms" && strings.SplitN(e.ID.ID, "|", 2)[0] == rm.ID) {
					found = true
					return true
				}
				return false
			})
		}
		if !found {
			unmatched = append(unmatched, rm)
		}
	}
	return groups, unmatched
}

// EntryIDs are the key IDs of the entries.
func EntryIDs(groups [][]KeyEntry) [][]KeyID {
	out := make([][]KeyID, len(groups))
	for i, g := range groups {
		out[i] = []KeyID{}
		for _, e := range g {
			out[i] = append(out[i], e.ID)
		}
	}
	return out
}
