package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"filippo.io/age/armor"
	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/internal/atomicfile"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/all"
	"github.com/hullsecrets/hull/metadata"
)

// This file holds the commands that change who can read a file:
// updatekeys, rotate (and the legacy -r), groups add and groups delete
// (COMPAT.md §1.3). The recipient set they write comes from trusted input
// (the .sops.yaml creation rule, the command line) wherever there is one;
// when rotate and groups must take it from the file itself, they say so on
// stderr and refuse stanzas that hold no key (SECURITY-CASES C20, row 40).

// Flag groups of the key commands.
const (
	gRotate     = "rotate"     // rotate and the legacy -r: --add-*/--rm-*
	gUpdatekeys = "updatekeys" // updatekeys: --yes, --no-rotate
	gGroups     = "groups"     // groups add/delete: --file
)

// keyFlagTypes maps the key-type suffix of the --add-*/--rm-* flags (and
// of the groups add key flags) to the stanza type.
var keyFlagTypes = []struct{ flag, typ string }{
	{"age", "age"},
	{"pgp", "pgp"},
	{"kms", "kms"},
	{"gcp-kms", "gcp_kms"},
	{"azure-kv", "azure_kv"},
	{"hc-vault-transit", "hc_vault"},
	{"hckms", "hckms"},
}

// pickFlags returns the flags of fl with the given names.
func pickFlags(fl []cli.Flag, names ...string) []cli.Flag {
	var out []cli.Flag
	for _, f := range fl {
		if slices.Contains(names, flagNames(f)[0]) {
			out = append(out, f)
		}
	}
	return out
}

func sortFlags(fl []cli.Flag) []cli.Flag {
	sort.SliceStable(fl, func(i, j int) bool { return flagNames(fl[i])[0] < flagNames(fl[j])[0] })
	return fl
}

// ---------------------------------------------------------------- commands

func (r *runner) updatekeysCommand() *cli.Command {
	return &cli.Command{
		Name:      "updatekeys",
		Usage:     "set the recipients of encrypted files to those of their .sops.yaml creation rule",
		ArgsUsage: "FILE...",
		Description: "For each FILE, compares its key groups and Shamir threshold with the creation rule of\n" +
			".sops.yaml that matches it, prints the changes and asks 'Is this okay? (y/n)' (stdin must\n" +
			"be a terminal; -y applies without asking). Adding recipients re-wraps the same data key:\n" +
			"values, MAC and lastmodified are unchanged. When a recipient is removed (or more key\n" +
			"groups become needed), hull also rotates the data key: every value is re-encrypted\n" +
			"with a new key, because whoever had the old key could otherwise read every later\n" +
			"version. --no-rotate keeps the key, as sops does. With several files hull continues\n" +
			"past failures and exits 1 at the end if any failed.",
		Flags:        flagsFor(gGlobal, gIn, gUpdatekeys, gRecursive),
		Action:       r.cmdUpdatekeys,
		OnUsageError: usageError,
	}
}

func rotateFlags(groups ...string) []cli.Flag {
	fl := flagsFor(append([]string{gGlobal, gIn, gOut}, groups...)...)
	fl = append(fl, pickFlags(flagsFor(gKeys), "encryption-context", "aws-profile")...)
	return sortFlags(fl)
}

func (r *runner) rotateCommand() *cli.Command {
	return &cli.Command{
		Name:      "rotate",
		Usage:     "give an encrypted file a new data key, optionally adding or removing recipients",
		ArgsUsage: "FILE",
		Description: "Generates a new data key and re-encrypts every value with it (new IVs, new MAC and\n" +
			"lastmodified; the version is kept). The key is wrapped for the recipients of the\n" +
			".sops.yaml creation rule that matches FILE, else for the file's current recipients\n" +
			"(which are then listed on stderr), plus --add-* (into the first key group), minus\n" +
			"--rm-* (from every group). A recipient stanza without a wrapped key in the file is an\n" +
			"error then (exit 29): it was not written by sops or hull and may have been injected\n" +
			"to receive the new key. The result goes to stdout, --output or, with -i, FILE.",
		Flags:        rotateFlags(gRotate, gRecursive),
		Action:       r.cmdRotate,
		OnUsageError: usageError,
	}
}

// groupsAddFlags are the flags of groups add: the key flags take one or
// more values each, as in sops.
func groupsAddFlags() []cli.Flag {
	fl := groupsBaseFlags()
	for _, f := range flagsFor(gKeys) {
		sf, ok := f.(*cli.StringFlag)
		if !ok {
			continue
		}
		isKey := false
		for _, k := range keyFlagTypes {
			isKey = isKey || sf.Name == k.flag
		}
		if isKey {
			fl = append(fl, &cli.StringSliceFlag{Name: sf.Name, Aliases: sf.Aliases, Usage: sf.Usage + "; repeatable"})
		} else {
			fl = append(fl, f)
		}
	}
	return sortFlags(fl)
}

// groupsBaseFlags are the flags of both groups subcommands. There is no
// --output-type: they keep the file's values as they are.
func groupsBaseFlags() []cli.Flag {
	fl := flagsFor(gGlobal, gIn, gGroups)
	return append(fl, pickFlags(flagsFor(gOut), "in-place", "output", "force")...)
}

func groupsDeleteFlags() []cli.Flag {
	fl := groupsBaseFlags()
	fl = append(fl, pickFlags(flagsFor(gKeys), "shamir-secret-sharing-threshold")...)
	return sortFlags(fl)
}

func (r *runner) groupsCommand() *cli.Command {
	// The flags are parsed by "groups" itself: normalize moves every flag
	// before the first positional, which is the subcommand's name. The
	// subcommands list them too, for help and completion, and read them
	// from the parent context.
	return &cli.Command{
		Name:         "groups",
		Usage:        "add or delete key groups (Shamir secret sharing)",
		ArgsUsage:    "add|delete",
		Flags:        groupsAddFlags(),
		OnUsageError: usageError,
		Subcommands: []*cli.Command{
			{
				Name:  "add",
				Usage: "add a key group to a file and re-split its data key",
				Description: "Appends a key group made of the keys given with --age and --pgp, and re-wraps the\n" +
					"data key (split with Shamir's scheme) for all groups. The data key, the values, the MAC\n" +
					"and lastmodified do not change. --shamir-secret-sharing-threshold sets how many groups\n" +
					"are needed (default: the file's threshold, else all). Output goes to stdout unless -i.",
				Flags:        groupsAddFlags(),
				Action:       r.cmdGroupsAdd,
				OnUsageError: usageError,
			},
			{
				Name:      "delete",
				Usage:     "delete a key group (0-based INDEX) from a file",
				ArgsUsage: "INDEX",
				Description: "Deletes key group INDEX (0-based) and re-wraps the data key for the remaining groups.\n" +
					"The data key does not change: run 'hull rotate -i' afterwards so that the deleted\n" +
					"group's keys cannot read later versions. Output goes to stdout unless -i.",
				Flags:        groupsDeleteFlags(),
				Action:       r.cmdGroupsDelete,
				OnUsageError: usageError,
			},
		},
	}
}

// ------------------------------------------------------ reading the file

// keyFile is an encrypted file opened by a key command.
type keyFile struct {
	original []byte
	// plain has the values decrypted; cipher is the file as read.
	plain, cipher *formats.File
	opened        *hull.Opened
	// unusable are the stanzas removed before loading the metadata.
	unusable []unusableStanza
}

// unusableStanza is a stanza of the file that holds no key hull can use.
type unusableStanza struct {
	group int
	id    hull.KeyID
	why   string
}

func (u unusableStanza) String() string { return fmt.Sprintf("%s (%s)", u.id, u.why) }

// openForKeys reads, parses and decrypts fio's file for a key command.
// Stanzas with an empty enc (which metadata.Load refuses) are set aside in
// unusable, so that the commands can show and drop them.
func (r *runner) openForKeys(c *cli.Context, fio *fileIO) (*keyFile, error) {
	if err := r.setupKeyservice(c); err != nil {
		return nil, err
	}
	order, err := r.decryptionOrder(c)
	if err != nil {
		return nil, err
	}
	data, err := r.readInput(fio)
	if err != nil {
		return nil, err
	}
	kf := &keyFile{original: data}
	if kf.plain, err = fio.parse(data, true); err != nil {
		return nil, err
	}
	if kf.plain.Meta == nil {
		return nil, fmt.Errorf("%s: %w", fio.display(), metadata.ErrNoMetadata)
	}
	for _, w := range kf.plain.Warnings {
		r.warnf("%s: %s", fio.display(), w)
	}
	kf.unusable = stripUnusable(kf.plain.Meta)
	ac, err := r.auditAccess(c, fio) // audit.go: the access record
	if err != nil {
		return nil, err
	}
	ctx := ac.context(context.Background())
	ids, err := r.loadIdentities(ctx)
	if err != nil {
		return nil, err
	}
	requireXMAC, why := r.requireStrictMAC(c, fio)
	kf.opened, err = hull.Decrypt(ctx, kf.plain, hull.DecryptOptions{Identities: ids.ids, DecryptionOrder: order, RequireExtendedMAC: requireXMAC})
	_, kf.opened, err = ac.finish(nil, kf.opened, err)
	if err != nil {
		var re *keysources.RecoverError
		if errors.As(err, &re) && noneTried(re) {
			return nil, &noIdentityError{err: err, searched: ids.searched}
		}
		if requireXMAC && errors.Is(err, hull.ErrExtendedMAC) {
			return nil, fmt.Errorf("%s: %w (the hull MAC is required by %s)", fio.display(), err, why)
		}
		return nil, fmt.Errorf("%s: %w", fio.display(), err)
	}
	for _, w := range kf.opened.Result.Warnings {
		r.warnf("%s: %s", fio.display(), w)
	}
	if kf.cipher, err = fio.parse(data, true); err != nil {
		return nil, err
	}
	return kf, nil
}

func (kf *keyFile) wipe() {
	if kf != nil && kf.opened != nil {
		clear(kf.opened.Key)
	}
}

// stripUnusable removes from a sops metadata tree the stanzas whose enc is
// missing or empty, and entries of unknown key types inside key_groups,
// and returns them. Neither holds a wrapped key.
func stripUnusable(meta *formats.Node) []unusableStanza {
	var out []unusableStanza
	strip := func(group int, list *formats.Node) {
		if list.Kind != formats.Sequence {
			return
		}
		var kept []*formats.Node
		for _, e := range list.Children {
			if e.Kind == formats.Mapping && emptyEnc(e) {
				s := metadata.Stanza{Type: list.Key, Fields: e}
				out = append(out, unusableStanza{group: group, id: hull.StanzaKeyID(s), why: "enc is empty: it holds no key"})
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
						out = append(out, unusableStanza{group: gi, id: hull.KeyID{Type: l.Key, ID: "?"}, why: "unknown key type"})
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

// checkEnc checks that a stanza taken from the file looks like a wrapped
// key of its type, before its recipient gets a new key. It cannot tell
// whether the key inside is really wrapped for that recipient.
func checkEnc(s metadata.Stanza) error {
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

// ------------------------------------------------------------- recipients

// keyEntry is one key of a key group being computed: a recipient hull can
// wrap for, or a stanza of the file still to be turned into one.
type keyEntry struct {
	id       hull.KeyID
	rcp      keysources.Recipient
	stanza   *metadata.Stanza
	unusable string // why a stanza of the file holds no key
}

func entriesFromRecipients(groups [][]keysources.Recipient) [][]keyEntry {
	out := make([][]keyEntry, len(groups))
	for i, g := range groups {
		for _, rc := range g {
			out[i] = append(out[i], keyEntry{id: hull.RecipientKeyID(rc), rcp: rc})
		}
	}
	return out
}

// entriesFromFile lists the file's keys, the unusable ones included.
func entriesFromFile(m *metadata.Metadata, unusable []unusableStanza) [][]keyEntry {
	out := make([][]keyEntry, len(m.KeyGroups))
	for i, g := range m.KeyGroups {
		for j := range g {
			out[i] = append(out[i], keyEntry{id: hull.StanzaKeyID(g[j]), stanza: &g[j]})
		}
	}
	for _, u := range unusable {
		for u.group >= len(out) {
			out = append(out, nil)
		}
		out[u.group] = append(out[u.group], keyEntry{id: u.id, unusable: u.why})
	}
	return out
}

// resolveEntries turns the entries into recipients. Stanzas of the file
// must hold a plausible wrapped key of a type hull supports.
func (r *runner) resolveEntries(path string, groups [][]keyEntry) ([][]keysources.Recipient, error) {
	var bad []string
	out := make([][]keysources.Recipient, len(groups))
	for i, g := range groups {
		out[i] = []keysources.Recipient{}
		for _, e := range g {
			switch {
			case e.rcp != nil:
				out[i] = append(out[i], e.rcp)
				continue
			case e.unusable != "":
				bad = append(bad, fmt.Sprintf("%s in key group %d (%s)", e.id, i+1, e.unusable))
				continue
			}
			if err := checkEnc(*e.stanza); err != nil {
				bad = append(bad, fmt.Sprintf("%s in key group %d (%v)", e.id, i+1, err))
				continue
			}
			if _, ok := all.Lookup(e.id.Type); !ok {
				return nil, withCode(exitGeneric, fmt.Errorf("%s: the file lists a %s key (%s), which this version of hull cannot wrap a data key for; remove it with --rm-%s or list the recipients in .sops.yaml",
					path, e.id.Type, e.id.ID, flagForType(e.id.Type)))
			}
			rc, err := r.recipientFromStanza(*e.stanza)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s in key group %d (%v)", e.id, i+1, err))
				continue
			}
			out[i] = append(out[i], rc)
		}
	}
	if len(bad) > 0 {
		return nil, withCode(exitPolicyViolation, fmt.Errorf("%s: refusing to wrap a new data key for the file's recipients: %s. "+
			"sops and hull never write such a stanza; it may have been injected to receive the key. "+
			"Remove it (--rm-TYPE), or list the intended recipients in a .sops.yaml creation rule and run 'hull updatekeys'",
			path, strings.Join(bad, "; ")))
	}
	return out, nil
}

// recipientFromStanza is the recipient a stanza of the file was wrapped
// for, with the settings it records (a KMS key's role, context and
// profile).
func (r *runner) recipientFromStanza(s metadata.Stanza) (keysources.Recipient, error) {
	opts := r.keySourceOptions()
	if s.Type == "kms" {
		ctx := map[string]string{}
		if c := s.Fields.Get("context"); c != nil && c.Kind == formats.Mapping {
			for _, kv := range c.Children {
				if kv.Kind == formats.Scalar {
					ctx[kv.Key] = kv.Value
				}
			}
		}
		return opts.Companion.KMSRecipient(s.Get("arn"), s.Get("role"), ctx, s.Get("aws_profile"))
	}
	src, _ := all.Lookup(s.Type)
	rs, err := src.ParseWith(metadata.StanzaID(s), opts)
	if err != nil {
		return nil, err
	}
	if len(rs) != 1 {
		return nil, fmt.Errorf("not one %s key", s.Type)
	}
	return rs[0], nil
}

func flagForType(typ string) string {
	for _, k := range keyFlagTypes {
		if k.typ == typ {
			return k.flag
		}
	}
	return typ
}

// keyChanges are the --add-*/--rm-* flags of rotate.
type keyChanges struct {
	add []keysources.Recipient
	rm  []hull.KeyID
}

func (k keyChanges) empty() bool { return len(k.add) == 0 && len(k.rm) == 0 }

// sliceValues returns the comma-separated values of a slice flag.
func sliceValues(c *cli.Context, name string) []string {
	var out []string
	if !hasFlag(c, name) {
		return nil
	}
	for _, v := range c.StringSlice(name) {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// keyChangeGiven reports whether any --add-*/--rm-* flag is given.
func keyChangeGiven(c *cli.Context) bool {
	for _, k := range keyFlagTypes {
		if len(sliceValues(c, "add-"+k.flag)) > 0 || len(sliceValues(c, "rm-"+k.flag)) > 0 {
			return true
		}
	}
	return false
}

func (r *runner) parseKeyChanges(c *cli.Context) (keyChanges, error) {
	var kc keyChanges
	opts := r.keySourceOptions()
	if err := kmsFlagOptions(c, &opts.KMS); err != nil {
		return kc, err
	}
	for _, k := range keyFlagTypes {
		adds := sliceValues(c, "add-"+k.flag)
		if len(adds) > 0 {
			src, ok := all.Lookup(k.typ)
			if !ok {
				return kc, withCode(exitGeneric, fmt.Errorf("--add-%s: this key type is not supported by this version of hull yet", k.flag))
			}
			rs, err := src.ParseWith(strings.Join(adds, ","), opts)
			if err != nil {
				return kc, withCode(exitGeneric, fmt.Errorf("--add-%s: %w", k.flag, err))
			}
			kc.add = append(kc.add, rs...)
		}
		for _, id := range sliceValues(c, "rm-"+k.flag) {
			if k.typ == "pgp" {
				id = strings.ReplaceAll(id, " ", "")
			}
			kc.rm = append(kc.rm, hull.KeyID{Type: k.typ, ID: id})
		}
	}
	return kc, nil
}

// apply adds kc.add to group 0 (unless already there) and removes kc.rm
// from every group. It returns the removals that matched nothing.
func (kc keyChanges) apply(groups [][]keyEntry) ([][]keyEntry, []hull.KeyID) {
	if len(kc.add) > 0 && len(groups) == 0 {
		groups = append(groups, nil)
	}
	for _, a := range kc.add {
		id := hull.RecipientKeyID(a)
		if !slices.ContainsFunc(groups[0], func(e keyEntry) bool { return e.id == id }) {
			groups[0] = append(groups[0], keyEntry{id: id, rcp: a})
		}
	}
	var unmatched []hull.KeyID
	for _, rm := range kc.rm {
		found := false
		for i := range groups {
			groups[i] = slices.DeleteFunc(groups[i], func(e keyEntry) bool {
				if e.id == rm || (rm.Type == "kms" && e.id.Type == "kms" && strings.SplitN(e.id.ID, "|", 2)[0] == rm.ID) {
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

func entryIDs(groups [][]keyEntry) [][]hull.KeyID {
	out := make([][]hull.KeyID, len(groups))
	for i, g := range groups {
		out[i] = []hull.KeyID{}
		for _, e := range g {
			out[i] = append(out[i], e.id)
		}
	}
	return out
}

// trustedRule returns the creation rule of .sops.yaml for the file name
// and where it is, or nil when there is no config or no rule matches.
func (r *runner) trustedRule(c *cli.Context, name string) (*config.CreationRule, string, error) {
	cfg, err := r.loadConfig(c, name)
	if err != nil || cfg == nil || cfg.CreationRules == nil {
		return nil, "", err
	}
	cr, err := cfg.RuleFor(absOrSelf(name))
	if errors.Is(err, config.ErrNoMatchingRule) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", withCode(exitErrorReadingConfig, fmt.Errorf("error loading config: %w", err))
	}
	return cr, fmt.Sprintf("the creation rule at %s:%d", filepath.Join(cfg.Dir, config.FileName), cr.Line), nil
}

// ruleGroups are the key groups of a creation rule.
func ruleGroups(cr *config.CreationRule, source string) ([][]keysources.Recipient, error) {
	return ruleGroupsWith(cr, source, all.Options{})
}

// ruleRecipients are the key groups of a creation rule, to wrap a key
// for: cloud keys go through the run's hull-kms.
func (r *runner) ruleRecipients(cr *config.CreationRule, source string) ([][]keysources.Recipient, error) {
	return ruleGroupsWith(cr, source, all.Options{Companion: r.companion()})
}

func ruleGroupsWith(cr *config.CreationRule, source string, opts all.Options) ([][]keysources.Recipient, error) {
	groups, err := groupsFromConfigWith(cr, opts)
	if err != nil {
		return nil, withCode(exitErrorReadingConfig, err)
	}
	if len(groups) == 0 || (len(groups) == 1 && len(groups[0]) == 0) {
		return nil, withCode(exitGeneric, fmt.Errorf("%w: %s lists no keys", hull.ErrNoRecipients, source))
	}
	for i, g := range groups {
		if len(g) == 0 {
			return nil, withCode(exitGeneric, fmt.Errorf("%w: key group %d of %s is empty", hull.ErrNoRecipients, i+1, source))
		}
	}
	return groups, nil
}

// newThreshold is the threshold for a file re-keyed to n groups: the
// rule's when it sets one, else the file's, lowered to n (as sops's
// updatekeys does).
func newThreshold(ruleT, fileT, n int) int {
	if ruleT != 0 {
		return ruleT
	}
	return min(fileT, n)
}

// needed is the number of key groups needed to decrypt: 1 for one group.
func needed(t, n int) int { return max(hull.EffectiveThreshold(t, n), 1) }

// ----------------------------------------------------------------- output

// printDiff prints the change of the key groups as sops's updatekeys does,
// with keys written type:id.
func printDiff(w io.Writer, diffs []hull.GroupDiff, unusable []unusableStanza, oldT, newT int) {
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
			if u.group == i {
				fmt.Fprintf(w, "--- %s\n", u)
			}
		}
	}
}

// keyDiff compares the file's usable keys with want. The unusable stanzas
// are always dropped (a wanted key is wrapped anew and shows as added), so
// they are returned to be shown as removed.
func keyDiff(m *metadata.Metadata, unusable []unusableStanza, want [][]hull.KeyID) (diffs []hull.GroupDiff, dropped []unusableStanza) {
	diffs = hull.DiffGroups(hull.StanzaKeyIDs(m.KeyGroups), want)
	for _, u := range unusable {
		for u.group >= len(diffs) {
			diffs = append(diffs, hull.GroupDiff{})
		}
	}
	return diffs, unusable
}

func anyRemoved(diffs []hull.GroupDiff) bool {
	for _, d := range diffs {
		if len(d.Removed) > 0 {
			return true
		}
	}
	return false
}

func anyChanged(diffs []hull.GroupDiff) bool {
	for _, d := range diffs {
		if d.Changed() {
			return true
		}
	}
	return false
}

// commitInPlace writes out over path, under the directory lock, only if
// the file still holds original (compare-and-swap).
func commitInPlace(path string, original, out []byte) error {
	unlock, err := atomicfile.LockDir(filepath.Dir(path))
	if err != nil {
		return withCode(exitCouldNotWrite, err)
	}
	defer unlock()
	now, err := os.ReadFile(path)
	if err != nil || sha256.Sum256(now) != sha256.Sum256(original) {
		return withCode(exitConcurrentModification, fmt.Errorf("%s: %w", path, errConcurrentModification))
	}
	if err := atomicfile.Write(path, out, atomicfile.Options{}); err != nil {
		return withCode(exitCouldNotWrite, fmt.Errorf("cannot write %s: %w", path, unwrapPathErr(err)))
	}
	return nil
}

// deliver writes a key command's result: over the file with -i (compare-
// and-swap), else to --output or stdout.
func (r *runner) deliver(fio *fileIO, kf *keyFile, out []byte) error {
	if fio.inPlace {
		return commitInPlace(fio.path, kf.original, out)
	}
	return r.write(fio, out, false)
}

// ------------------------------------------------------------- updatekeys

func (r *runner) cmdUpdatekeys(c *cli.Context) error {
	if recursive(c) { // -r: bulk (cmd_bulk.go)
		return r.bulkUpdatekeys(c)
	}
	files := c.Args().Slice()
	if len(files) == 0 {
		return withCode(exitNoFileSpecified, errors.New("no file given: updatekeys FILE..."))
	}
	answers := bufio.NewReader(r.stdin)
	failed := 0
	for _, path := range files {
		err := r.updateKeys(c, path, answers)
		if err == nil {
			continue
		}
		if len(files) == 1 {
			return err
		}
		failed++
		r.errorf("%v", err)
		for _, h := range hints(err) {
			r.hintf("%s", h)
		}
	}
	if failed > 0 {
		return withCode(exitGeneric, fmt.Errorf("failed updating %d of %d files (see the errors above)", failed, len(files)))
	}
	return nil
}

func (r *runner) updateKeys(c *cli.Context, path string, answers *bufio.Reader) (err error) {
	defer r.audit(c, "updatekeys", path)(&err) // audit.go: the result record
	fio, err := r.resolveIO(c, path, true)
	if err != nil {
		return err
	}
	if fio.path == "" {
		return withCode(exitConflictingParams, errors.New("updatekeys changes files in place: give a file, not stdin"))
	}
	cr, source, err := r.trustedRule(c, fio.name)
	if err != nil {
		return err
	}
	if cr == nil {
		return withCode(exitGeneric, fmt.Errorf("%s: no .sops.yaml creation rule matches this file: updatekeys takes the recipients from it "+
			"(to change the keys by hand, use 'hull rotate --add-age/--rm-age' or 'hull groups')", path))
	}
	want, err := r.ruleRecipients(cr, source)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	kf, err := r.openForKeys(c, fio)
	if err != nil {
		return err
	}
	defer kf.wipe()
	m := kf.opened.Meta

	diffs, dropped := keyDiff(m, kf.unusable, hull.RecipientKeyIDs(want))
	oldT := hull.EffectiveThreshold(m.ShamirThreshold, len(m.KeyGroups))
	t := newThreshold(cr.ShamirThreshold, m.ShamirThreshold, len(want))
	newT := hull.EffectiveThreshold(t, len(want))
	if !anyChanged(diffs) && len(dropped) == 0 && oldT == newT {
		fmt.Fprintf(r.stderr, "File %s already up to date\n", path)
		return nil
	}
	removed := anyRemoved(diffs)
	stricter := needed(newT, len(want)) > needed(oldT, len(m.KeyGroups))
	rotate := (removed || stricter) && !c.Bool("no-rotate")

	fmt.Fprintf(r.stdout, "The following changes will be made to the file's groups:\n")
	printDiff(r.stdout, diffs, dropped, oldT, newT)
	switch {
	case rotate && removed:
		fmt.Fprintf(r.stdout, "A key is removed, so the data key will be rotated too: every value is re-encrypted with a new key (--no-rotate keeps it).\n")
	case rotate:
		fmt.Fprintf(r.stdout, "More key groups will be needed, so the data key will be rotated too: every value is re-encrypted with a new key (--no-rotate keeps it).\n")
	}
	if !c.Bool("yes") {
		ok, err := r.confirm(path, answers)
		if err != nil || !ok {
			return err
		}
	}

	var out []byte
	if rotate {
		newKey, err := hull.Rotate(kf.plain, m, r.viaKeyServices(want), t, hull.SealOptions{Format: fio.out, InputFormat: fio.in})
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		clear(newKey)
		if out, err = fio.out.Emit(kf.plain, fio.emitOpts); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	} else {
		if err := hull.Rekey(kf.plain, m, kf.opened.Key, r.viaKeyServices(want), t, nil); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		kf.cipher.Meta = m.Node()
		if out, err = fio.out.Emit(kf.cipher, fio.emitOpts); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := commitInPlace(fio.path, kf.original, out); err != nil {
		return err
	}
	switch {
	case rotate:
		fmt.Fprintf(r.stderr, "File %s synced with new keys; the data key was rotated and every value re-encrypted\n", path)
	case removed || stricter:
		fmt.Fprintf(r.stderr, "File %s synced with new keys; the data key was kept (--no-rotate)\n", path)
		r.warnf("%s: whoever could decrypt it before still can, and can read every later version, until 'hull rotate -i %s'", path, path)
	default:
		fmt.Fprintf(r.stderr, "File %s synced with new keys; the data key was kept (values, MAC and lastmodified unchanged)\n", path)
	}
	return nil
}

// confirm asks whether to apply the changes. Like sops it reads the answer
// from stdin even when stdin is not a terminal (so "echo y | hull
// updatekeys f" works); at the end of input it gives up instead of waiting.
func (r *runner) confirm(path string, answers *bufio.Reader) (bool, error) {
	for {
		fmt.Fprint(r.stdout, "Is this okay? (y/n):")
		line, err := answers.ReadString('\n')
		ans := strings.ToLower(strings.TrimSpace(line))
		switch ans {
		case "y", "yes":
			return true, nil
		case "n", "no":
			fmt.Fprintf(r.stderr, "File %s left unchanged\n", path)
			return false, nil
		}
		if err != nil {
			fmt.Fprintln(r.stdout)
			return false, withCode(exitGeneric, fmt.Errorf("%s: not changed: no answer (end of input); pass -y (--yes) to apply the changes without asking", path))
		}
	}
}

// ----------------------------------------------------------------- rotate

func (r *runner) cmdRotate(c *cli.Context) error {
	if recursive(c) { // -r: bulk (cmd_bulk.go)
		return r.bulkRotate(c)
	}
	path, err := oneFile(c, false)
	if err != nil {
		return err
	}
	return r.rotate(c, path)
}

// legacyRotate is the sops top-level form: hull -r [-i] [--add-age …] FILE.
func (r *runner) legacyRotate(c *cli.Context) error {
	if c.NArg() > 1 {
		return withCode(exitGeneric, fmt.Errorf("usage: one file expected, got %d arguments", c.NArg()))
	}
	if c.Bool("encrypt") || c.Bool("decrypt") || c.String("set") != "" {
		return withCode(exitConflictingParams, errors.New("--rotate (and --add-*/--rm-*) cannot be used with --encrypt, --decrypt or --set"))
	}
	path := c.Args().First()
	if err := missingKeyFile(c, path); err != nil {
		return err
	}
	if !c.Bool("rotate") {
		return withCode(exitGeneric, errors.New("--add-*/--rm-* change the keys of a file only with -r (--rotate), as in sops: use 'hull -r -i --add-age … FILE' or 'hull rotate -i --add-age … FILE' (or 'hull updatekeys FILE' to apply .sops.yaml)"))
	}
	return r.rotate(c, path)
}

// missingKeyFile gives sops's errors for a file that does not exist.
func missingKeyFile(c *cli.Context, path string) error {
	if isStdin(path) {
		return nil
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	abs, _ := filepath.Abs(path)
	if keyChangeGiven(c) {
		return withCode(exitCannotChangeKeys, fmt.Errorf("cannot add or remove keys on non-existent file %q, use the 'edit' or 'encrypt' subcommand instead", abs))
	}
	return withCode(exitNoFileSpecified, fmt.Errorf("cannot operate on non-existent file %q", abs))
}

func (r *runner) rotate(c *cli.Context, path string) (err error) {
	defer r.audit(c, "rotate", path)(&err) // audit.go: the result record
	if err := missingKeyFile(c, path); err != nil {
		return err
	}
	fio, err := r.resolveIO(c, path, true)
	if err != nil {
		return err
	}
	changes, err := r.parseKeyChanges(c)
	if err != nil {
		return err
	}
	var cr *config.CreationRule
	var source string
	if fio.name != "" {
		if cr, source, err = r.trustedRule(c, fio.name); err != nil {
			return err
		}
	}
	var want [][]keyEntry
	if cr != nil {
		groups, err := r.ruleRecipients(cr, source)
		if err != nil {
			return fmt.Errorf("%s: %w", fio.display(), err)
		}
		want = entriesFromRecipients(groups)
	}
	kf, err := r.openForKeys(c, fio)
	if err != nil {
		return err
	}
	defer kf.wipe()
	m := kf.opened.Meta
	fromFile := cr == nil
	if fromFile {
		want = entriesFromFile(m, kf.unusable)
	}
	want, unmatched := changes.apply(want)
	for _, u := range unmatched {
		r.warnf("%s: --rm-%s %s: not a key of the file", fio.display(), flagForType(u.Type), u.ID)
	}
	groups, err := r.resolveEntries(fio.display(), want)
	if err != nil {
		return err
	}
	ruleT := 0
	if cr != nil {
		ruleT = cr.ShamirThreshold
	}
	t := newThreshold(ruleT, m.ShamirThreshold, len(groups))
	if fromFile {
		var names []string
		for _, g := range entryIDs(want) {
			for _, k := range g {
				names = append(names, k.String())
			}
		}
		fmt.Fprintf(r.stderr, "%s: %s: re-wrapping for the file's recipients (no .sops.yaml creation rule applies): %s\n", r.name, fio.display(), strings.Join(names, ", "))
	} else {
		diffs, dropped := keyDiff(m, kf.unusable, entryIDs(want))
		oldT := hull.EffectiveThreshold(m.ShamirThreshold, len(m.KeyGroups))
		newT := hull.EffectiveThreshold(t, len(groups))
		if anyChanged(diffs) || len(dropped) > 0 || oldT != newT {
			var b strings.Builder
			printDiff(&b, diffs, dropped, oldT, newT)
			fmt.Fprintf(r.stderr, "%s: %s: the recipients change to those of %s:\n%s", r.name, fio.display(), source, b.String())
		}
	}
	if cr != nil && fio.out.Name() != "binary" {
		// Every value is encrypted again: with the trusted rule, not the
		// file's own (which a writer of the repository could have swapped).
		want, have := cr.Rule.OrDefault(), m.Rule.OrDefault()
		if want != have || cr.MACOnlyEncrypted != m.MACOnlyEncrypted {
			fmt.Fprintf(r.stderr, "%s: %s: the encryption rule changes to that of %s: %s %q (was %s %q)\n", r.name, fio.display(), source, want.Kind, want.Value, have.Kind, have.Value)
			m.Rule, m.MACOnlyEncrypted = want, cr.MACOnlyEncrypted
		}
	}
	newKey, err := hull.Rotate(kf.plain, m, r.viaKeyServices(groups), t, hull.SealOptions{Format: fio.out, InputFormat: fio.in})
	if err != nil {
		return fmt.Errorf("%s: %w", fio.display(), err)
	}
	clear(newKey)
	out, err := fio.out.Emit(kf.plain, fio.emitOpts)
	if err != nil {
		return fmt.Errorf("%s: %w", fio.display(), err)
	}
	return r.deliver(fio, kf, out)
}

// ----------------------------------------------------------------- groups

// groupsParent returns the context of "groups", where the flags are.
func groupsParent(c *cli.Context) *cli.Context {
	if l := c.Lineage(); len(l) > 1 && l[1].Command != nil && l[1].Command.Name == "groups" {
		return l[1]
	}
	return c
}

// groupsFile resolves --file of groups add/delete.
func (r *runner) groupsFile(p *cli.Context) (*fileIO, error) {
	path := p.String("file")
	if path == "" {
		return nil, withCode(exitNoFileSpecified, errors.New("no file given: use --file FILE"))
	}
	return r.resolveIO(p, path, true)
}

func thresholdFlag(p *cli.Context) (int, bool, error) {
	s := p.String("shamir-secret-sharing-threshold")
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false, withCode(exitGeneric, fmt.Errorf("--shamir-secret-sharing-threshold %q is not a positive number", s))
	}
	return n, n != 0, nil
}

// fileGroups turns the file's key groups into recipients, saying so on
// stderr (the file's recipient list is not authenticated).
func (r *runner) fileGroups(fio *fileIO, kf *keyFile, groups [][]keyEntry) ([][]keysources.Recipient, error) {
	rs, err := r.resolveEntries(fio.display(), groups)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, g := range entryIDs(groups) {
		for _, k := range g {
			names = append(names, k.String())
		}
	}
	fmt.Fprintf(r.stderr, "%s: %s: re-wrapping for the file's recipients: %s\n", r.name, fio.display(), strings.Join(names, ", "))
	return rs, nil
}

func (r *runner) cmdGroupsAdd(c *cli.Context) (err error) {
	p := groupsParent(c)
	defer r.audit(c, "groups-add", p.String("file"))(&err) // audit.go: the result record
	if c.NArg() > 0 {
		return withCode(exitGeneric, fmt.Errorf("usage: groups add takes no arguments (the file is --file), got %s", strings.Join(c.Args().Slice(), " ")))
	}
	fio, err := r.groupsFile(p)
	if err != nil {
		return err
	}
	opts := r.keySourceOptions()
	if err := kmsFlagOptions(p, &opts.KMS); err != nil {
		return err
	}
	var group []keysources.Recipient
	for _, k := range keyFlagTypes {
		vals := sliceValues(p, k.flag)
		if len(vals) == 0 {
			continue
		}
		src, ok := all.Lookup(k.typ)
		if !ok {
			return withCode(exitGeneric, fmt.Errorf("--%s: this key type is not supported by this version of hull yet", k.flag))
		}
		rs, err := src.ParseWith(strings.Join(vals, ","), opts)
		if err != nil {
			return withCode(exitGeneric, fmt.Errorf("--%s: %w", k.flag, err))
		}
		group = append(group, rs...)
	}
	if len(group) == 0 {
		return withCode(exitGeneric, fmt.Errorf("%w: give the new group's keys with --age or --pgp", hull.ErrNoRecipients))
	}
	t, tSet, err := thresholdFlag(p)
	if err != nil {
		return err
	}
	kf, err := r.openForKeys(p, fio)
	if err != nil {
		return err
	}
	defer kf.wipe()
	m := kf.opened.Meta
	groups, err := r.fileGroups(fio, kf, entriesFromFile(m, kf.unusable))
	if err != nil {
		return err
	}
	groups = append(groups, group)
	if !tSet {
		t = m.ShamirThreshold
	}
	return r.rekeyGroups(fio, kf, groups, t)
}

func (r *runner) cmdGroupsDelete(c *cli.Context) (err error) {
	p := groupsParent(c)
	defer r.audit(c, "groups-delete", p.String("file"))(&err) // audit.go: the result record
	if c.NArg() != 1 {
		return withCode(exitGeneric, errors.New("usage: groups delete --file FILE INDEX (one 0-based group index)"))
	}
	idx, err := strconv.Atoi(c.Args().First())
	if err != nil || idx < 0 {
		return withCode(exitGeneric, fmt.Errorf("groups delete: INDEX %q is not a group number (0-based)", c.Args().First()))
	}
	for _, k := range keyFlagTypes {
		if len(sliceValues(p, k.flag)) > 0 {
			return withCode(exitGeneric, fmt.Errorf("--%s: groups delete takes no keys (did you mean 'groups add'?)", k.flag))
		}
	}
	fio, err := r.groupsFile(p)
	if err != nil {
		return err
	}
	t, tSet, err := thresholdFlag(p)
	if err != nil {
		return err
	}
	kf, err := r.openForKeys(p, fio)
	if err != nil {
		return err
	}
	defer kf.wipe()
	m := kf.opened.Meta
	entries := entriesFromFile(m, kf.unusable)
	if idx >= len(entries) {
		return withCode(exitGeneric, fmt.Errorf("%s: there is no key group %d: the file has %d (numbered from 0)", fio.display(), idx, len(entries)))
	}
	entries = slices.Delete(entries, idx, idx+1)
	if !tSet {
		t = m.ShamirThreshold
	}
	if len(entries) == 0 {
		return withCode(exitGeneric, fmt.Errorf("%s: cannot delete the only key group", fio.display()))
	}
	if len(entries) < t {
		return withCode(exitGeneric, fmt.Errorf("removing this key group will make the Shamir threshold impossible to satisfy: Shamir threshold is %d, but we only have %d key groups", t, len(entries)))
	}
	groups, err := r.fileGroups(fio, kf, entries)
	if err != nil {
		return err
	}
	if err := r.rekeyGroups(fio, kf, groups, t); err != nil {
		return err
	}
	r.warnf("%s: the data key was not changed: the keys of the deleted group can still read this file with an old copy of it; run 'hull rotate -i' to change the key", fio.display())
	return nil
}

// rekeyGroups re-wraps the file's data key for groups, leaving the values,
// the MAC and lastmodified as they are, and writes the result.
func (r *runner) rekeyGroups(fio *fileIO, kf *keyFile, groups [][]keysources.Recipient, t int) error {
	m := kf.opened.Meta
	if err := hull.Rekey(kf.plain, m, kf.opened.Key, r.viaKeyServices(groups), t, nil); err != nil {
		return withCode(exitGeneric, fmt.Errorf("%s: %w", fio.display(), err))
	}
	kf.cipher.Meta = m.Node()
	out, err := fio.out.Emit(kf.cipher, fio.emitOpts)
	if err != nil {
		return fmt.Errorf("%s: %w", fio.display(), err)
	}
	return r.deliver(fio, kf, out)
}
