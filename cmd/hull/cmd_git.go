package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/all"
	"github.com/hullsecrets/hull/internal/conflict"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// Git integration: "hull diff" (a textconv driver), "hull merge" (a merge
// driver) and "hull git setup", which configures both.

// Flag groups of the git commands.
const (
	gGit   = "git"   // git setup
	gMerge = "merge" // merge
)

// exitMergeConflict is what merge returns when it leaves conflicts (or
// refuses to merge): any status but 0 makes git report a conflict.
const exitMergeConflict = exitGeneric

func (r *runner) diffCommand() *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "print a file decrypted, for git diff (a textconv driver; see 'hull git setup')",
		ArgsUsage: "FILE",
		Description: "Prints FILE decrypted, as 'hull decrypt' does, for git's textconv. A file that\n" +
			"is not encrypted is printed as it is. When FILE cannot be decrypted (no key), it is\n" +
			"printed with each encrypted value shortened to ENC[…] and a short hash of its\n" +
			"ciphertext, after a one-line note; the exit status is still 0 so that 'git log -p'\n" +
			"keeps working. The format comes from the file name (git keeps it in the name of\n" +
			"its temporary copies), --input-type or --filename-override.",
		Flags:        flagsFor(gGlobal, gIn),
		Action:       r.cmdDiff,
		OnUsageError: usageError,
	}
}

func (r *runner) mergeCommand() *cli.Command {
	return &cli.Command{
		Name:      "merge",
		Usage:     "three-way merge of encrypted files, key by key (a git merge driver; see 'hull git setup')",
		ArgsUsage: "BASE OURS THEIRS [PATH]   or   --resolve ours|theirs FILE",
		Description: "Decrypts the three versions in memory, merges them key by key and writes the\n" +
			"result, encrypted with the file's data key and with a new MAC, to OURS. Values\n" +
			"that did not change keep their ciphertext. PATH (git's %P) names the file in the\n" +
			"repository; it chooses the format and the .sops.yaml rule. Where both sides changed\n" +
			"the same key differently, OURS gets git conflict markers around the two ENCRYPTED\n" +
			"versions (never plaintext) and the exit status is 1. Resolve with\n" +
			"'hull merge --resolve ours|theirs FILE' (one side for every conflict), then\n" +
			"'hull edit FILE' to make further changes. Files whose data keys differ (one side\n" +
			"rotated the key) or whose recipients both sides changed differently are not\n" +
			"merged: OURS is left as it is and the exit status is 1.",
		Flags:        flagsFor(gGlobal, gIn, gMerge),
		Action:       r.cmdMerge,
		OnUsageError: usageError,
	}
}

func (r *runner) gitCommand() *cli.Command {
	setup := &cli.Command{
		Name:  "setup",
		Usage: "configure git to diff and merge encrypted files with hull",
		Description: "Adds lines '<pattern> diff=hull merge=hull' to .gitattributes (next to the\n" +
			".sops.yaml, else at the top of the repository) for the files the creation rules\n" +
			"cover, plus every tracked file that is already encrypted and not covered, and sets\n" +
			"diff.hull.textconv, diff.hull.cachetextconv (false: git never caches plaintext),\n" +
			"merge.hull.name and merge.hull.driver in the repository's git config (with\n" +
			"--global, in your global git config). Running it again changes nothing.",
		Flags:        flagsFor(gGlobal, gGit),
		Action:       r.cmdGitSetup,
		OnUsageError: usageError,
	}
	return &cli.Command{
		Name:         "git",
		Usage:        "git integration: 'hull git setup'",
		Flags:        flagsFor(gGlobal, gGit),
		Subcommands:  []*cli.Command{setup},
		OnUsageError: usageError,
		Action: func(c *cli.Context) error {
			return withCode(exitGeneric, errors.New("usage: hull git setup [--global]"))
		},
	}
}

// formatFor chooses the format of a file for diff and merge: --input-type,
// else the name (--filename-override, else name), else the content.
func formatFor(c *cli.Context, name string, sample []byte) (formats.Format, error) {
	reg := all.Registry()
	if t := c.String("input-type"); t != "" {
		f, err := reg.ByName(t)
		if err != nil {
			return nil, withCode(exitGeneric, fmt.Errorf("--input-type: %w", err))
		}
		return f, nil
	}
	if c.IsSet("filename-override") {
		name = c.String("filename-override")
	}
	if f, ok := reg.ForPath(name, "binary"); ok {
		return f, nil
	}
	return sniffFormat(sample), nil
}

var (
	sniffINI    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^\[sops\]\s*$`) })
	sniffDotenv = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^sops_mac=`) })
	sniffYAML   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^sops:\s*$`) })
)

// sniffFormat guesses the format of an encrypted file from the markers of
// its metadata (git's merge temp files have no extension).
func sniffFormat(data []byte) formats.Format {
	reg := all.Registry()
	pick := func(name string) formats.Format {
		f, _ := reg.ByName(name)
		return f
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	switch {
	case bytes.HasPrefix(trimmed, []byte("{")):
		if f, err := pick("json").Parse(data, formats.ParseOptions{Encrypted: true}); err == nil &&
			len(f.Docs) == 1 && len(f.Docs[0].Children) == 1 && f.Docs[0].Get("data") != nil {
			return pick("binary")
		}
		return pick("json")
	case sniffINI().Match(data):
		return pick("ini")
	case sniffDotenv().Match(data):
		return pick("dotenv")
	case sniffYAML().Match(data):
		return pick("yaml")
	}
	f, _ := reg.ForPath("", "binary")
	return f
}

// readLimited reads a whole file, refusing one over the size limit.
func readLimited(path string) ([]byte, error) {
	limit := formats.DefaultLimits.MaxBytes
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, withCode(exitNoFileSpecified, fmt.Errorf("cannot read %s: no such file", path))
		}
		return nil, withCode(exitCouldNotRead, fmt.Errorf("cannot read %s: %w", path, unwrapPathErr(err)))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, withCode(exitCouldNotRead, fmt.Errorf("cannot read %s: %w", path, err))
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w", path, &formats.LimitError{What: "size", Limit: limit})
	}
	return data, nil
}

// --- hull diff ---------------------------------------------------------

func (r *runner) cmdDiff(c *cli.Context) error {
	path, err := oneFile(c, false)
	if err != nil {
		return err
	}
	data, err := readLimited(path)
	if err != nil {
		return err
	}
	format, err := formatFor(c, path, data)
	if err != nil {
		return err
	}
	fio := &fileIO{path: path, name: path, in: format, out: format}
	if c.IsSet("filename-override") {
		fio.name = c.String("filename-override")
	}
	parsed, err := format.Parse(data, formats.ParseOptions{Encrypted: true})
	if err != nil || parsed.Meta == nil {
		// Not an encrypted file (or not one we can read): as it is.
		return r.write(fio, data, false)
	}
	f, _, err := r.decryptBytes(c, fio, data, nil)
	if err == nil {
		var out []byte
		if out, err = format.Emit(f, formats.EmitOptions{}); err == nil {
			return r.write(fio, out, true)
		}
	}
	// No file name in the note: git's temporary copies have random names,
	// which would show as a change.
	note := fmt.Sprintf("# hull: cannot decrypt this file (%s); encrypted values are shortened\n", shortReason(err))
	return r.write(fio, append([]byte(note), abbreviate(data)...), false)
}

// shortReason is a one-line reason for a failed decryption, without the
// list of places searched for identities.
func shortReason(err error) string {
	switch {
	case errors.Is(err, keysources.ErrNoKey):
		return "no identity could decrypt the data key"
	case errors.Is(err, hull.ErrMACMismatch), errors.Is(err, hull.ErrNoMAC):
		return "MAC mismatch: the file was changed outside sops/hull"
	case errors.Is(err, hull.ErrExtendedMAC):
		return "the hull MAC does not match"
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

var (
	encValue = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]*,tag:[A-Za-z0-9+/=]*,type:[a-z]+\]`)
	})
	xmacValue = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(x_hull_mac["']?\s*[:=]\s*["']?)v1:[A-Za-z0-9+/=]+`) })
)

// abbreviate shortens every ENC[…] value to ENC[…] and a hash of its
// ciphertext (so that a changed value still shows as changed) and hides
// the hull MAC.
func abbreviate(data []byte) []byte {
	out := encValue().ReplaceAllFunc(data, func(m []byte) []byte {
		sum := sha256.Sum256(m)
		return []byte("ENC[…" + hex.EncodeToString(sum[:4]) + "]")
	})
	return xmacValue().ReplaceAll(out, []byte("${1}v1:…"))
}

// --- hull merge --------------------------------------------------------

// side is one decrypted version of the merged file.
type side struct {
	label  string
	file   *formats.File
	opened *hull.Opened
	stash  *hull.Stash
}

func (r *runner) cmdMerge(c *cli.Context) error {
	if res := c.String("resolve"); res != "" {
		return r.mergeResolve(c, res)
	}
	args := c.Args().Slice()
	if len(args) != 3 && len(args) != 4 {
		return withCode(exitNoFileSpecified, fmt.Errorf("usage: hull merge BASE OURS THEIRS [PATH] (git's %%O %%A %%B %%P), got %d arguments", len(args)))
	}
	basePath, oursPath, theirsPath := args[0], args[1], args[2]
	name := oursPath
	if len(args) == 4 {
		name = args[3]
	}
	var data [3][]byte
	for i, p := range []string{basePath, oursPath, theirsPath} {
		d, err := readLimited(p)
		if err != nil {
			return err
		}
		data[i] = d
	}
	format, err := formatFor(c, name, data[1])
	if err != nil {
		return err
	}
	display := name
	if c.IsSet("filename-override") {
		name = c.String("filename-override")
	}
	// Which versions are encrypted?
	var enc [3]bool
	for i, d := range data {
		if len(d) == 0 {
			continue
		}
		if f, err := format.Parse(d, formats.ParseOptions{Encrypted: true}); err == nil && f.Meta != nil {
			enc[i] = true
		}
	}
	if !enc[0] && !enc[1] && !enc[2] {
		return r.mergePlain(basePath, oursPath, theirsPath, display)
	}
	if !enc[1] || !enc[2] || (len(data[0]) > 0 && !enc[0]) {
		return withCode(exitMergeConflict, fmt.Errorf("%s: not merged: only some versions are encrypted (base %t, ours %t, theirs %t); %s was left as it is", display, enc[0], enc[1], enc[2], oursPath))
	}
	labels := [3]string{"base", "ours", "theirs"}
	var sides [3]*side
	for i := range data {
		if len(data[i]) == 0 {
			continue // no common ancestor
		}
		fio := &fileIO{path: display + " (" + labels[i] + ")", name: name, in: format, out: format}
		st := hull.NewStash()
		f, o, err := r.decryptBytes(c, fio, data[i], st)
		if err != nil {
			return fmt.Errorf("not merged, %s was left as it is: %w", oursPath, err)
		}
		sides[i] = &side{label: labels[i], file: f, opened: o, stash: st}
	}
	ours, theirs, base := sides[1], sides[2], sides[0]
	if subtle.ConstantTimeCompare(ours.opened.Key, theirs.opened.Key) != 1 {
		r.errorf("%s: not merged: the two sides have different data keys (one side rotated the key); %s was left as it is", display, oursPath)
		r.hintf("take one side ('git checkout --theirs %s' or --ours) and apply the other side's changes with 'hull edit'", display)
		return &childExit{code: exitMergeConflict}
	}
	if base != nil && subtle.ConstantTimeCompare(base.opened.Key, ours.opened.Key) != 1 {
		base.stash = nil // its ciphertexts are under another key
	}
	m, err := mergeMeta(base, ours, theirs)
	if err != nil {
		return withCode(exitMergeConflict, fmt.Errorf("%s: not merged: %w; %s was left as it is", display, err, oursPath))
	}
	var baseDocs []*formats.Node
	if base != nil {
		baseDocs = base.file.Docs
	}
	res, err := hull.Merge3(baseDocs, ours.file.Docs, theirs.file.Docs)
	if err != nil {
		return withCode(exitMergeConflict, fmt.Errorf("%s: not merged: %w; %s was left as it is", display, err, oursPath))
	}
	now := time.Now()
	pol, err := r.policy(c, name)
	if err != nil {
		return fmt.Errorf("not merged, %s was left as it is: %w", oursPath, err)
	}
	oursCipher, err := format.Parse(data[1], formats.ParseOptions{Encrypted: true})
	if err != nil {
		return err
	}
	seal := func(docs []*formats.Node) ([]byte, error) {
		st := hull.NewStash()
		st.Add(ours.stash)
		st.Add(theirs.stash)
		if base != nil {
			st.Add(base.stash)
		}
		mm, err := metadata.Load(m.Node())
		if err != nil {
			return nil, err
		}
		f := &formats.File{Docs: docs}
		// The merged tree is made by code: seal it as the file will
		// hold it (comments of both sides that meet, for example).
		if err := formats.Settle(format, f); err != nil {
			return nil, fmt.Errorf("%s: %w", display, err)
		}
		// docs/TRUST.md rules 11 and 12: the merged metadata is
		// authenticated only when both sides were.
		res := *ours.opened.Result
		res.ExtendedMACChecked = ours.opened.Result.ExtendedMACChecked && theirs.opened.Result.ExtendedMACChecked
		wc, err := pol.CheckWrite(name, &hull.Opened{Meta: mm, Result: &res}, f, oursCipher, format.Name() == "binary", r.ruleKeyIDs(pol, name))
		if err != nil {
			return nil, withCode(exitPolicyViolation, fmt.Errorf("%s: not merged: %w; %s was left as it is", display, err, oursPath))
		}
		if err := hull.Seal(f, ours.opened.Key, mm, hull.SealOptions{Stash: st, Format: format, Now: now, NoExtendedMAC: wc.NoExtendedMAC}); err != nil {
			return nil, fmt.Errorf("%s: %w", display, err)
		}
		return format.Emit(f, formats.EmitOptions{})
	}
	outA, err := seal(res.Docs)
	if err != nil {
		return err
	}
	out := outA
	if len(res.Conflicts) > 0 {
		outB, err := seal(res.TheirDocs)
		if err != nil {
			return err
		}
		out = conflict.Text(outA, outB)
	}
	if err := hull.WriteFile(oursPath, out, hull.WriteOptions{}); err != nil {
		return withCode(exitCouldNotWrite, fmt.Errorf("cannot write %s: %w", oursPath, unwrapPathErr(err)))
	}
	if len(res.Conflicts) == 0 {
		return nil
	}
	var where []string
	for _, cf := range res.Conflicts {
		where = append(where, cf.String())
	}
	r.errorf("%s: merge conflict: both sides changed %s", display, strings.Join(where, ", "))
	r.hintf("the file holds both encrypted versions between conflict markers; take one side for every conflict with 'hull merge --resolve ours %s' (or theirs), then change what you need with 'hull edit %s'", display, display)
	return &childExit{code: exitMergeConflict}
}

// mergePlain merges three unencrypted versions as git does, with git
// merge-file: a file the attributes send to hull need not be encrypted.
func (r *runner) mergePlain(base, ours, theirs, display string) error {
	cmd := exec.Command("git", "merge-file", "-L", "ours", "-L", "base", "-L", "theirs", ours, base, theirs)
	cmd.Stdout, cmd.Stderr = r.stderr, r.stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee) && ee.ExitCode() > 0 && ee.ExitCode() < 128:
		r.warnf("%s is not encrypted: merged as text, with %d conflict(s)", display, ee.ExitCode())
		return &childExit{code: exitMergeConflict}
	}
	return withCode(exitMergeConflict, fmt.Errorf("%s is not encrypted, and git merge-file failed: %w", display, err))
}

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

// mergeMeta merges the metadata three ways: one side's change to the
// recipients or the rule is taken; different changes on both sides are a
// conflict.
func mergeMeta(base, ours, theirs *side) (*metadata.Metadata, error) {
	o, t := shapeOf(ours.opened.Meta), shapeOf(theirs.opened.Meta)
	pick := ours.opened.Meta
	switch {
	case reflect.DeepEqual(o, t):
	case base != nil && reflect.DeepEqual(shapeOf(base.opened.Meta), o):
		pick = theirs.opened.Meta
	case base != nil && reflect.DeepEqual(shapeOf(base.opened.Meta), t):
	default:
		return nil, errors.New("both sides changed the recipients, key groups or encryption rule differently")
	}
	m, err := metadata.Load(pick.Node())
	if err != nil {
		return nil, err
	}
	m.BumpVersion()
	return m, nil
}

// mergeResolve takes one side of every conflict in FILE, checks that the
// result decrypts (MAC included) and writes it in place.
func (r *runner) mergeResolve(c *cli.Context, which string) error {
	if which != "ours" && which != "theirs" {
		return withCode(exitGeneric, fmt.Errorf("--resolve %q: give ours or theirs", which))
	}
	path, err := oneFile(c, false)
	if err != nil {
		return err
	}
	data, err := readLimited(path)
	if err != nil {
		return err
	}
	out, n, err := conflict.PickSide(data, which == "ours")
	if err != nil {
		return withCode(exitGeneric, fmt.Errorf("%s: %w", path, err))
	}
	if n == 0 {
		return withCode(exitGeneric, fmt.Errorf("%s: no conflict markers found", path))
	}
	format, err := formatFor(c, path, out)
	if err != nil {
		return err
	}
	fio := &fileIO{path: path, name: path, in: format, out: format}
	if c.IsSet("filename-override") {
		fio.name = c.String("filename-override")
	}
	if _, _, err := r.decryptBytes(c, fio, out, nil); err != nil {
		return fmt.Errorf("%s: the %s side does not decrypt, nothing was written (were the conflict markers edited?): %w", path, which, err)
	}
	if err := hull.WriteFile(path, out, hull.WriteOptions{}); err != nil {
		return withCode(exitCouldNotWrite, fmt.Errorf("cannot write %s: %w", path, unwrapPathErr(err)))
	}
	return nil
}
