package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/all"
	"github.com/hullsecrets/hull/internal/bulk"
	"github.com/hullsecrets/hull/keysources"
	keyall "github.com/hullsecrets/hull/keysources/all"
	"github.com/hullsecrets/hull/metadata"
	"github.com/hullsecrets/hull/sopsenv"
)

// hull check: the policy lint for CI and hooks (USERS rows 4, 30; §3.4).
// Every file a creation rule covers must be encrypted, with the rule's
// values encrypted, a sound structure, a valid MAC (when a key is at hand)
// and the rule's recipients. Nothing is decrypted to the outside and no
// value is ever printed.

const gCheck = "check" // check: --json, --require-keys

// Finding kinds (the "kind" of --json).
const (
	findPlaintext      = "plaintext"       // a file a rule covers has no sops metadata
	findUnencrypted    = "unencrypted"     // a value the rule says is encrypted is in clear
	findMalformed      = "malformed"       // metadata or an ENC[…] value is malformed
	findMAC            = "mac"             // MAC (or hull MAC) mismatch or missing
	findTampered       = "tampered"        // a value fails authentication
	findRuleDrift      = "rule-drift"      // the file's encryption rule differs from the config's
	findRecipientDrift = "recipient-drift" // the file's keys differ from the config's
	findNoKey          = "no-key"          // no identity could recover the data key
	findError          = "error"           // the file could not be checked
	findSkipped        = "skipped"         // not checked (too large)
	findUncovered      = "uncovered"       // an encrypted file no creation rule covers
)

// Statuses, from the most to the least severe; each has its exit code.
var checkClasses = []struct {
	status string
	code   int
	kinds  []string
}{
	{"tampered", exitCheckTampered, []string{findMalformed, findMAC, findTampered}},
	{"plaintext", exitCheckPlaintext, []string{findPlaintext, findUnencrypted}},
	{"error", exitGeneric, []string{findError}},
	{"no-key", exitCouldNotRetrieveKey, nil}, // only with --require-keys
	{"drift", exitCheckDrift, []string{findRuleDrift, findRecipientDrift}},
}

type checkFinding struct {
	Kind   string `json:"kind"`
	Path   string `json:"path,omitempty"`
	Detail string `json:"detail"`
}

type checkResult struct {
	File     string         `json:"file"`
	Status   string         `json:"status"`
	Verified bool           `json:"mac_verified"`
	Findings []checkFinding `json:"findings"`
	code     int
}

type checkOptions struct {
	noDecrypt   bool
	requireKeys bool
}

// checkKeys are the identities check decrypts with, loaded once.
type checkKeys struct {
	ids   []keysources.Identity
	order []string
}

func (r *runner) checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "check that every file a .sops.yaml creation rule covers is encrypted as the rule says",
		ArgsUsage: "[PATH...]",
		Description: "Walks PATH (default: the git repository, else the working directory) and checks every\n" +
			"file a creation rule covers (a catch-all rule without path_regex covers only files with\n" +
			"a known format extension; .git and other VCS directories and symbolic links are skipped):\n" +
			"it is encrypted; every value the rule says is encrypted is; its metadata and ENC[...]\n" +
			"values are well formed; its MAC (and hull MAC) is valid when one of your identities can\n" +
			"recover its data key (else only its structure is checked, unless --require-keys); its\n" +
			"encryption rule and its recipients are those of the rule now (run 'hull updatekeys -r'\n" +
			"to fix recipient drift). An encrypted file no rule covers is listed, without failing.\n" +
			"Output: one line 'FILE: problem' per finding and a summary; --json prints an array of\n" +
			"{file, status, mac_verified, findings: [{kind, path, detail}]}. Values are never printed.\n" +
			"Exit status (the most severe wins, in this order): 41 tampered or malformed (MAC\n" +
			"mismatch, a value that fails authentication, malformed metadata or value), 40 plaintext\n" +
			"(a file not encrypted, or a value in clear), 1 a file could not be checked, 128 no key\n" +
			"(--require-keys only), 42 drift (rule or recipients differ from .sops.yaml), 0 clean.",
		Flags:        flagsFor(gGlobal, gCheck),
		Action:       r.cmdCheck,
		OnUsageError: usageError,
	}
}

// repoRoot is the git repository around the working directory, else the
// working directory.
func repoRoot() string {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err == nil {
		if p := strings.TrimSpace(string(out)); p != "" {
			return p
		}
	}
	return "."
}

func (r *runner) cmdCheck(c *cli.Context) error {
	if err := r.setupKeyservice(c); err != nil {
		return err
	}
	roots := c.Args().Slice()
	if len(roots) == 0 {
		roots = []string{repoRoot()}
	}
	preCommit := c.Bool("pre-commit")
	driftWarns := preCommit
	switch d := c.String("drift"); d {
	case "":
	case "warn":
		driftWarns = true
	case "error":
		driftWarns = false
	default:
		return withCode(exitGeneric, fmt.Errorf("--drift %q: want warn or error", d))
	}
	all, sel, err := r.walkTree(c, roots)
	if err != nil {
		return err
	}
	if err := requireConfig(sel, roots); err != nil {
		var ce *noConfigError
		if preCommit && errors.As(err, &ce) {
			// A repository without .sops.yaml: the hook has nothing to check.
			return nil
		}
		return err
	}
	opts := checkOptions{requireKeys: c.Bool("require-keys")}
	keys := &checkKeys{}
	if keys.order, err = r.decryptionOrder(c); err != nil {
		return err
	}
	ids, err := r.loadIdentities(context.Background())
	if err != nil {
		return err
	}
	keys.ids = ids.ids

	// The files a rule covers, and the encrypted files no rule covers.
	var files []bulk.File
	for _, f := range all {
		if preCommit && f.Rule == nil {
			// The hook is silent about files no rule covers: most staged
			// files are source code.
			continue
		}
		if f.Rule != nil || f.Explicit || (knownFormat(filepath.Base(f.Path)) && looksLikeSops(f.Path)) {
			files = append(files, f)
		}
	}
	bar := r.newProgress("check")
	results := bulk.Run(files, 0, func(_ int, f bulk.File) checkResult {
		return r.checkFile(forkContext(c), f, keys, opts)
	}, bulk.Hooks[checkResult]{Progress: bar.draw})
	bar.clear()
	results = append(configFindings(all), results...)

	code := exitOK
	rank := len(checkClasses)
	for _, res := range results {
		for i, cl := range checkClasses {
			if res.code == cl.code && res.code != exitOK && i < rank && !(driftWarns && cl.code == exitCheckDrift) {
				rank, code = i, cl.code
			}
		}
	}
	if driftWarns && !c.Bool("json") {
		for _, res := range results {
			for _, f := range res.Findings {
				if f.Kind == findRuleDrift || f.Kind == findRecipientDrift {
					r.warnf("%s: %s: %s (not blocking; 'hull updatekeys -y %s' fixes it)", res.File, f.Kind, f.Detail, res.File)
				}
			}
		}
	}
	if preCommit && code == exitOK && !c.Bool("json") {
		// The hook is quiet when the commit may go ahead.
		return nil
	}
	if c.Bool("json") {
		out, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(r.stdout, "%s\n", out)
	} else {
		r.printCheck(results, !opts.requireKeys && !c.Bool("verbose"))
	}
	if code != exitOK {
		return &childExit{code: code}
	}
	return nil
}

// requireConfig fails when no .sops.yaml applies to any of the roots or to
// a file under them: without creation rules check has nothing to check
// against, and a CI job that runs it would pass by accident.
func requireConfig(sel *bulk.Selector, roots []string) error {
	for _, root := range roots {
		probe := root
		if fi, err := os.Stat(root); err == nil && fi.IsDir() {
			probe = filepath.Join(root, "probe")
		}
		if _, err := sel.Config(probe); err != nil {
			return withCode(exitErrorReadingConfig, err)
		}
	}
	if sel.Loaded() > 0 {
		return nil
	}
	where := strings.Join(roots, ", ")
	if len(roots) == 1 && roots[0] == "." {
		where = "the working directory"
	}
	files := true
	for _, root := range roots {
		if fi, err := os.Stat(root); err != nil || fi.IsDir() {
			files = false
		}
	}
	return withCode(exitGeneric, &noConfigError{where: where, files: files})
}

// noConfigError: check found no .sops.yaml to check files against. files:
// only files were named (as a pre-commit hook does).
type noConfigError struct {
	where string
	files bool
}

func (e *noConfigError) Error() string {
	return fmt.Sprintf("check: no .sops.yaml in %s or above it: there are no creation rules to check files against, so nothing was checked; add a .sops.yaml with creation_rules, or name one with --config or SOPS_CONFIG", e.where)
}

// configFindings reports the unknown keys of every config the walk used:
// the other commands warn about them and go on (as sops ignores them);
// check, the lint, fails on them (exit 1) so that a misspelt setting is
// found.
func configFindings(files []bulk.File) []checkResult {
	var out []checkResult
	seen := map[*config.Config]bool{}
	for _, f := range files {
		if f.Config == nil || seen[f.Config] || len(f.Config.Warnings) == 0 {
			continue
		}
		seen[f.Config] = true
		res := checkResult{File: displayName(filepath.Join(f.Config.Dir, config.FileName)), Findings: []checkFinding{}}
		for _, w := range f.Config.Warnings {
			res.Findings = append(res.Findings, checkFinding{Kind: findError, Detail: fmt.Sprintf("line %d: %s", w.Line, w.Msg)})
		}
		res.classify(checkOptions{})
		out = append(out, res)
	}
	return out
}

// looksLikeSops is a cheap test for an encrypted file no rule covers.
func looksLikeSops(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || fi.Size() > 16<<20 {
		return false
	}
	data, err := os.ReadFile(path)
	return err == nil && bytes.Contains(data, []byte("ENC[AES256_GCM,data:"))
}

func (r *runner) printCheck(results []checkResult, quietNoKey bool) {
	counts := map[string]int{}
	verified, unverified := 0, 0
	for _, res := range results {
		counts[res.Status]++
		if res.Verified {
			verified++
		}
		for _, f := range res.Findings {
			if f.Kind == findNoKey {
				unverified++
				if quietNoKey {
					continue
				}
			}
			where := res.File
			if f.Path != "" {
				where += " " + f.Path
			}
			fmt.Fprintf(r.stdout, "%s: %s: %s\n", where, f.Kind, f.Detail)
		}
	}
	var parts []string
	for _, s := range []string{"ok", "tampered", "plaintext", "error", "no-key", "drift", "uncovered", "skipped"} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	noun := "files"
	if len(results) == 1 {
		noun = "file"
	}
	line := fmt.Sprintf("check: %d %s", len(results), noun)
	if len(parts) > 0 {
		line += ": " + strings.Join(parts, ", ")
	}
	line += fmt.Sprintf(" (MAC verified for %d", verified)
	if unverified > 0 {
		line += fmt.Sprintf("; %d with no key at hand: structure only", unverified)
	}
	fmt.Fprintln(r.stdout, line+")")
}

// displayName is path relative to the working directory when under it.
func displayName(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return abs
}

// checkFile checks one file. keys is nil for a check without decryption.
func (r *runner) checkFile(c *cli.Context, bf bulk.File, keys *checkKeys, opts checkOptions) (res checkResult) {
	res = checkResult{File: displayName(bf.Path), Findings: []checkFinding{}}
	add := func(kind, path, detail string) {
		res.Findings = append(res.Findings, checkFinding{Kind: kind, Path: path, Detail: detail})
	}
	defer func() { res.classify(opts) }()
	ruleAt := ""
	if bf.Rule != nil {
		ruleAt = fmt.Sprintf("the creation rule at %s:%d", filepath.Join(bf.Config.Dir, config.FileName), bf.Rule.Line)
	}
	if bf.Skip != "" {
		add(findSkipped, "", "not checked: "+bf.Skip)
		return
	}
	data, err := os.ReadFile(bf.Path)
	if err != nil {
		add(findError, "", fmt.Sprintf("cannot read: %v", unwrapPathErr(err)))
		return
	}
	fm, _ := all.Registry().ForPath(filepath.Base(bf.Path), "binary")
	f, err := fm.Parse(data, formats.ParseOptions{Encrypted: true})
	if err != nil && fm.Name() != "binary" {
		if plain, perr := fm.Parse(data, formats.ParseOptions{}); perr == nil && plain.Meta == nil && bf.Rule != nil {
			add(findPlaintext, "", "not encrypted, but "+ruleAt+" covers it")
			return
		}
		add(findMalformed, "", fmt.Sprintf("cannot be parsed: %v", err))
		return
	}
	if err != nil || f.Meta == nil {
		if bf.Rule != nil {
			add(findPlaintext, "", "not encrypted, but "+ruleAt+" covers it")
		} else {
			add(findUncovered, "", "not encrypted, and no creation rule covers it")
		}
		return
	}
	if bf.Rule == nil {
		add(findUncovered, "", "encrypted, but no .sops.yaml creation rule covers it: its recipients are not checked")
	}
	if err := hull.CheckStructure(f); err != nil {
		for _, e := range unjoin(err) {
			var pe *hull.PathError
			if errors.As(e, &pe) {
				add(findMalformed, pe.Path, pe.Err.Error())
			} else {
				add(findMalformed, "", e.Error())
			}
		}
	}
	m, err := metadata.Load(f.Meta)
	if err != nil {
		return
	}
	binary := fm.Name() == "binary"

	// Values in clear: by the file's own rule, then by the config's.
	seen := map[string]bool{}
	clearOwn := false
	rules := []metadata.Rule{m.Rule}
	if bf.Rule != nil && !binary {
		rules = append(rules, bf.Rule.Rule)
	}
	for i, rl := range rules {
		paths, err := hull.Unencrypted(f, rl)
		if err != nil {
			add(findError, "", err.Error())
			continue
		}
		for _, p := range paths {
			if seen[p] {
				continue
			}
			seen[p] = true
			clearOwn = clearOwn || i == 0
			why := "in clear, but the file's rule says it is encrypted"
			if i == 1 {
				why = "in clear, but " + ruleAt + " says it is encrypted"
			}
			add(findUnencrypted, p, why)
		}
	}

	// Drift from the creation rule.
	if bf.Rule != nil {
		if !binary {
			want, have := bf.Rule.Rule.OrDefault(), m.Rule.OrDefault()
			if want != have {
				add(findRuleDrift, "", fmt.Sprintf("the file's rule is %s, %s says %s", ruleText(have), ruleAt, ruleText(want)))
			}
			if bf.Rule.MACOnlyEncrypted != m.MACOnlyEncrypted {
				add(findRuleDrift, "", fmt.Sprintf("mac_only_encrypted is %t in the file, %t in %s", m.MACOnlyEncrypted, bf.Rule.MACOnlyEncrypted, ruleAt))
			}
		}
		if d, err := recipientDrift(f.Meta, m, bf.Rule, ruleAt); err != nil {
			add(findError, "", err.Error())
		} else if d != "" {
			add(findRecipientDrift, "", d)
		}
	}

	// The MAC, with a key.
	if keys == nil || opts.noDecrypt || len(res.Findings) > 0 && (hasKind(res.Findings, findMalformed) || clearOwn) {
		return
	}
	ids := append(append([]keysources.Identity(nil), keys.ids...), r.networkIdentities(flagVaultAddresses(c))...)
	opened, err := hull.Decrypt(context.Background(), f, hull.DecryptOptions{
		Identities:         ids,
		DecryptionOrder:    keys.order,
		RequireExtendedMAC: r.strictMACFor(bf.Config, bf.Rule),
	})
	switch {
	case err == nil:
		clear(opened.Key)
		res.Verified = true
	case errors.Is(err, keysources.ErrNoKey):
		first, _, _ := strings.Cut(err.Error(), "\n")
		add(findNoKey, "", first+": MAC not verified (structure only)")
	case errors.Is(err, hull.ErrMACMismatch), errors.Is(err, hull.ErrNoMAC), errors.Is(err, hull.ErrExtendedMAC):
		add(findMAC, "", err.Error())
	case errors.Is(err, hull.ErrDecrypt), errors.Is(err, hull.ErrMalformedValue), errors.Is(err, hull.ErrNonCanonical):
		var pe *hull.PathError
		if errors.As(err, &pe) {
			add(findTampered, pe.Path, pe.Err.Error())
		} else {
			add(findTampered, "", err.Error())
		}
	default:
		add(findError, "", err.Error())
	}
	return
}

// strictMACFor is Policy.StrictMAC for a file whose config and rule are
// known (check walks with its own config selection).
func (r *runner) strictMACFor(cfg *config.Config, cr *config.CreationRule) bool {
	return envTrue(r.env.get("HULL_REQUIRE_STRICT_MAC")) || (cfg != nil && cfg.RequireStrictMAC) || (cr != nil && cr.RequireStrictMAC)
}

func hasKind(fs []checkFinding, kind string) bool {
	for _, f := range fs {
		if f.Kind == kind {
			return true
		}
	}
	return false
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// classify sets the status and exit code from the findings.
func (res *checkResult) classify(opts checkOptions) {
	res.Status, res.code = "ok", exitOK
	for _, cl := range checkClasses {
		for _, f := range res.Findings {
			hit := false
			for _, k := range cl.kinds {
				hit = hit || f.Kind == k
			}
			if cl.status == "no-key" {
				hit = f.Kind == findNoKey && opts.requireKeys
			}
			if hit {
				res.Status, res.code = cl.status, cl.code
				return
			}
		}
	}
	for _, s := range []string{findUncovered, findSkipped} {
		if hasKind(res.Findings, s) {
			res.Status = s
			return
		}
	}
}

func ruleText(r metadata.Rule) string {
	return fmt.Sprintf("%s: %q", r.Kind, r.Value)
}

// wantCache holds the key IDs of each creation rule, parsed once.
var wantCache sync.Map // *config.CreationRule → wantKeys

type wantKeys struct {
	ids []([]hull.KeyID)
	err error
}

// recipientDrift compares the file's key groups and threshold with the
// creation rule's, as updatekeys does, and describes the difference ("" when
// there is none).
func recipientDrift(metaNode *formats.Node, m *metadata.Metadata, cr *config.CreationRule, source string) (string, error) {
	v, ok := wantCache.Load(cr)
	if !ok {
		groups, err := sopsenv.RuleRecipients(cr, source, keyall.Options{})
		w := wantKeys{err: err}
		if err == nil {
			w.ids = hull.RecipientKeyIDs(groups)
		}
		v, _ = wantCache.LoadOrStore(cr, w)
	}
	want := v.(wantKeys)
	if want.err != nil {
		return "", want.err
	}
	meta := metaNode.Clone()
	unusable := hull.StripUnusable(meta)
	usable, err := metadata.Load(meta)
	if err != nil {
		usable = m
	}
	diffs, dropped := hull.DiffKeys(usable, unusable, want.ids)
	oldT := hull.EffectiveThreshold(usable.ShamirThreshold, len(usable.KeyGroups))
	t := hull.NewThreshold(cr.ShamirThreshold, usable.ShamirThreshold, len(want.ids))
	newT := hull.EffectiveThreshold(t, len(want.ids))
	var parts []string
	for i, d := range diffs {
		var ch []string
		for _, k := range d.Added {
			ch = append(ch, "+"+k.String())
		}
		for _, k := range d.Removed {
			ch = append(ch, "-"+k.String())
		}
		for _, u := range dropped {
			if u.Group == i {
				ch = append(ch, "-"+u.String())
			}
		}
		if len(ch) > 0 {
			sort.SliceStable(ch, func(a, b int) bool { return ch[a][0] == '+' && ch[b][0] == '-' })
			label := "keys"
			if len(diffs) > 1 {
				label = fmt.Sprintf("group %d", i+1)
			}
			parts = append(parts, label+": "+strings.Join(ch, " "))
		}
	}
	if oldT != newT {
		parts = append(parts, fmt.Sprintf("shamir_threshold: %d -> %d", oldT, newT))
	}
	if len(parts) == 0 {
		return "", nil
	}
	return strings.Join(parts, "; ") + " (from " + source + "; 'hull updatekeys' applies it)", nil
}
