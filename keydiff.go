package hull

import (
	"fmt"
	"io"

	"github.com/hullsecrets/hull/metadata"
)

// NewThreshold is the threshold for a file re-keyed to n groups: the
// rule's when it sets one, else the file's, lowered to n (as sops's
// updatekeys does).
func NewThreshold(ruleT, fileT, n int) int {
	if ruleT != 0 {
		return ruleT
	}
	return min(fileT, n)
}

// GroupsNeeded is the number of key groups needed to decrypt: 1 for one group.
func GroupsNeeded(t, n int) int { return max(EffectiveThreshold(t, n), 1) }

// WriteGroupDiff writes the change of the key groups as sops's updatekeys does,
// with keys written type:id.
func WriteGroupDiff(w io.Writer, diffs []GroupDiff, unusable []UnusableStanza, oldT, newT int) {
	if oldT > 0 && oldT == newT {
		fmt.Fprintf(w, "shamir_threshold: %d\n", newT)
	} else {
		if newT > 0 {
			fmt.Fprintf(w, "+++ shamir_threshold: %d\n", newT)
		}
		if oldT > 0 {
			fmt.Fprintf(w, "--- shamir_threshold: %d\n", oldT)
		}
	}
	for i, d := range diffs {
		fmt.Fprintf(w, "Group %d\n", i+1)
		for _, k := range d.Common {
			fmt.Fprintf(w, "    %s\n", k)
		}
		for _, k := range d.Added {
			fmt.Fprintf(w, "+++ %s\n", k)
		}
		for _, k := range d.Removed {
			fmt.Fprintf(w, "--- %s\n", k)
		}
		for _, u := range unusable {
			if u.Group == i {
				fmt.Fprintf(w, "--- %s\n", u)
			}
		}
	}
}

// DiffKeys compares the file's usable keys with want. The unusable stanzas
// are always dropped (a wanted key is wrapped anew and shows as added), so
// they are returned to be shown as removed.
func DiffKeys(m *metadata.Metadata, unusable []UnusableStanza, want [][]KeyID) (diffs []GroupDiff, dropped []UnusableStanza) {
	diffs = DiffGroups(StanzaKeyIDs(m.KeyGroups), want)
	for _, u := range unusable {
		for u.Group >= len(diffs) {
			diffs = append(diffs, GroupDiff{})
		}
	}
	return diffs, unusable
}

func AnyRemoved(diffs []GroupDiff) bool {
	for _, d := range diffs {
		if len(d.Removed) > 0 {
			return true
		}
	}
	return false
}

func AnyChanged(diffs []GroupDiff) bool {
	for _, d := range diffs {
		if d.Changed() {
			return true
		}
	}
	return false
}
