//go:build unix

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hullsecrets/hull/formats"
)

// TestTamper runs the bad-input, tamper and fault checklist of
// the SECURITY.md checklist (rows 1–34, 35, 38, 40, 43–48 and 53) against the
// command line in-process. Every row builds its input (usually a file
// encrypted by hull a moment earlier, then altered), runs Main once and
// checks, besides the row's own exit code:
//   - stdout is empty on failure;
//   - no secret reaches stdout or stderr: the canary, the row's other
//     secrets, an AGE-SECRET-KEY, or a 128-hex-digit digest (the MAC);
//   - every file in the work directory is byte-for-byte unchanged and no
//     file appeared (no temporary file left behind), except the files a
//     row expects to write;
//   - the run does not panic and finishes quickly.
//
// A row whose expectation hull does not meet yet carries knownGap: it is
// skipped with that explanation, so the suite stays green and the gap
// stays visible in `go test -v`.
func TestTamper(t *testing.T) {
	// Run with -tamper.gaps to run the knownGap rows too (they fail until
	// hull is fixed; then drop their knownGap).
	results := map[int][]tamperOutcome{}
	for _, tc := range tamperCases() {
		t.Run(fmt.Sprintf("row%02d/%s", tc.row, tc.name), func(t *testing.T) {
			if tc.knownGap != "" && !*tamperGaps {
				results[tc.row] = append(results[tc.row], tamperOutcome{skipped: "known gap"})
				t.Skip("known gap: " + tc.knownGap)
			}
			if tc.needNonRoot && os.Geteuid() == 0 {
				results[tc.row] = append(results[tc.row], tamperOutcome{skipped: "needs a non-root user"})
				t.Skip("running as root: permission bits do not stop root from reading the file")
			}
			code := runTamperCase(t, tc)
			results[tc.row] = append(results[tc.row], tamperOutcome{code: code, failed: t.Failed()})
		})
	}
	if !t.Failed() && !testing.Short() {
		checkSecurityTable(t, results)
	}
}

var updateSecurity = flag.Bool("update-security", false, "TestTamper: rewrite the generated table in SECURITY.md")

// tamperOutcome is what one case of a row did.
type tamperOutcome struct {
	code    int
	failed  bool
	skipped string
}

// tamperElsewhere names the tests that cover the rows TestTamper does not
// run itself.
var tamperElsewhere = map[int]string{
	7:  "TestTamper (skipped as root)",
	36: "metadata and MAC tests: a rule over every key changes what is read, exit 51",
	37: "metadata/TestLoadErrors (two rule fields), exit 1",
	39: "testdata/policy_write.txtar, exit 29 unless --allow-no-encryption",
	41: "keysources/vault allowlist tests and cmd/hull/vault tests, exit 33 before any connection",
	42: "decrypt never opens a file for writing: every TestTamper row checks the files are unchanged",
	49: "internal/atomicfile/TestFailureLeavesTargetUntouched and Sweep",
	50: "internal/atomicfile (write errors, exit 3); permission bits cannot be tested as root",
	51: "cmd/hull/set_concurrent_test.go: concurrent set, no lost update, 32 on conflict",
	52: "internal/atomicfile symlink tests; rows 53 (--output onto symlinks)",
	54: "testdata/edit_editor_fails.txtar, exit 201",
	55: "testdata/edit_invalid_noninteractive.txtar, exit 2, no loop",
	56: "testdata/edit_no_change.txtar, exit 200",
	57: "edit_signal_test.go, exit 130/143/129; SIGQUIT 131 and SIGABRT 134 too",
	58: "exec_signal_test.go and testdata/exec_env_values.txtar",
	59: "testdata/exec_file_fifo.txtar, internal/execx tests",
	60: "testdata/exec_file_inject.txtar",
	61: "testdata/exec_env_values.txtar (identity variables scrubbed)",
	62: "testdata/policy_write.txtar (warning; HULL_STRICT_PERMS makes it an error)",
	63: "keysources/pgp tests (gpg not found, next identity tried)",
	64: "keysources/awskms, gcpkms, azkv and vault tests (timeouts, bounded retries, classes)",
	65: "every TestTamper row greps all output for a canary secret",
	66: "testdata/policy_write.txtar (--force-rewrite-unverified)",
}

// checkSecurityTable renders the SECURITY.md checklist rows with
// what this run observed and compares it with SECURITY.md (rewritten with
// -update-security).
func checkSecurityTable(t *testing.T, results map[int][]tamperOutcome) {
	data, err := os.ReadFile(filepath.Join("testdata", "tamper", "security-cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("| # | case | expected | hull (this test run) | sops 3.13.2 |\n| --- | --- | --- | --- | --- |\n")
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("security-cases.tsv: bad line %q", line)
		}
		row, _ := strconv.Atoi(f[0])
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", f[0], f[1], f[2], describeOutcomes(results[row], tamperElsewhere[row]), f[3])
	}
	table := b.String()
	const begin, end = "<!-- tamper-table:begin (generated by TestTamper; go test ./cmd/hull -run TestTamper -update-security) -->\n", "<!-- tamper-table:end -->"
	path := filepath.Join("..", "..", "SECURITY.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("SECURITY.md has no generated table markers")
	}
	cur := string(doc)[i+len(begin) : j]
	if cur == table {
		return
	}
	if *updateSecurity {
		out := string(doc)[:i+len(begin)] + table + string(doc)[j:]
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the table in SECURITY.md is out of date: go test ./cmd/hull -run TestTamper -update-security")
}

func describeOutcomes(outs []tamperOutcome, elsewhere string) string {
	if len(outs) == 0 {
		if elsewhere == "" {
			return "not covered"
		}
		return elsewhere
	}
	codes := map[int]int{}
	var order []int
	skipped := 0
	for _, o := range outs {
		if o.skipped != "" {
			skipped++
			continue
		}
		if codes[o.code] == 0 {
			order = append(order, o.code)
		}
		codes[o.code]++
	}
	sort.Ints(order)
	var parts []string
	for _, c := range order {
		parts = append(parts, fmt.Sprintf("exit %d ×%d", c, codes[c]))
	}
	if skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d skipped", skipped))
	}
	return strings.Join(parts, ", ")
}

var tamperGaps = flag.Bool("tamper.gaps", false, "TestTamper: also run the rows marked knownGap")

const (
	tamperCanary     = "canary-7f3a91"
	tamperRecipient1 = "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m"
	tamperRecipient2 = "age1duaj87g9lfv79tw2ppczsayzy7mgtp95qf806sfe40zankxlsf2qkd4x4m"
)

// The plaintext most rows start from. Quoted values stay strings, so that
// their type tag can be changed to a type whose text they are (row 18).
const tamperPlainYAML = `password: canary-7f3a91
other: second-secret-42
list:
    - item-one-aa
    - item-two-bb
quoted_int: "0080"
quoted_bool: "true"
canon_int: "12"
canon_bool: "True"
enabled: true
note_unencrypted: hello-plain
`

// Secrets of the sops-written fixture testdata/interop/cases/yaml-basic.
var tamperSopsFixtureSecrets = []string{"s3cr3t-p@ssw0rd", "tok-alpha-123", "tok-beta-456"}

type tamperCase struct {
	row  int
	name string
	// knownGap, when set, skips the row: hull does not meet the row's
	// expectation yet, and this says what it does instead.
	knownGap string
	// fsize, when set, runs hull in a child process whose RLIMIT_FSIZE is
	// fsize bytes, so that writing past it fails with EFBIG as on a full
	// disk (the limit is per process, so it cannot be set in this one).
	fsize       uint64
	needNonRoot bool
	// setup creates the inputs in c.dir and returns the arguments after
	// the program name.
	setup func(t *testing.T, c *tamperCtx) []string
	// env overrides the base environment; an empty value unsets.
	env  func(c *tamperCtx) map[string]string
	want []int // acceptable exit codes
	// stderr are regular expressions the message must match.
	stderr []string
	// secrets that must never be printed, besides the canary.
	secrets []string
	// written are the files (relative to c.dir) the run may create or
	// change; everything else must be untouched.
	written []string
	// around wraps the run (process-wide settings such as rlimits).
	around func(t *testing.T, run func())
	// check is called after the common checks.
	check func(t *testing.T, c *tamperCtx, r tamperResult)
	// maxTime bounds the run (default 3 s); maxAlloc bounds the bytes
	// allocated by the run (default: unchecked).
	maxTime  time.Duration
	maxAlloc uint64
}

type tamperCtx struct {
	dir  string // the work directory: inputs and outputs
	home string // HOME and XDG_CONFIG_HOME, empty: the user's keys are never read
	gen  string // scratch directory for generating inputs
	keys string // testdata/interop/keys
}

func (c *tamperCtx) path(name string) string { return filepath.Join(c.dir, name) }

// write creates a file in the work directory and returns its path.
func (c *tamperCtx) write(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := c.path(name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (c *tamperCtx) baseEnv() map[string]string {
	return map[string]string{
		"HOME":              c.home,
		"XDG_CONFIG_HOME":   filepath.Join(c.home, ".config"),
		"SOPS_AGE_KEY_FILE": filepath.Join(c.keys, "age1.txt"),
	}
}

// encrypt encrypts plain (format from the name's extension) for the age1
// recipient with hull in-process, outside the work directory, and returns
// the encrypted bytes.
func (c *tamperCtx) encrypt(t *testing.T, name, plain string, extra ...string) []byte {
	t.Helper()
	return c.encryptTo(t, tamperRecipient1, name, plain, extra...)
}

// encryptTo is encrypt for another recipient.
func (c *tamperCtx) encryptTo(t *testing.T, recipient, name, plain string, extra ...string) []byte {
	t.Helper()
	p := filepath.Join(c.gen, name)
	if err := os.WriteFile(p, []byte(plain), 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"hull", "encrypt", "--age", recipient}, extra...)
	args = append(args, p)
	var stdout, stderr bytes.Buffer
	env := c.baseEnv()
	if code := Main(args, strings.NewReader(""), &stdout, &stderr, tamperMapLookup(env)); code != 0 {
		t.Fatalf("encrypting the input: exit %d: %s", code, stderr.String())
	}
	return stdout.Bytes()
}

// sopsFixture returns a file written by sops for the age1 key.
func (c *tamperCtx) sopsFixture(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "interop", "cases", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tamperMapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok && v != ""
	}
}

type tamperResult struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
}

// tamperFileState is what the run must not change.
type tamperFileState struct {
	mode fs.FileMode
	size int64
	sum  [32]byte
	link string
}

func tamperSnapshot(t *testing.T, dir string) map[string]tamperFileState {
	t.Helper()
	out := map[string]tamperFileState{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := tamperFileState{mode: fi.Mode(), size: fi.Size()}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			st.link, err = os.Readlink(p)
		case fi.Mode().IsRegular():
			st.sum, err = tamperHashFile(p, fi.Size())
		}
		out[rel] = st
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tamperHashFile hashes a file; for a file over 16 MiB (the sparse file of row
// 47) only its first and last MiB, plus its size and mode in the state.
func tamperHashFile(p string, size int64) ([32]byte, error) {
	var sum [32]byte
	f, err := os.Open(p)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	if size <= 16<<20 {
		_, err = io.Copy(h, f)
	} else {
		if _, err = io.CopyN(h, f, 1<<20); err == nil {
			_, err = io.Copy(h, io.NewSectionReader(f, size-1<<20, 1<<20))
		}
	}
	copy(sum[:], h.Sum(nil))
	return sum, err
}

var tamperHexDigest = regexp.MustCompile(`[0-9a-fA-F]{128}`)

func runTamperCase(t *testing.T, tc tamperCase) int {
	root := t.TempDir()
	c := &tamperCtx{
		dir:  filepath.Join(root, "work"),
		home: filepath.Join(root, "home"),
		gen:  filepath.Join(root, "gen"),
	}
	for _, d := range []string{c.dir, c.home, c.gen} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := filepath.Abs(filepath.Join("..", "..", "testdata", "interop", "keys"))
	if err != nil {
		t.Fatal(err)
	}
	c.keys = keys
	args := append([]string{"hull"}, tc.setup(t, c)...)
	env := c.baseEnv()
	if tc.env != nil {
		for k, v := range tc.env(c) {
			env[k] = v
		}
	}
	before := tamperSnapshot(t, c.dir)
	t.Chdir(c.dir) // the user works in the repository: .sops.yaml is found from here

	var r tamperResult
	var allocated uint64
	run := func() {
		var stdout, stderr bytes.Buffer
		type outcome struct {
			code  int
			panic any
		}
		done := make(chan outcome, 1)
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		start := time.Now()
		go func() {
			defer func() {
				if p := recover(); p != nil {
					done <- outcome{panic: p}
				}
			}()
			if tc.fsize > 0 {
				done <- outcome{code: tamperRunChild(t, tc.fsize, args, env, &stdout, &stderr)}
				return
			}
			done <- outcome{code: Main(args, strings.NewReader(""), &stdout, &stderr, tamperMapLookup(env))}
		}()
		select {
		case o := <-done:
			r.elapsed = time.Since(start)
			if o.panic != nil {
				t.Fatalf("hull panicked: %v", o.panic)
			}
			r.code = o.code
		case <-time.After(30 * time.Second):
			t.Fatalf("hull did not finish within 30 s")
		}
		runtime.ReadMemStats(&ms1)
		allocated = ms1.TotalAlloc - ms0.TotalAlloc
		r.stdout, r.stderr = stdout.String(), stderr.String()
	}
	if tc.around != nil {
		tc.around(t, run)
	} else {
		run()
	}
	t.Logf("exit %d in %v; stderr: %s", r.code, r.elapsed.Round(time.Millisecond), strings.TrimSpace(r.stderr))

	if !slices.Contains(tc.want, r.code) {
		t.Errorf("exit code %d, want one of %v", r.code, tc.want)
	}
	failed := r.code != 0
	if failed && r.stdout != "" {
		t.Errorf("stdout is not empty on failure: %q", tamperTruncate(r.stdout))
	}
	if failed && strings.TrimSpace(r.stderr) == "" {
		t.Errorf("no message on failure")
	}
	for _, re := range tc.stderr {
		if !regexp.MustCompile(re).MatchString(r.stderr) {
			t.Errorf("stderr does not match %q", re)
		}
	}
	secrets := append([]string{tamperCanary}, tc.secrets...)
	for _, s := range secrets {
		if strings.Contains(r.stderr, s) {
			t.Errorf("stderr reveals the secret %q", s)
		}
		if failed && strings.Contains(r.stdout, s) {
			t.Errorf("stdout reveals the secret %q", s)
		}
	}
	for name, out := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
		if strings.Contains(out, "AGE-SECRET-KEY") {
			t.Errorf("%s reveals an age identity", name)
		}
		if tamperHexDigest.MatchString(out) {
			t.Errorf("%s contains a 128-hex-digit digest", name)
		}
	}
	maxTime := tc.maxTime
	if maxTime == 0 {
		maxTime = 3 * time.Second
	}
	if r.elapsed > maxTime {
		t.Errorf("took %v, want under %v", r.elapsed, maxTime)
	}
	if tc.maxAlloc != 0 && allocated > tc.maxAlloc {
		t.Errorf("allocated %d MiB, want under %d MiB", allocated>>20, tc.maxAlloc>>20)
	}

	after := tamperSnapshot(t, c.dir)
	for name, st := range before {
		if slices.Contains(tc.written, name) {
			continue
		}
		if got, ok := after[name]; !ok {
			t.Errorf("%s was removed", name)
		} else if got != st {
			t.Errorf("%s was changed (mode %v -> %v, size %d -> %d)", name, st.mode, got.mode, st.size, got.size)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok && !slices.Contains(tc.written, name) {
			t.Errorf("new file left in the directory: %s", name)
		}
	}
	if tc.check != nil {
		tc.check(t, c, r)
	}
	return r.code
}

func tamperTruncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// ---- ENC value surgery -----------------------------------------------

var tamperEncRe = regexp.MustCompile(`ENC\[AES256_GCM,data:([^,\]]*),iv:([^,\]]*),tag:([^,\]]*),type:([^\]]*)\]`)

// tamperEncVal is the fields of an ENC[…] value, base64 still encoded.
type tamperEncVal struct{ data, iv, tag, typ string }

func (e tamperEncVal) String() string {
	return "ENC[AES256_GCM,data:" + e.data + ",iv:" + e.iv + ",tag:" + e.tag + ",type:" + e.typ + "]"
}

// tamperFindENC finds the first ENC value after the nth (0-based) occurrence of
// marker and returns its byte range.
func tamperFindENC(t *testing.T, b []byte, marker string, nth int) (int, int, tamperEncVal) {
	t.Helper()
	off := 0
	for i := 0; ; i++ {
		j := bytes.Index(b[off:], []byte(marker))
		if j < 0 {
			t.Fatalf("marker %q (occurrence %d) not found in the input", marker, nth)
		}
		off += j
		if i == nth {
			break
		}
		off += len(marker)
	}
	m := tamperEncRe.FindSubmatchIndex(b[off:])
	if m == nil {
		t.Fatalf("no ENC value after %q", marker)
	}
	s := func(k int) string { return string(b[off+m[2*k] : off+m[2*k+1]]) }
	return off + m[0], off + m[1], tamperEncVal{s(1), s(2), s(3), s(4)}
}

// tamperReplaceRange returns b with b[start:end] replaced by s.
func tamperReplaceRange(b []byte, start, end int, s string) []byte {
	out := append([]byte{}, b[:start]...)
	out = append(out, s...)
	return append(out, b[end:]...)
}

// tamperEditENC rewrites the ENC value after marker with f, which returns the
// new text of the whole value.
func tamperEditENC(t *testing.T, b []byte, marker string, f func(e tamperEncVal) string) []byte {
	t.Helper()
	start, end, e := tamperFindENC(t, b, marker, 0)
	return tamperReplaceRange(b, start, end, f(e))
}

func tamperB64d(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("decoding %q: %v", s, err)
	}
	return b
}

func tamperB64e(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// tamperFlipBit flips one bit in the middle of a base64 field and re-encodes it
// canonically, so that only authentication can catch it.
func tamperFlipBit(t *testing.T, s string) string {
	b := tamperB64d(t, s)
	b[len(b)/2] ^= 0x04
	return tamperB64e(b)
}

// tamperPadBits sets a padding bit of a canonical base64 string ending in "=":
// the string still decodes to the same bytes with a lenient decoder.
func tamperPadBits(t *testing.T, s string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	trimmed := strings.TrimRight(s, "=")
	if len(trimmed) == len(s) {
		t.Fatalf("%q has no padding", s)
	}
	last := strings.IndexByte(alphabet, trimmed[len(trimmed)-1])
	if last&1 != 0 {
		t.Fatalf("%q: the last character already has its low bit set", s)
	}
	out := trimmed[:len(trimmed)-1] + string(alphabet[last|1]) + s[len(trimmed):]
	if got, err := base64.StdEncoding.DecodeString(out); err != nil || !bytes.Equal(got, tamperB64d(t, s)) {
		t.Fatalf("padBits: %q does not decode to the same bytes", out)
	}
	return out
}

// tamperMoveTagBytes moves n bytes from the start of the tag to the end of the
// data (n < 0 moves bytes from the end of the data to the tag): data‖tag,
// which is what GCM opens, stays the same.
func tamperMoveTagBytes(t *testing.T, e tamperEncVal, n int) string {
	data, tag := tamperB64d(t, e.data), tamperB64d(t, e.tag)
	joined := append(append([]byte{}, data...), tag...)
	cut := len(data) + n
	e.data, e.tag = tamperB64e(joined[:cut]), tamperB64e(joined[cut:])
	return e.String()
}

// ---- whole-file edits --------------------------------------------------

func tamperMustReplace(t *testing.T, b []byte, old, new string) []byte {
	t.Helper()
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%q not found in the input", old)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

// tamperRemoveLine removes the first line that contains substr.
func tamperRemoveLine(t *testing.T, b []byte, substr string) []byte {
	t.Helper()
	i := bytes.Index(b, []byte(substr))
	if i < 0 {
		t.Fatalf("%q not found in the input", substr)
	}
	start := bytes.LastIndexByte(b[:i], '\n') + 1
	end := i + bytes.IndexByte(b[i:], '\n') + 1
	return append(append([]byte{}, b[:start]...), b[end:]...)
}

var tamperLastmodRe = regexp.MustCompile(`lastmodified: "([^"]+)"`)

// ---- rows ----------------------------------------------------------------

func tamperCases() []tamperCase {
	codes := func(c ...int) []int { return c }

	// decryptTampered encrypts the standard plaintext, applies mutate and
	// decrypts the result.
	decryptTampered := func(mutate func(t *testing.T, b []byte) []byte) func(*testing.T, *tamperCtx) []string {
		return func(t *testing.T, c *tamperCtx) []string {
			b := mutate(t, c.encrypt(t, "s.yaml", tamperPlainYAML))
			return []string{"decrypt", c.write(t, "s.enc.yaml", b)}
		}
	}
	// decryptFixture applies mutate to a sops-written fixture and decrypts.
	decryptFixture := func(rel string, mutate func(t *testing.T, b []byte) []byte) func(*testing.T, *tamperCtx) []string {
		return func(t *testing.T, c *tamperCtx) []string {
			b := mutate(t, c.sopsFixture(t, rel))
			return []string{"decrypt", c.write(t, "fixture"+filepath.Ext(rel), b)}
		}
	}
	// encryptPlain writes a plaintext and encrypts it to stdout.
	encryptPlain := func(name, plain string) func(*testing.T, *tamperCtx) []string {
		return func(t *testing.T, c *tamperCtx) []string {
			return []string{"encrypt", "--age", tamperRecipient1, c.write(t, name, []byte(plain))}
		}
	}
	// onPassword edits the ENC value of "password".
	onPassword := func(f func(t *testing.T, e tamperEncVal) string) func(*testing.T, []byte) []byte {
		return func(t *testing.T, b []byte) []byte {
			return tamperEditENC(t, b, "password: ", func(e tamperEncVal) string { return f(t, e) })
		}
	}
	retype := func(key, typ string) func(*testing.T, []byte) []byte {
		return func(t *testing.T, b []byte) []byte {
			return tamperEditENC(t, b, key+": ", func(e tamperEncVal) string { e.typ = typ; return e.String() })
		}
	}
	noKeyEnv := func(v func(c *tamperCtx) string) func(c *tamperCtx) map[string]string {
		return func(c *tamperCtx) map[string]string { return map[string]string{"SOPS_AGE_KEY_FILE": v(c)} }
	}
	aliasChain := func(levels, width int) string {
		var b strings.Builder
		item := func(s string) string { return strings.TrimSuffix(strings.Repeat(s+",", width), ",") }
		fmt.Fprintf(&b, "l0: &l0 [%s]\n", item(`"lol"`))
		for i := 1; i < levels; i++ {
			fmt.Fprintf(&b, "l%d: &l%d [%s]\n", i, i, item(fmt.Sprintf("*l%d", i-1)))
		}
		return b.String()
	}
	const fast = 2 * time.Second

	cases := []tamperCase{
		// 1–7: unreadable or malformed files.
		{row: 1, name: "empty-file", want: codes(1, 2),
			setup: func(t *testing.T, c *tamperCtx) []string {
				return []string{"decrypt", c.write(t, "empty.yaml", nil)}
			},
			stderr: []string{`(?i)sops metadata|empty`}},
		// An encrypted file that does not parse: exit 1, as sops
		// (TestDifftestExitCodes checks it against the reference sops).
		{row: 2, name: "random-bytes", want: codes(1),
			setup: func(t *testing.T, c *tamperCtx) []string {
				b := make([]byte, 4096)
				rng := rand.NewChaCha8([32]byte{'h', 'u', 'l', 'l'})
				rng.Read(b)
				return []string{"decrypt", c.write(t, "random.yaml", b)}
			},
			check: func(t *testing.T, c *tamperCtx, r tamperResult) {
				b, _ := os.ReadFile(c.path("random.yaml"))
				for i := 0; i+8 <= len(b); i++ {
					if strings.Contains(r.stderr, string(b[i:i+8])) {
						t.Errorf("stderr echoes input bytes at offset %d", i)
						return
					}
				}
			}},
		{row: 3, name: "non-utf8-plaintext", want: codes(2),
			setup: func(t *testing.T, c *tamperCtx) []string {
				p := c.write(t, "bad.yaml", []byte("password: "+tamperCanary+"\na: \xff\xfe\n"))
				return []string{"encrypt", "--age", tamperRecipient1, "--output", c.path("out.yaml"), p}
			},
			stderr: []string{`(?i)utf-?8`}},
		{row: 3, name: "non-utf8-plaintext-in-place", want: codes(2),
			setup: func(t *testing.T, c *tamperCtx) []string {
				return []string{"encrypt", "-i", "--age", tamperRecipient1, c.write(t, "bad.yaml", []byte("password: "+tamperCanary+"\na: \xff\xfe\n"))}
			}},
		// Row 4: a truncated file. sops fails with 1 ("parsing time \"\"")
		// whenever lastmodified is lost; hull must fail with a parse (2) or
		// metadata (1) error before any key is tried.
		{row: 4, name: "truncated-mid-age-armor", want: codes(1, 2),
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				i := bytes.Index(b, []byte("-----BEGIN AGE ENCRYPTED FILE-----"))
				return b[:i+60]
			})},
		{row: 4, name: "truncated-before-recipient", want: codes(1, 2),
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				return b[:bytes.Index(b, []byte("          recipient: "))]
			})},
		{row: 4, name: "truncated-before-lastmodified", want: codes(1, 2),
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				return b[:bytes.Index(b, []byte("    lastmodified: "))]
			})},
		{row: 4, name: "truncated-inside-lastmodified", want: codes(1, 2),
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				i := bytes.Index(b, []byte("lastmodified: "))
				return b[:i+len("lastmodified: ")+5]
			})},
		{row: 4, name: "truncated-mid-mac", want: codes(1, 2, 51),
			// lastmodified survives: a malformed MAC is a MAC failure (51), as in sops
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				i := bytes.Index(b, []byte("mac: ENC["))
				return b[:i+40]
			})},
		{row: 5, name: "no-sops-metadata", want: codes(1),
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				return b[:bytes.Index(b, []byte("\nsops:\n"))+1]
			}),
			stderr: []string{`(?i)sops metadata`}},
		{row: 6, name: "missing-file", want: codes(100),
			setup: func(t *testing.T, c *tamperCtx) []string {
				return []string{"decrypt", c.path("missing.yaml")}
			},
			stderr: []string{`no such file`}},
		{row: 7, name: "unreadable-file", needNonRoot: true, want: codes(2),
			setup: func(t *testing.T, c *tamperCtx) []string {
				p := c.write(t, "s.enc.yaml", c.encrypt(t, "s.yaml", tamperPlainYAML))
				if err := os.Chmod(p, 0); err != nil {
					t.Fatal(err)
				}
				return []string{"decrypt", p}
			},
			stderr: []string{`(?i)permission denied`}},

		// 8–10: no usable identity.
		{row: 8, name: "wrong-age-key", want: codes(128),
			setup:  decryptTampered(func(t *testing.T, b []byte) []byte { return b }),
			env:    noKeyEnv(func(c *tamperCtx) string { return filepath.Join(c.keys, "age2.txt") }),
			stderr: []string{tamperRecipient1}},
		{row: 8, name: "file-for-another-recipient", want: codes(128),
			setup: func(t *testing.T, c *tamperCtx) []string {
				return []string{"decrypt", c.write(t, "s.enc.yaml", c.encryptTo(t, tamperRecipient2, "s.yaml", tamperPlainYAML))}
			},
			stderr: []string{tamperRecipient2}},
		{row: 9, name: "key-file-missing", want: codes(128),
			setup:  decryptTampered(func(t *testing.T, b []byte) []byte { return b }),
			env:    noKeyEnv(func(c *tamperCtx) string { return filepath.Join(c.home, "nope.txt") }),
			stderr: []string{`nope\.txt`, `(?i)not found|no such file`}},
		{row: 10, name: "no-identity", want: codes(128),
			setup:  decryptTampered(func(t *testing.T, b []byte) []byte { return b }),
			env:    noKeyEnv(func(*tamperCtx) string { return "" }),
			stderr: []string{`looked in`, `keys\.txt`}},

		// 11–20: malformed ENC values.
		{row: 11, name: "bad-base64-data", want: codes(25),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string {
				e.data = "!!" + e.data[2:]
				return e.String()
			})),
			stderr: []string{`password`}},
		{row: 12, name: "empty-iv", want: codes(25),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string {
				e.iv = ""
				return e.String()
			})),
			check: tamperNoEchoOf("password: ")},
		{row: 13, name: "iv-3-bytes", want: codes(25),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string {
				e.iv = tamperB64e(tamperB64d(t, e.iv)[:3])
				return e.String()
			}))},
		{row: 13, name: "iv-12-bytes", want: codes(25),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string {
				e.iv = tamperB64e(tamperB64d(t, e.iv)[:12])
				return e.String()
			}))},
		{row: 14, name: "tag-12-bytes", want: codes(26),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string { return tamperMoveTagBytes(t, e, 4) }))},
		{row: 14, name: "tag-8-bytes", want: codes(26),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string { return tamperMoveTagBytes(t, e, 8) }))},
		{row: 14, name: "tag-3-bytes", want: codes(26),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string { return tamperMoveTagBytes(t, e, 13) }))},
		{row: 14, name: "tag-20-bytes", want: codes(26),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string { return tamperMoveTagBytes(t, e, -4) }))},
		{row: 15, name: "trailing-junk", want: codes(26),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string { return e.String() + "junk" }))},
		{row: 15, name: "junk-before-ENC", want: codes(25),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string { return "x" + e.String() })),
			check: tamperNoEchoOf("password: ")},
		{row: 16, name: "noncanonical-base64-data", want: codes(26),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string { e.data = tamperPadBits(t, e.data); return e.String() }))},
		{row: 16, name: "noncanonical-base64-iv", want: codes(26),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string { e.iv = tamperPadBits(t, e.iv); return e.String() }))},
		{row: 16, name: "noncanonical-base64-tag", want: codes(26),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string { e.tag = tamperPadBits(t, e.tag); return e.String() }))},
		{row: 17, name: "unknown-type", want: codes(25),
			setup: decryptTampered(retype("password", "weird"))},
		{row: 17, name: "AES128_GCM-label", want: codes(25),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string {
				return strings.Replace(e.String(), "AES256_GCM", "AES128_GCM", 1)
			}))},
		{row: 17, name: "missing-type", want: codes(25),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string {
				return "ENC[AES256_GCM,data:" + e.data + ",iv:" + e.iv + ",tag:" + e.tag + "]"
			}))},
		{row: 18, name: "str-true-as-bool", want: codes(26),
			setup: decryptTampered(retype("quoted_bool", "bool"))},
		{row: 18, name: "str-0080-as-int", want: codes(26),
			setup: decryptTampered(retype("quoted_int", "int"))},
		// The text is canonical for the new type, so only the extended MAC
		// (which covers types) catches these: 27, not 26.
		{row: 18, name: "str-12-as-int", want: codes(27),
			setup:  decryptTampered(retype("canon_int", "int")),
			stderr: []string{`strict MAC failure`, `hull MAC`}},
		{row: 18, name: "str-True-as-bool", want: codes(27),
			setup:  decryptTampered(retype("canon_bool", "bool")),
			stderr: []string{`strict MAC failure`, `hull MAC`}},
		{row: 19, name: "comment-type-in-value-slot", want: codes(26),
			setup: decryptTampered(retype("password", "comment"))},
		{row: 20, name: "bytes-type", want: codes(0, 26),
			// hull reads type:bytes as a string on purpose; the point of the
			// row is that it never panics (sops 3.13.2 does).
			setup: decryptTampered(retype("password", "bytes")),
			check: func(t *testing.T, c *tamperCtx, r tamperResult) {
				if r.code == 0 && !strings.Contains(r.stdout, "password: "+tamperCanary+"\n") {
					t.Errorf("type:bytes read as something other than the string: %q", tamperTruncate(r.stdout))
				}
			}},

		// 21–25: authentication and MAC.
		{row: 21, name: "flip-bit-data", want: codes(25),
			setup:  decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string { e.data = tamperFlipBit(t, e.data); return e.String() })),
			stderr: []string{`password`}},
		{row: 21, name: "flip-bit-iv", want: codes(25),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string { e.iv = tamperFlipBit(t, e.iv); return e.String() }))},
		{row: 21, name: "flip-bit-tag", want: codes(25),
			setup: decryptTampered(onPassword(func(t *testing.T, e tamperEncVal) string { e.tag = tamperFlipBit(t, e.tag); return e.String() }))},
		{row: 21, name: "flip-bit-mac", want: codes(51),
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				return tamperEditENC(t, b, "mac: ", func(e tamperEncVal) string { e.data = tamperFlipBit(t, e.data); return e.String() })
			})},
		{row: 21, name: "sops-fixture-flip-bit", want: codes(25), secrets: tamperSopsFixtureSecrets,
			setup: decryptFixture("yaml-basic/encrypted.yaml", func(t *testing.T, b []byte) []byte {
				return tamperEditENC(t, b, "    password: ", func(e tamperEncVal) string { e.data = tamperFlipBit(t, e.data); return e.String() })
			})},
		{row: 21, name: "sops-fixture-json-flip-bit", want: codes(25), secrets: []string{"s3cr3t-p@ssw0rd"},
			setup: decryptFixture("json-basic/encrypted.json", func(t *testing.T, b []byte) []byte {
				return tamperEditENC(t, b, `"password": `, func(e tamperEncVal) string { e.tag = tamperFlipBit(t, e.tag); return e.String() })
			})},
		{row: 21, name: "sops-fixture-dotenv-flip-bit", want: codes(25), secrets: []string{"sk_test_51HxYz", "s3cr3t@localhost"},
			setup: decryptFixture("env-basic/encrypted.env", func(t *testing.T, b []byte) []byte {
				return tamperEditENC(t, b, "\nAPI_KEY=", func(e tamperEncVal) string { e.data = tamperFlipBit(t, e.data); return e.String() })
			})},
		{row: 21, name: "sops-fixture-ini-flip-bit", want: codes(25), secrets: []string{"sk_live_abc123", "s3cr3t-p@ssw0rd"},
			setup: decryptFixture("ini-basic/encrypted.ini", func(t *testing.T, b []byte) []byte {
				return tamperEditENC(t, b, "\nkey     = ", func(e tamperEncVal) string { e.iv = tamperFlipBit(t, e.iv); return e.String() })
			})},
		{row: 22, name: "swap-values-between-keys", want: codes(25), secrets: []string{"second-secret-42"},
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				s1, e1, v1 := tamperFindENC(t, b, "password: ", 0)
				s2, e2, v2 := tamperFindENC(t, b, "other: ", 0)
				b = tamperReplaceRange(b, s2, e2, v1.String())
				return tamperReplaceRange(b, s1, e1, v2.String())
			})},
		{row: 23, name: "reorder-list-items", want: codes(51), secrets: []string{"item-one-aa", "item-two-bb"},
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				s2, e2, v2 := tamperFindENC(t, b, "    - ", 1)
				s1, e1, v1 := tamperFindENC(t, b, "    - ", 0)
				b = tamperReplaceRange(b, s2, e2, v1.String())
				return tamperReplaceRange(b, s1, e1, v2.String())
			}),
			stderr: []string{`(?i)mac`}},
		{row: 23, name: "sops-fixture-reorder-list", want: codes(51), secrets: tamperSopsFixtureSecrets,
			setup: decryptFixture("yaml-basic/encrypted.yaml", func(t *testing.T, b []byte) []byte {
				// servers[0] and servers[1] are maps of the same shape.
				i := bytes.Index(b, []byte("servers:\n")) + len("servers:\n")
				lines := strings.SplitAfter(string(b[i:]), "\n")
				swapped := lines[2] + lines[3] + lines[0] + lines[1]
				return append(append(append([]byte{}, b[:i]...), swapped...), strings.Join(lines[4:], "")...)
			})},
		{row: 24, name: "delete-encrypted-value", want: codes(51), secrets: []string{"second-secret-42"},
			setup: decryptTampered(func(t *testing.T, b []byte) []byte { return tamperRemoveLine(t, b, "other: ENC[") })},
		{row: 24, name: "delete-plaintext-value", want: codes(51),
			setup: decryptTampered(func(t *testing.T, b []byte) []byte { return tamperRemoveLine(t, b, "note_unencrypted: ") })},
		{row: 25, name: "plaintext-where-encrypted-expected", want: codes(25), secrets: []string{"injected-plain-99"},
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				return tamperMustReplace(t, b, "\nsops:\n", "\ninjected: injected-plain-99\nsops:\n")
			}),
			stderr: []string{`injected`}},
		{row: 25, name: "suffix-dropped-from-plain-key", want: codes(25), secrets: []string{"hello-plain"},
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				return tamperMustReplace(t, b, "note_unencrypted: ", "note: ")
			})},

		// 32–34: the MAC and what binds it.
		{row: 32, name: "mac-empty", want: codes(51),
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				start, end, _ := tamperFindENC(t, b, "mac: ", 0)
				return tamperReplaceRange(b, start, end, `""`)
			}),
			stderr: []string{`(?i)mac`}},
		{row: 32, name: "mac-removed", want: codes(51),
			setup:  decryptTampered(func(t *testing.T, b []byte) []byte { return tamperRemoveLine(t, b, "    mac: ENC[") }),
			stderr: []string{`(?i)mac`}},
		{row: 32, name: "sops-fixture-mac-removed", want: codes(51), secrets: tamperSopsFixtureSecrets,
			setup: decryptFixture("yaml-basic/encrypted.yaml", func(t *testing.T, b []byte) []byte {
				return tamperRemoveLine(t, b, "    mac: ENC[")
			})},
		{row: 32, name: "sops-fixture-dotenv-mac-removed", want: codes(51), secrets: []string{"sk_test_51HxYz", "s3cr3t@localhost"},
			setup: decryptFixture("env-basic/encrypted.env", func(t *testing.T, b []byte) []byte {
				return tamperRemoveLine(t, b, "sops_mac=ENC[")
			})},
		{row: 32, name: "sops-fixture-ini-mac-empty", want: codes(51), secrets: []string{"sk_live_abc123", "s3cr3t-p@ssw0rd"},
			setup: decryptFixture("ini-basic/encrypted.ini", func(t *testing.T, b []byte) []byte {
				start, end, _ := tamperFindENC(t, b, "\nmac ", 0)
				return tamperReplaceRange(b, start, end, "")
			})},
		{row: 34, name: "sops-fixture-mac-only-encrypted-removed", want: codes(51), secrets: []string{"s3cr3t-p@ssw0rd"},
			setup: decryptFixture("yaml-mac-only-encrypted/encrypted.yaml", func(t *testing.T, b []byte) []byte {
				return tamperRemoveLine(t, b, "mac_only_encrypted: true")
			})},
		{row: 33, name: "lastmodified-altered", want: codes(51),
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				m := tamperLastmodRe.FindSubmatch(b)
				ts, err := time.Parse(time.RFC3339, string(m[1]))
				if err != nil {
					t.Fatal(err)
				}
				return tamperMustReplace(t, b, string(m[0]), `lastmodified: "`+ts.Add(time.Second).UTC().Format(time.RFC3339)+`"`)
			})},
		{row: 33, name: "sops-fixture-lastmodified-altered", want: codes(51), secrets: tamperSopsFixtureSecrets,
			setup: decryptFixture("yaml-basic/encrypted.yaml", func(t *testing.T, b []byte) []byte {
				return tamperMustReplace(t, b, `lastmodified: "2026-11-27T14:49:02Z"`, `lastmodified: "2026-11-27T14:49:03Z"`)
			})},
		{row: 33, name: "lastmodified-not-a-time", want: codes(1),
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				return tamperLastmodRe.ReplaceAll(b, []byte(`lastmodified: "garbage"`))
			})},
		{row: 33, name: "lastmodified-empty", want: codes(1),
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				return tamperLastmodRe.ReplaceAll(b, []byte(`lastmodified: ""`))
			})},
		{row: 33, name: "lastmodified-removed", want: codes(1),
			setup: decryptTampered(func(t *testing.T, b []byte) []byte { return tamperRemoveLine(t, b, "    lastmodified: ") })},
		{row: 34, name: "mac-only-encrypted-added", want: codes(51),
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				return tamperMustReplace(t, b, "    unencrypted_suffix:", "    mac_only_encrypted: true\n    unencrypted_suffix:")
			})},
		{row: 34, name: "mac-only-encrypted-removed", want: codes(51),
			setup: func(t *testing.T, c *tamperCtx) []string {
				b := c.encrypt(t, "s.yaml", tamperPlainYAML, "--mac-only-encrypted")
				return []string{"decrypt", c.write(t, "s.enc.yaml", tamperRemoveLine(t, b, "mac_only_encrypted: true"))}
			}},

		// 38: invalid regular expressions.
		{row: 38, name: "invalid-regex-cli", want: codes(5),
			setup: func(t *testing.T, c *tamperCtx) []string {
				return []string{"encrypt", "--age", tamperRecipient1, "--encrypted-regex", "(", c.write(t, "s.yaml", []byte(tamperPlainYAML))}
			},
			stderr: []string{`(?i)regex|regular expression`}},
		{row: 38, name: "invalid-comment-regex-cli", want: codes(5),
			setup: func(t *testing.T, c *tamperCtx) []string {
				return []string{"encrypt", "--age", tamperRecipient1, "--unencrypted-comment-regex", "[", c.write(t, "s.yaml", []byte(tamperPlainYAML))}
			}},
		{row: 38, name: "invalid-regex-in-metadata", want: codes(5),
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				return tamperMustReplace(t, b, "unencrypted_suffix: _unencrypted", `encrypted_regex: (`)
			}),
			stderr: []string{`(?i)regex|regular expression`}},
		{row: 38, name: "invalid-regex-in-config", want: codes(5),
			setup: func(t *testing.T, c *tamperCtx) []string {
				cfg := c.write(t, "sops.yaml", []byte("creation_rules:\n  - encrypted_regex: \"(\"\n    age: "+tamperRecipient1+"\n"))
				return []string{"encrypt", "--config", cfg, "--age", tamperRecipient1, c.write(t, "s.yaml", []byte(tamperPlainYAML))}
			}},

		// 43: duplicate keys.
		{row: 43, name: "duplicate-yaml-doc1", want: codes(2),
			setup:  encryptPlain("dup.yaml", "a: "+tamperCanary+"\nb: x\na: "+tamperCanary+"-2\n"),
			stderr: []string{`(?i)duplicate`}},
		{row: 43, name: "duplicate-yaml-doc2", want: codes(2),
			setup:  encryptPlain("dup.yaml", "ok: 1\n---\na: "+tamperCanary+"\na: "+tamperCanary+"-2\n"),
			stderr: []string{`(?i)duplicate`}},
		{row: 43, name: "duplicate-json", want: codes(2),
			setup:  encryptPlain("dup.json", `{"a": "`+tamperCanary+`", "a": "`+tamperCanary+`-2"}`+"\n"),
			stderr: []string{`(?i)duplicate`}},
		{row: 43, name: "duplicate-json-nested", want: codes(2),
			setup:  encryptPlain("dup.json", `{"x": {"a": "`+tamperCanary+`", "b": 1, "a": "`+tamperCanary+`-2"}}`+"\n"),
			stderr: []string{`(?i)duplicate`}},
		{row: 43, name: "duplicate-ini", want: codes(2),
			setup:  encryptPlain("dup.ini", "[s]\nk = "+tamperCanary+"\nk = "+tamperCanary+"-2\n"),
			stderr: []string{`(?i)duplicate`}},
		{row: 43, name: "duplicate-ini-section", want: codes(2),
			setup:  encryptPlain("dup.ini", "[s]\nk = "+tamperCanary+"\n[s]\nj = "+tamperCanary+"-2\n"),
			stderr: []string{`(?i)duplicate`}},
		{row: 43, name: "duplicate-dotenv", want: codes(2),
			setup:  encryptPlain("dup.env", "K="+tamperCanary+"\nL=1\nK="+tamperCanary+"-2\n"),
			stderr: []string{`(?i)duplicate`}},
		{row: 43, name: "duplicate-in-encrypted-yaml", want: codes(2),
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				s, e, _ := tamperFindENC(t, b, "password: ", 0)
				line := "password: " + string(b[s:e]) + "\n"
				return tamperMustReplace(t, b, "\nsops:\n", "\n"+line+"sops:\n")
			}),
			stderr: []string{`(?i)duplicate`}},
		{row: 43, name: "duplicate-in-encrypted-json", want: codes(2),
			setup: func(t *testing.T, c *tamperCtx) []string {
				b := c.encrypt(t, "s.json", `{"password": "`+tamperCanary+`", "x": 1}`+"\n")
				s, e, _ := tamperFindENC(t, b, `"password": `, 0)
				b = tamperMustReplace(t, b, "\n\t\"sops\": {", "\n\t\"password\": \""+string(b[s:e])+"\",\n\t\"sops\": {")
				return []string{"decrypt", c.write(t, "s.enc.json", b)}
			},
			stderr: []string{`(?i)duplicate`}},

		// 44: alias bombs, 9 levels of 9: 387 million nodes if expanded.
		{row: 44, name: "alias-bomb-doc1", want: codes(31), maxTime: fast, maxAlloc: 100 << 20,
			setup:  encryptPlain("bomb.yaml", "password: "+tamperCanary+"\n"+aliasChain(9, 9)),
			stderr: []string{`(?i)alias|limit|nodes`}},
		{row: 44, name: "alias-bomb-doc2", want: codes(31), maxTime: fast, maxAlloc: 100 << 20,
			setup:  encryptPlain("bomb.yaml", "password: "+tamperCanary+"\n---\n"+aliasChain(9, 9)),
			stderr: []string{`(?i)alias|limit|nodes`}},
		{row: 44, name: "alias-bomb-appended-to-encrypted", want: codes(31), maxTime: fast, maxAlloc: 100 << 20,
			setup: decryptTampered(func(t *testing.T, b []byte) []byte {
				return append(append([]byte{}, b...), "---\n"+aliasChain(9, 9)...)
			})},
		{row: 44, name: "alias-bomb-small-per-doc-many-docs", want: codes(31), maxTime: fast, maxAlloc: 200 << 20,
			// each document alone is modest (9^6 ≈ 531k nodes); the budget is
			// across all documents
			setup: func(t *testing.T, c *tamperCtx) []string {
				docs := make([]string, 60)
				for i := range docs {
					docs[i] = aliasChain(7, 9)
				}
				return []string{"encrypt", "--age", tamperRecipient1, c.write(t, "bomb.yaml", []byte("password: "+tamperCanary+"\n---\n"+strings.Join(docs, "---\n")))}
			}},

		// 45: merge keys.
		{row: 45, name: "merge-key-duplicates-secret", want: codes(0, 2),
			setup: encryptPlain("merge.yaml", "base: &b\n  password: "+tamperCanary+"\nderived:\n  <<: *b\n  y: 2\n"),
			check: func(t *testing.T, c *tamperCtx, r tamperResult) {
				if strings.Count(r.stdout, "password: ENC[") > 1 && !strings.Contains(r.stderr, "merge") {
					t.Errorf("the merged secret was duplicated without a warning")
				}
			}},

		// 46: nesting depth.
		{row: 46, name: "json-depth-20000-encrypt", want: codes(31), maxTime: fast,
			setup:  encryptPlain("deep.json", `{"a":`+strings.Repeat("[", 20000)+`"`+tamperCanary+`"`+strings.Repeat("]", 20000)+"}\n"),
			stderr: []string{`(?i)depth`}},
		{row: 46, name: "json-depth-20000-decrypt", want: codes(31), maxTime: fast,
			setup: func(t *testing.T, c *tamperCtx) []string {
				return []string{"decrypt", c.write(t, "deep.json", []byte(`{"a":`+strings.Repeat("[", 20000)+`"`+tamperCanary+`"`+strings.Repeat("]", 20000)+"}\n"))}
			}},
		{row: 46, name: "yaml-depth-3000-flow", want: codes(31), maxTime: fast,
			setup:  encryptPlain("deep.yaml", "a: "+strings.Repeat("[", 3000)+tamperCanary+strings.Repeat("]", 3000)+"\n"),
			stderr: []string{`(?i)depth`}},
		{row: 46, name: "yaml-depth-3000-block", want: codes(31), maxTime: fast,
			setup: func(t *testing.T, c *tamperCtx) []string {
				var b strings.Builder
				for i := 0; i < 3000; i++ {
					b.WriteString("- ")
				}
				b.WriteString(tamperCanary + "\n")
				return []string{"encrypt", "--age", tamperRecipient1, c.write(t, "deep.yaml", []byte(b.String()))}
			}},

		// 47: size limit, checked before reading the file or any key.
		{row: 47, name: "oversize-decrypt", want: codes(31),
			setup: tamperSparseFile("huge.yaml", "decrypt"),
			// a missing identity file: the limit must be found first
			env:    noKeyEnv(func(c *tamperCtx) string { return filepath.Join(c.home, "nope.txt") }),
			stderr: []string{`(?i)size|too large|limit`}},
		{row: 47, name: "oversize-encrypt", want: codes(31),
			setup:  tamperSparseFile("huge.json", "encrypt", "--age", tamperRecipient1),
			stderr: []string{`(?i)size|too large|limit`}},
		{row: 47, name: "oversize-encrypt-in-place", want: codes(31),
			setup: tamperSparseFile("huge.env", "encrypt", "-i", "--age", tamperRecipient1)},

		// 48: the disk fills up during an in-place write (RLIMIT_FSIZE
		// makes every write past 64 bytes fail with EFBIG).
		{row: 48, name: "write-fails-decrypt-in-place", want: codes(3), fsize: 64,
			setup: func(t *testing.T, c *tamperCtx) []string {
				return []string{"decrypt", "-i", c.write(t, "s.enc.yaml", c.encrypt(t, "s.yaml", tamperPlainYAML))}
			},
			stderr: []string{`(?i)cannot write`}},
		{row: 48, name: "write-fails-encrypt-in-place", want: codes(3), fsize: 64,
			setup: func(t *testing.T, c *tamperCtx) []string {
				return []string{"encrypt", "-i", "--age", tamperRecipient1, c.write(t, "s.yaml", []byte(tamperPlainYAML))}
			}},
		{row: 48, name: "write-fails-decrypt-output", want: codes(3), fsize: 64,
			setup: func(t *testing.T, c *tamperCtx) []string {
				return []string{"decrypt", "--output", c.path("out.yaml"), c.write(t, "s.enc.yaml", c.encrypt(t, "s.yaml", tamperPlainYAML))}
			}},

		// 53: decrypt --output.
		{row: 53, name: "output-new-file-0600", want: codes(0), written: []string{"out.yaml"},
			around: tamperWithUmask(0),
			setup: func(t *testing.T, c *tamperCtx) []string {
				return []string{"decrypt", "--output", c.path("out.yaml"), c.write(t, "s.enc.yaml", c.encrypt(t, "s.yaml", tamperPlainYAML))}
			},
			check: func(t *testing.T, c *tamperCtx, r tamperResult) {
				if r.stdout != "" {
					t.Errorf("stdout is not empty: %q", tamperTruncate(r.stdout))
				}
				fi, err := os.Stat(c.path("out.yaml"))
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != 0o600 {
					t.Errorf("output mode %v, want 0600 (under umask 0)", fi.Mode().Perm())
				}
				if b, _ := os.ReadFile(c.path("out.yaml")); string(b) != tamperPlainYAML {
					t.Errorf("output differs from the plaintext:\n%s", b)
				}
			}},
		{row: 53, name: "output-existing-file-replaced", want: codes(0), written: []string{"out.yaml"},
			setup: func(t *testing.T, c *tamperCtx) []string {
				c.write(t, "out.yaml", []byte("old\n"))
				return []string{"decrypt", "--output", c.path("out.yaml"), c.write(t, "s.enc.yaml", c.encrypt(t, "s.yaml", tamperPlainYAML))}
			}},
		{row: 53, name: "output-existing-symlink-refused", want: codes(3),
			setup: func(t *testing.T, c *tamperCtx) []string {
				c.write(t, "target.txt", []byte("precious\n"))
				if err := os.Symlink("target.txt", c.path("out.yaml")); err != nil {
					t.Fatal(err)
				}
				return []string{"decrypt", "--output", c.path("out.yaml"), c.write(t, "s.enc.yaml", c.encrypt(t, "s.yaml", tamperPlainYAML))}
			}},
		{row: 53, name: "output-dangling-symlink-refused", want: codes(3),
			setup: func(t *testing.T, c *tamperCtx) []string {
				if err := os.Symlink("elsewhere.yaml", c.path("out.yaml")); err != nil {
					t.Fatal(err)
				}
				return []string{"decrypt", "--output", c.path("out.yaml"), c.write(t, "s.enc.yaml", c.encrypt(t, "s.yaml", tamperPlainYAML))}
			}},
		{row: 53, name: "output-existing-file-force", want: codes(0), written: []string{"out.yaml"},
			setup: func(t *testing.T, c *tamperCtx) []string {
				c.write(t, "out.yaml", []byte("old\n"))
				return []string{"decrypt", "--force", "--output", c.path("out.yaml"), c.write(t, "s.enc.yaml", c.encrypt(t, "s.yaml", tamperPlainYAML))}
			},
			check: func(t *testing.T, c *tamperCtx, r tamperResult) {
				if b, _ := os.ReadFile(c.path("out.yaml")); string(b) != tamperPlainYAML {
					t.Errorf("--force did not replace the file:\n%s", b)
				}
			}},
		{row: 53, name: "output-failed-decrypt-creates-nothing", want: codes(51),
			setup: func(t *testing.T, c *tamperCtx) []string {
				b := tamperRemoveLine(t, c.encrypt(t, "s.yaml", tamperPlainYAML), "other: ENC[")
				return []string{"decrypt", "--output", c.path("out.yaml"), c.write(t, "s.enc.yaml", b)}
			}},
	}
	cases = append(cases, tamperStrictCases()...)
	return cases
}

// ---- the extended MAC (x_hull_mac) -------------------------------------------

// The plaintext of the strict rows: comments, empty and null values, plain
// values side by side, and a nested secret.
const tamperStrictYAML = `# head comment
password: canary-7f3a91
pin: "12"
a_unencrypted: foo
b_unencrypted: bar
empty: ""
nothing: null
db:
    password: second-secret-42 # inline note
creds:
    token: tok-secret-77
list:
    - item-one-aa
    - item-two-bb
note_unencrypted: hello-plain
`

// tamperStrictCases are the tampers that only hull's extended MAC detects
// (SECURITY.md rows 18, 26–31, 35
// and 40): the sops MAC still matches. Each attack gives three cases:
//   - the tampered file: strict MAC failure, exit 27;
//   - the same file with x_hull_mac removed as well: decrypted, exit 0, and
//     `decrypt --verbose` warns that there is no hull MAC. This is the limit
//     of the extended MAC: anyone can remove it (sops itself drops it), so
//     its absence is only an error where it is required;
//   - the stripped file with HULL_REQUIRE_STRICT_MAC=1: exit 27.
func tamperStrictCases() []tamperCase {
	codes := func(c ...int) []int { return c }
	secrets := []string{"second-secret-42", "tok-secret-77", "item-one-aa", "hello-plain"}
	strip := func(t *testing.T, b []byte) []byte { return tamperRemoveLine(t, b, "    x_hull_mac: v1:") }
	type attack struct {
		row   int
		name  string
		plain string // tamperStrictYAML when empty
		mut   func(t *testing.T, b []byte) []byte
	}
	expand := func(a attack) []tamperCase {
		plain := a.plain
		if plain == "" {
			plain = tamperStrictYAML
		}
		setup := func(stripped bool, extra ...string) func(*testing.T, *tamperCtx) []string {
			return func(t *testing.T, c *tamperCtx) []string {
				b := c.encrypt(t, "s.yaml", plain)
				if !bytes.Contains(b, []byte("\n    x_hull_mac: v1:")) {
					t.Fatalf("hull wrote no x_hull_mac:\n%s", b)
				}
				b = a.mut(t, b)
				if stripped {
					b = strip(t, b)
				}
				return append(append([]string{"decrypt"}, extra...), c.write(t, "s.enc.yaml", b))
			}
		}
		return []tamperCase{
			{row: a.row, name: a.name, want: codes(27), secrets: secrets,
				setup:  setup(false),
				stderr: []string{`strict MAC failure`, `hull MAC`}},
			{row: a.row, name: a.name + "/hull-mac-removed", want: codes(0), secrets: secrets,
				setup:  setup(true, "--verbose"),
				stderr: []string{`no hull MAC`}},
			{row: a.row, name: a.name + "/hull-mac-removed-required", want: codes(27), secrets: secrets,
				setup:  setup(true),
				env:    func(*tamperCtx) map[string]string { return map[string]string{"HULL_REQUIRE_STRICT_MAC": "1"} },
				stderr: []string{`strict MAC failure`, `HULL_REQUIRE_STRICT_MAC`}},
		}
	}
	replace := func(old, new string) func(t *testing.T, b []byte) []byte {
		return func(t *testing.T, b []byte) []byte { return tamperMustReplace(t, b, old, new) }
	}
	insert := func(line string) func(t *testing.T, b []byte) []byte {
		return replace("\nsops:\n", "\n"+line+"\nsops:\n")
	}
	lineOf := func(t *testing.T, b []byte, re string) string {
		m := regexp.MustCompile(`(?m)` + re).Find(b)
		if m == nil {
			t.Fatalf("%s not found in the input", re)
		}
		return string(m)
	}
	retype := func(key, typ string) func(*testing.T, []byte) []byte {
		return func(t *testing.T, b []byte) []byte {
			return tamperEditENC(t, b, "\n"+key+": ", func(e tamperEncVal) string { e.typ = typ; return e.String() })
		}
	}
	attacks := []attack{
		// 18 (C5): a canonical retype (the stripped variants of the rows above).
		{row: 18, name: "str-12-as-int", plain: tamperPlainYAML, mut: retype("canon_int", "int")},
		{row: 18, name: "str-True-as-bool", plain: tamperPlainYAML, mut: retype("canon_bool", "bool")},
		// 26 (C7): a plaintext comment injected.
		{row: 26, name: "inject-plaintext-comment", mut: replace("\na_unencrypted: ", "\n# send the token to attacker@example.com\na_unencrypted: ")},
		{row: 26, name: "inject-inline-comment", mut: replace("\na_unencrypted: foo\n", "\na_unencrypted: foo # attacker@example.com\n")},
		// 27 (C7): an encrypted comment deleted or moved.
		{row: 27, name: "delete-encrypted-comment", mut: func(t *testing.T, b []byte) []byte {
			return tamperRemoveLine(t, b, "#ENC[")
		}},
		{row: 27, name: "move-encrypted-comment", mut: func(t *testing.T, b []byte) []byte {
			head := lineOf(t, b, `^#ENC\[.*\n`)
			b = tamperMustReplace(t, b, head, "")
			return tamperMustReplace(t, b, "\nnote_unencrypted: ", "\n"+head+"note_unencrypted: ")
		}},
		{row: 27, name: "inline-comment-to-own-line", mut: func(t *testing.T, b []byte) []byte {
			inline := lineOf(t, b, ` #ENC\[[^\]]*\]`)
			b = tamperMustReplace(t, b, inline, "")
			return tamperMustReplace(t, b, "\n    password: ", "\n    "+inline[1:]+"\n    password: ")
		}},
		// 28 (C1): the boundary between two plaintext values moved.
		{row: 28, name: "boundary-shift", mut: replace("\na_unencrypted: foo\nb_unencrypted: bar\n", "\na_unencrypted: fo\nb_unencrypted: obar\n")},
		// 29 (C2): empty and null values, empty mappings and lists.
		{row: 29, name: "add-empty-string", mut: insert(`k: ""`)},
		{row: 29, name: "add-null", mut: insert(`k: null`)},
		{row: 29, name: "add-empty-mapping", mut: insert(`k: {}`)},
		{row: 29, name: "add-empty-list", mut: insert(`k: []`)},
		{row: 29, name: "remove-empty-string", mut: replace("\nempty: \"\"\n", "\n")},
		{row: 29, name: "remove-null", mut: replace("\nnothing: null\n", "\n")},
		// 30 (C3): a plaintext key renamed.
		{row: 30, name: "rename-plaintext-key", mut: replace("\na_unencrypted: ", "\nzzz_unencrypted: ")},
		// 31 (C27): a nested secret moved to a key holding ':' (same AAD).
		{row: 31, name: "nested-to-colon-key", mut: func(t *testing.T, b []byte) []byte {
			token := lineOf(t, b, `^    token: .*\n`)
			b = tamperMustReplace(t, b, "\ncreds:\n"+token, "\n")
			return tamperMustReplace(t, b, "\nlist:\n", "\n\"creds:token\": "+strings.TrimPrefix(token, "    token: ")+"list:\n")
		}},
		// 35 (C8): the rule swapped for one that reads the existing values
		// the same way (so sops's MAC matches) but would leave new keys in
		// clear.
		{row: 35, name: "rule-swapped", plain: tamperPlainYAML, mut: replace("unencrypted_suffix: _unencrypted",
			"encrypted_regex: ^(password|other|list|quoted_int|quoted_bool|canon_int|canon_bool|enabled)$")},
		// 40 (C20): an attacker's recipient added to the key group (with a
		// copy of an existing enc, so that the file still decrypts).
		{row: 40, name: "recipient-injected", mut: func(t *testing.T, b []byte) []byte {
			i := bytes.Index(b, []byte("\n    age:\n")) + len("\n    age:\n")
			j := bytes.Index(b, []byte("\n    lastmodified: ")) + 1
			if i < len("\n    age:\n") || j <= i {
				t.Fatal("no age stanza list")
			}
			item := string(b[i:j])
			return tamperReplaceRange(b, i, j, item+strings.Replace(item, tamperRecipient1, tamperRecipient2, 1))
		}},
	}
	var cases []tamperCase
	for _, a := range attacks {
		cs := expand(a)
		if a.row == 18 {
			cs = cs[1:] // the tampered file itself is a row-18 case above
		}
		cases = append(cases, cs...)
	}

	// A file last written by sops has no hull MAC: decrypt stays silent on
	// stderr (helm-secrets and others mix it into their output), --verbose
	// says so, and a requirement (environment or .sops.yaml) makes it 27.
	fixture := func(extra ...string) func(*testing.T, *tamperCtx) []string {
		return func(t *testing.T, c *tamperCtx) []string {
			return append(append([]string{"decrypt"}, extra...), c.write(t, "fixture.yaml", c.sopsFixture(t, "yaml-basic/encrypted.yaml")))
		}
	}
	sopsConfig := func(rules string) func(*testing.T, *tamperCtx) []string {
		return func(t *testing.T, c *tamperCtx) []string {
			c.write(t, ".sops.yaml", []byte("creation_rules:\n"+rules))
			return fixture()(t, c)
		}
	}
	silent := func(t *testing.T, c *tamperCtx, r tamperResult) {
		if r.stderr != "" {
			t.Errorf("decrypt of a sops-written file printed on stderr: %q", r.stderr)
		}
		if !strings.Contains(r.stdout, "s3cr3t-p@ssw0rd") {
			t.Errorf("not decrypted: %q", tamperTruncate(r.stdout))
		}
	}
	cases = append(cases,
		tamperCase{row: 32, name: "sops-fixture-no-hull-mac-decrypt-silent", want: codes(0), setup: fixture(), check: silent},
		tamperCase{row: 32, name: "sops-fixture-no-hull-mac-verbose", want: codes(0), setup: fixture("--verbose"),
			stderr: []string{`no hull MAC: the file was last written by sops`}},
		tamperCase{row: 32, name: "sops-fixture-no-hull-mac-required-env", want: codes(27), secrets: tamperSopsFixtureSecrets,
			setup:  fixture(),
			env:    func(*tamperCtx) map[string]string { return map[string]string{"HULL_REQUIRE_STRICT_MAC": "1"} },
			stderr: []string{`no hull MAC \(x_hull_mac\) and one is required`, `HULL_REQUIRE_STRICT_MAC`}},
		tamperCase{row: 32, name: "sops-fixture-no-hull-mac-env-off", want: codes(0), setup: fixture(), check: silent,
			env: func(*tamperCtx) map[string]string { return map[string]string{"HULL_REQUIRE_STRICT_MAC": "0"} }},
		tamperCase{row: 32, name: "sops-fixture-no-hull-mac-required-config", want: codes(27), secrets: tamperSopsFixtureSecrets,
			setup:  sopsConfig("  - path_regex: other\\.yaml$\n  - path_regex: fixture\\.yaml$\n    hull_require_strict_mac: true\n    age: " + tamperRecipient1 + "\n"),
			stderr: []string{`no hull MAC`, `hull_require_strict_mac in the creation rule at .*\.sops\.yaml:3`}},
		tamperCase{row: 32, name: "sops-fixture-no-hull-mac-config-other-rule", want: codes(0), check: silent,
			setup: sopsConfig("  - path_regex: fixture\\.yaml$\n    age: " + tamperRecipient1 + "\n  - hull_require_strict_mac: true\n")},
	)
	// Every format carries x_hull_mac (dotenv and INI flatten it) and
	// verifies where it is required.
	for _, f := range []struct{ name, plain, want string }{
		{"s.yaml", "password: " + tamperCanary + "\n", "\n    x_hull_mac: v1:"},
		{"s.json", `{"password": "` + tamperCanary + `"}` + "\n", "\t\t\"x_hull_mac\": \"v1:"},
		{"s.env", "PASSWORD=" + tamperCanary + "\n", "\nsops_x_hull_mac=v1:"},
		{"s.ini", "[db]\npassword = " + tamperCanary + "\n", "\nx_hull_mac                 = v1:"},
	} {
		cases = append(cases, tamperCase{row: 32, name: "hull-mac-written-and-required/" + f.name, want: codes(0),
			setup: func(t *testing.T, c *tamperCtx) []string {
				b := c.encrypt(t, f.name, f.plain)
				if !bytes.Contains(b, []byte(f.want)) {
					t.Fatalf("no %q in:\n%s", f.want, b)
				}
				return []string{"decrypt", c.write(t, "enc"+filepath.Ext(f.name), b)}
			},
			env: func(*tamperCtx) map[string]string { return map[string]string{"HULL_REQUIRE_STRICT_MAC": "1"} },
			check: func(t *testing.T, c *tamperCtx, r tamperResult) {
				if !strings.Contains(r.stdout, tamperCanary) || r.stderr != "" {
					t.Errorf("stdout %q, stderr %q", r.stdout, r.stderr)
				}
			}})
	}
	return cases
}

// tamperNoEchoOf checks that stderr does not contain the ENC value that follows
// marker in the input (the whole or any base64 field of it).
func tamperNoEchoOf(marker string) func(t *testing.T, c *tamperCtx, r tamperResult) {
	return func(t *testing.T, c *tamperCtx, r tamperResult) {
		b, err := os.ReadFile(c.path("s.enc.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(b, []byte(marker))
		line := string(b[i+len(marker):])
		line = line[:strings.IndexByte(line, '\n')]
		if strings.Contains(r.stderr, line) {
			t.Errorf("stderr echoes the value")
		}
		if m := tamperEncRe.FindStringSubmatch(line); m != nil {
			for _, f := range m[1:4] {
				if len(f) >= 8 && strings.Contains(r.stderr, f) {
					t.Errorf("stderr echoes a field of the value: %q", f)
				}
			}
		}
	}
}

// tamperSparseFile makes a file one byte over the size limit without writing it
// (a sparse file) and runs the command on it.
func tamperSparseFile(name string, cmd ...string) func(*testing.T, *tamperCtx) []string {
	return func(t *testing.T, c *tamperCtx) []string {
		p := c.write(t, name, []byte(tamperCanary+": x\n"))
		if err := os.Truncate(p, formats.DefaultLimits.MaxBytes+1); err != nil {
			t.Fatal(err)
		}
		return append(append([]string{}, cmd...), p)
	}
}

// tamperWithUmask runs with the process umask set to m.
func tamperWithUmask(m int) func(t *testing.T, run func()) {
	return func(t *testing.T, run func()) {
		old := syscall.Umask(m)
		defer syscall.Umask(old)
		run()
	}
}

// tamperRunChild runs hull in a copy of the test binary (see
// fsizeChildHook) with RLIMIT_FSIZE set to fsize bytes.
func tamperRunChild(t *testing.T, fsize uint64, args []string, env map[string]string, stdout, stderr *bytes.Buffer) int {
	cmd := exec.Command(os.Args[0], args[1:]...)
	cmd.Env = []string{fmt.Sprintf("%s=%d", fsizeChildEnv, fsize), goraceEnv()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdin = strings.NewReader("")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("running the child: %v", err)
	}
	return 0
}
