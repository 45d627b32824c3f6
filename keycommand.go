package hull

import (
	"fmt"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
)

// KeyCommand is one run of a key command that takes the recipients from
// the file itself (rotate, groups add, groups delete) on a file opened by
// OpenKeyFile. Each method finds the creation rule that vouches for
// recipients (Policy.CreationRule of Name), builds the KeyChange and runs
// the transaction (Policy.Rotate, Policy.Regroup); the caller writes the
// result it returns (Commit for the file in place).
type KeyCommand struct {
	Policy *Policy
	File   *KeyFile
	// Display names the file in errors and notices; Name is the name
	// creation rules match.
	Display, Name string
	Sources       KeySources
	// In is the file's format and Out the format written, with Emit.
	In, Out formats.Format
	Emit    formats.EmitOptions
	// Confirm and Notify: see KeyChange.
	Confirm func(msg string) bool
	Notify  func(msg string)
}

// change is the KeyChange of c before its groups are set.
func (c *KeyCommand) change() (KeyChange, error) {
	cr, _, err := c.Policy.CreationRule(c.Name)
	if err != nil {
		return KeyChange{}, fmt.Errorf("%s: error loading config: %w", c.Display, err)
	}
	return KeyChange{Rule: cr, Confirm: c.Confirm, Notify: c.Notify}, nil
}

// threshold is t, or the file's threshold when t is 0.
func (c *KeyCommand) threshold(t int) int {
	if t == 0 {
		return c.File.Opened.Meta.ShamirThreshold
	}
	return t
}

// Rotate gives the file a new data key wrapped for its recipients as
// changes changes them (KeyChanges.Apply: added to the first key group,
// removed from every group); the keys changes adds vouch for themselves.
// unmatched, when set, is told first each key to remove that the file
// does not have.
func (c *KeyCommand) Rotate(changes KeyChanges, unmatched func(KeyID)) ([]byte, error) {
	ch, err := c.change()
	if err != nil {
		return nil, err
	}
	var missing []KeyID
	ch.Want, missing = changes.Apply(c.File.Entries())
	for _, k := range missing {
		if unmatched != nil {
			unmatched(k)
		}
	}
	ch.Named = RecipientKeyIDs([][]keysources.Recipient{changes.Add})
	return c.Policy.Rotate(c.Display, c.File, ch, c.Sources, SealOptions{Format: c.Out, InputFormat: c.In}, c.Emit)
}

// AddGroup appends group to the file's key groups and re-wraps the same
// data key for all of them with Shamir threshold t (0: the file's):
// values, MAC and lastmodified are unchanged.
func (c *KeyCommand) AddGroup(group []keysources.Recipient, t int) ([]byte, error) {
	if len(group) == 0 {
		return nil, fmt.Errorf("%s: %w: the new key group has no keys", c.Display, ErrNoRecipients)
	}
	ch, err := c.change()
	if err != nil {
		return nil, err
	}
	ch.Want, ch.Add, ch.Threshold = c.File.Entries(), group, c.threshold(t)
	return c.Policy.Regroup(c.Display, c.File, ch, c.Sources, c.Out, c.Emit)
}

// DeleteGroup deletes key group idx (0-based, DeleteGroup) and re-wraps
// the same data key for the groups left with Shamir threshold t (0: the
// file's). The data key does not change: the deleted group's keys can
// still read the file's earlier versions, and later ones until a Rotate.
func (c *KeyCommand) DeleteGroup(idx, t int) ([]byte, error) {
	ch, err := c.change()
	if err != nil {
		return nil, err
	}
	ch.Threshold = c.threshold(t)
	if ch.Want, err = DeleteGroup(c.Display, c.File.Entries(), idx, ch.Threshold); err != nil {
		return nil, err
	}
	return c.Policy.Regroup(c.Display, c.File, ch, c.Sources, c.Out, c.Emit)
}
