package publish

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/metadata"
)

// Recreates reports whether a bucket gets the file re-encrypted for rr,
// the destination's recreation_rule, rather than as it is: as sops
// publish, when the rule's first key group names a key.
func Recreates(rr *config.CreationRule) bool {
	return rr != nil && len(rr.KeyGroups) > 0 && len(rr.KeyGroups[0]) > 0
}

// Recreate sets on m, the metadata of the file being re-encrypted for the
// recreation_rule rr, the settings sops publish gives such a file: the
// rule's shamir_threshold (0: all groups), and of its encryption rule
// only an unencrypted_suffix or an encrypted_suffix. Nothing of the
// file's own rule or threshold stays, and sops drops the rule's other
// settings (its regexes, mac_only_encrypted). Without a suffix the file
// gets no rule, which readers take as unencrypted_suffix _unencrypted,
// and hull encrypts it so. (sops encrypts every value then, also those
// under _unencrypted keys, and writes a file whose MAC it cannot check.)
// binary files keep no rule: their one value is always encrypted. The
// version becomes the one hull writes. The key groups are the caller's
// to wrap (with the threshold m gets).
func Recreate(m *metadata.Metadata, rr *config.CreationRule, binary bool) {
	m.ShamirThreshold = rr.ShamirThreshold
	m.Rule = metadata.Rule{}
	if k := rr.Rule.Kind; !binary && (k == metadata.UnencryptedSuffix || k == metadata.EncryptedSuffix) {
		m.Rule = rr.Rule
	}
	m.MACOnlyEncrypted = false
	m.Version = metadata.Version
}

// sopsTypeOrder is the order of key types in a key group as sops loads a
// file's groups, which is the order it lists their removed keys in.
var sopsTypeOrder = []string{"kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "pgp", "age"}

// KeyChanges is what sops publish prints before it re-encrypts a file for
// a recreation_rule when any key group gains or loses a key (else ""):
// for each group, the keys both have, those the rule adds (+++) and those
// it removes (---), named as sops names keys (metadata.StanzaID). have are
// the file's groups, want the rule's (in the rule's order); group i is
// compared with group i, a key matched by its name.
func KeyChanges(have, want [][]hull.KeyID) string {
	var b strings.Builder
	changed := false
	for i := range max(len(have), len(want)) {
		var h, w []hull.KeyID
		if i < len(have) {
			h = slices.Clone(have[i])
			slices.SortStableFunc(h, func(a, b hull.KeyID) int {
				return slices.Index(sopsTypeOrder, a.Type) - slices.Index(sopsTypeOrder, b.Type)
			})
		}
		if i < len(want) {
			w = want[i]
		}
		in := func(list []hull.KeyID, k hull.KeyID) bool {
			return slices.ContainsFunc(list, func(x hull.KeyID) bool { return x.ID == k.ID })
		}
		fmt.Fprintf(&b, "Group %d\n", i+1)
		var added, removed []string
		for _, k := range w {
			if in(h, k) {
				fmt.Fprintf(&b, "    %s\n", k.ID)
			} else {
				added = append(added, k.ID)
			}
		}
		for _, k := range h {
			if !in(w, k) {
				removed = append(removed, k.ID)
			}
		}
		changed = changed || len(added) > 0 || len(removed) > 0
		for _, k := range added {
			fmt.Fprintf(&b, "+++ %s\n", k)
		}
		for _, k := range removed {
			fmt.Fprintf(&b, "--- %s\n", k)
		}
	}
	if !changed {
		return ""
	}
	return "The following changes will be made to the file's key groups:\n" + b.String()
}
