package hull_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/metadata"
)

const (
	pipelineRecipient = "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m"
	pipelineIdentity  = "AGE-SECRET-KEY-10USN6JE4ND87YZQ3R9PSRUZLQLG5PPNTVGPVU86U32CST6PC4C7SE08MXR"
)

// repo makes a directory with the .sops.yaml text and an encrypted s.yaml
// (plaintext plain), and the policy resolved from it.
func repo(t *testing.T, sopsYAML, plain string) (dir string, pol *hull.Policy, ids []keysources.Identity) {
	t.Helper()
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte(sopsYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	pol, err := hull.ResolvePolicy(hull.PolicyInput{WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := age.ParseRecipients(pipelineRecipient)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(p, []byte(plain), 0o600); err != nil {
		t.Fatal(err)
	}
	enc, err := hull.EncryptFile(p, hull.EncryptOptions{Groups: [][]keysources.Recipient{rs}, Policy: pol})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, enc, 0o600); err != nil {
		t.Fatal(err)
	}
	if ids, err = age.ParseIdentities(strings.NewReader(pipelineIdentity), "test"); err != nil {
		t.Fatal(err)
	}
	return dir, pol, ids
}

// tamper strips x_hull_mac and replaces the file's rule, as a writer of the
// repository without keys can.
func tamper(t *testing.T, path, rule string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = regexp.MustCompile(`(?m)^\s*x_hull_mac:.*\n`).ReplaceAll(b, nil)
	if rule != "" {
		b = regexp.MustCompile(`(?m)^    unencrypted_suffix: _unencrypted$`).ReplaceAll(b, []byte("    "+rule))
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return b
}

// TRUST.md "strict MAC": DecryptFile on a tampered file in a strict
// repository fails as hull decrypt does (27, ErrExtendedMAC), and succeeds
// on the untouched file.
func TestDecryptFileStrictRepository(t *testing.T) {
	dir, pol, ids := repo(t, "hull_require_strict_mac: true\ncreation_rules:\n  - age: "+pipelineRecipient+"\n", "password: hunter2\n")
	p := filepath.Join(dir, "s.yaml")
	out, err := hull.DecryptFile(context.Background(), p, hull.DecryptOptions{Identities: ids, Policy: pol})
	if err != nil || string(out) != "password: hunter2\n" {
		t.Fatalf("DecryptFile = %q, %v", out, err)
	}
	tamper(t, p, "")
	_, err = hull.DecryptFile(context.Background(), p, hull.DecryptOptions{Identities: ids, Policy: pol})
	if !errors.Is(err, hull.ErrExtendedMAC) || !strings.Contains(err.Error(), "hull_require_strict_mac at the top of") {
		t.Fatalf("DecryptFile of a tampered file = %v, want ErrExtendedMAC naming the setting", err)
	}
	// Without a policy, DecryptFile finds the same .sops.yaml from the
	// working directory, as the command line does.
	t.Chdir(dir)
	if _, err := hull.DecryptFile(context.Background(), "s.yaml", hull.DecryptOptions{Identities: ids}); !errors.Is(err, hull.ErrExtendedMAC) {
		t.Fatalf("DecryptFile without a policy = %v, want ErrExtendedMAC", err)
	}
}

// TRUST.md "no write stores in clear what the trusted rule encrypts": the
// exported write path refuses the rule downgrade as hull set does (29,
// ErrPolicy), and leaves the file untouched.
func TestRewriteRefusesRuleDowngrade(t *testing.T) {
	dir, pol, ids := repo(t, "creation_rules:\n  - age: "+pipelineRecipient+"\n", "password: hunter2\nuser: admin\n")
	p := filepath.Join(dir, "s.yaml")
	before := tamper(t, p, `encrypted_regex: ^(password|user)$`)
	f, err := hull.OpenFile(context.Background(), p, hull.OpenFileOptions{Policy: pol, Identities: ids})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = f.Rewrite(func(pf *formats.File) (bool, error) {
		pf.Docs[0].Children = append(pf.Docs[0].Children, formats.NewString("api_token", "SUPERSECRET"))
		return true, nil
	}, hull.RewriteOptions{})
	if !errors.Is(err, hull.ErrPolicy) || !strings.Contains(err.Error(), `["api_token"]`) {
		t.Fatalf("Rewrite = %v, want ErrPolicy naming the key", err)
	}
	if re := (*hull.RewriteError)(nil); !errors.As(err, &re) || re.Step != hull.StepCheck || re.Sealed != nil {
		t.Errorf("Rewrite = %#v, want a RewriteError at the check", err)
	}
	if now, _ := os.ReadFile(p); !bytes.Equal(now, before) {
		t.Error("the file was changed")
	}

	// A change the trusted rule allows is written, without a fresh
	// x_hull_mac over the unauthenticated rule.
	f2, err := hull.OpenFile(context.Background(), p, hull.OpenFileOptions{Policy: pol, Identities: ids})
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	changed, err := f2.Rewrite(func(pf *formats.File) (bool, error) {
		pf.Docs[0].Get("password").Value = "new"
		return true, nil
	}, hull.RewriteOptions{})
	if err != nil || !changed {
		t.Fatalf("Rewrite = %v, %v", changed, err)
	}
	now, _ := os.ReadFile(p)
	if bytes.Contains(now, []byte("x_hull_mac")) || bytes.Contains(now, []byte("new")) {
		t.Errorf("rewritten file:\n%s", now)
	}

	// EncryptFile refuses a rule weaker than the creation rule's.
	plain := filepath.Join(dir, "p.yaml")
	os.WriteFile(plain, []byte("password: x\ntoken: y\n"), 0o600)
	rs, _ := age.ParseRecipients(pipelineRecipient)
	_, err = hull.EncryptFile(plain, hull.EncryptOptions{Groups: [][]keysources.Recipient{rs}, Policy: pol, Rule: mustRule(t, "encrypted_regex", "^password$")})
	if !errors.Is(err, hull.ErrPolicy) {
		t.Errorf("EncryptFile with a weaker rule = %v, want ErrPolicy", err)
	}
}

// TRUST.md "compare-and-swap": a file changed since it was opened is not
// overwritten.
func TestRewriteCompareAndSwap(t *testing.T) {
	dir, pol, ids := repo(t, "creation_rules:\n  - age: "+pipelineRecipient+"\n", "password: hunter2\n")
	p := filepath.Join(dir, "s.yaml")
	f, err := hull.OpenFile(context.Background(), p, hull.OpenFileOptions{Policy: pol, Identities: ids})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	os.WriteFile(p, []byte("changed meanwhile\n"), 0o600)
	_, err = f.Rewrite(func(pf *formats.File) (bool, error) {
		pf.Docs[0].Get("password").Value = "new"
		return true, nil
	}, hull.RewriteOptions{})
	if !errors.Is(err, hull.ErrConcurrentModification) {
		t.Fatalf("Rewrite = %v, want ErrConcurrentModification", err)
	}
	// The sealed result that lost the race is handed back, encrypted.
	re := (*hull.RewriteError)(nil)
	if !errors.As(err, &re) || re.Step != hull.StepCommit || !bytes.Contains(re.Sealed, []byte("ENC[AES256_GCM")) || bytes.Contains(re.Sealed, []byte("new")) {
		t.Errorf("Rewrite = %#v, want a RewriteError at the commit with the sealed file", err)
	}
	if now, _ := os.ReadFile(p); string(now) != "changed meanwhile\n" {
		t.Error("the file was overwritten")
	}
}

// A file the caller opened itself (Policy.Open over ParseEncrypted, as
// the command line does) goes through the same write transaction: the
// rule downgrade is refused, an allowed change is written in the output
// format, and the lock may be held by the caller for the whole transaction.
func TestOpenedFileRewrite(t *testing.T) {
	dir, pol, ids := repo(t, "creation_rules:\n  - age: "+pipelineRecipient+"\n", "password: hunter2\nuser: admin\n")
	p := filepath.Join(dir, "s.yaml")
	original := tamper(t, p, `encrypted_regex: ^(password|user)$`)
	fm, _ := hull.FormatFor("", p)
	open := func() *hull.File {
		f, err := hull.ParseEncrypted(fm, original, p, formats.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		stash := hull.NewStash()
		o, err := pol.Open(context.Background(), f, p, p, ids, hull.DecryptOptions{Stash: stash})
		if err != nil {
			t.Fatal(err)
		}
		return pol.OpenedFile(p, "", fm, original, f, o, stash)
	}
	_, err := open().Rewrite(func(pf *formats.File) (bool, error) {
		pf.Docs[0].Children = append(pf.Docs[0].Children, formats.NewString("api_token", "SUPERSECRET"))
		return true, nil
	}, hull.RewriteOptions{})
	if !errors.Is(err, hull.ErrPolicy) {
		t.Fatalf("Rewrite = %v, want ErrPolicy", err)
	}
	unlock, err := hull.LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	var why string
	json, _ := hull.FormatFor("json", "")
	changed, err := open().Rewrite(func(pf *formats.File) (bool, error) {
		pf.Docs[0].Get("password").Value = "new"
		return true, nil
	}, hull.RewriteOptions{Out: json, Held: true, NoExtendedMAC: func(w string) { why = w }})
	if err != nil || !changed {
		t.Fatalf("Rewrite = %v, %v", changed, err)
	}
	now, _ := os.ReadFile(p)
	if !bytes.HasPrefix(now, []byte("{")) || bytes.Contains(now, []byte("x_hull_mac")) || !strings.Contains(why, "rule") {
		t.Errorf("rewritten file (why %q):\n%s", why, now)
	}
}

// TRUST.md "unknown keys": an unknown .sops.yaml key is a warning with its
// line, and the rest of the config applies; one that cannot be parsed is
// an error.
func TestResolvePolicyConfig(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte("creation_rules:\n  - age: "+pipelineRecipient+"\n    hull_require_strict_mac: true\n    x_new: 1\n"), 0o644)
	pol, err := hull.ResolvePolicy(hull.PolicyInput{WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(pol.Warnings) != 1 || !strings.Contains(pol.Warnings[0], ".sops.yaml:4: unknown key \"x_new\"") {
		t.Errorf("warnings = %q", pol.Warnings)
	}
	if strict, _ := pol.StrictMAC(filepath.Join(dir, "a.yaml")); !strict {
		t.Error("hull_require_strict_mac lost")
	}
	if quiet, err := hull.ResolvePolicy(hull.PolicyInput{WorkDir: dir, QuietConfig: true}); err != nil || len(quiet.Warnings) != 0 || quiet.Config == nil {
		t.Errorf("QuietConfig: warnings %q, %v", quiet.Warnings, err)
	}
	os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte("creation_rules:\n  - hull_require_strict_mac: maybe\n"), 0o644)
	if _, err := hull.ResolvePolicy(hull.PolicyInput{WorkDir: dir}); err == nil {
		t.Error("a config that cannot be parsed was accepted")
	}
	// The environment comes only through Getenv.
	pol, err = hull.ResolvePolicy(hull.PolicyInput{WorkDir: t.TempDir(), Getenv: func(k string) string {
		return map[string]string{"HULL_REQUIRE_STRICT_MAC": "1"}[k]
	}})
	if err != nil || !pol.RequireStrictMAC {
		t.Errorf("HULL_REQUIRE_STRICT_MAC: %+v, %v", pol, err)
	}
}

func mustRule(t *testing.T, kind, value string) (r metadata.Rule) {
	t.Helper()
	r.Kind, r.Value = kind, value
	return r
}

// DecryptData has no path: the policy's path-independent requirement
// (top-level hull_require_strict_mac) still applies.
func TestDecryptDataPolicy(t *testing.T) {
	dir, pol, ids := repo(t, "hull_require_strict_mac: true\ncreation_rules:\n  - age: "+pipelineRecipient+"\n", "password: hunter2\n")
	data := tamper(t, filepath.Join(dir, "s.yaml"), "")
	if _, err := hull.DecryptData(context.Background(), data, "yaml", hull.DecryptOptions{Identities: ids}); err != nil {
		t.Fatalf("DecryptData without a policy: %v", err)
	}
	if _, err := hull.DecryptData(context.Background(), data, "yaml", hull.DecryptOptions{Identities: ids, Policy: pol}); !errors.Is(err, hull.ErrExtendedMAC) {
		t.Fatalf("DecryptData with the strict policy = %v, want ErrExtendedMAC", err)
	}
}

func TestResolvePolicyLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".sops.yaml")
	os.WriteFile(p, []byte("creation_rules:\n  - age: "+pipelineRecipient+"\n"), 0o644)
	cache := config.NewCache()
	first, err := hull.ResolvePolicy(hull.PolicyInput{ConfigPath: p, Load: cache.Load})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, []byte("not: [valid"), 0o644)
	second, err := hull.ResolvePolicy(hull.PolicyInput{ConfigPath: p, Load: cache.Load})
	if err != nil || second.Config != first.Config {
		t.Errorf("the cache's config must be used: %v", err)
	}
	if _, err := hull.ResolvePolicy(hull.PolicyInput{ConfigPath: p}); err == nil {
		t.Error("without the cache the broken config must be read and refused")
	}
}

func TestParseEncryptedDiagnoses(t *testing.T) {
	yml, _ := hull.FormatFor("yaml", "")
	conflicted := []byte("a: 1\n<<<<<<< ours\nb: [\n=======\nb: 2\n>>>>>>> theirs\n")
	if _, err := hull.ParseEncrypted(yml, conflicted, "f.yaml", formats.Limits{}); err == nil || !strings.Contains(err.Error(), "merge conflict markers at line 2") {
		t.Errorf("conflict markers: %v", err)
	}
	if _, err := hull.ParseEncrypted(yml, []byte("a: 1\n"), "f.yaml", formats.Limits{}); !errors.Is(err, hull.ErrNotEncrypted) {
		t.Errorf("plaintext: %v", err)
	}
	noVersion := []byte("a: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops:\n    lastmodified: \"2024-01-01T00:00:00Z\"\n    mac: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n    age:\n        - recipient: " + pipelineRecipient + "\n          enc: x\n")
	if _, err := hull.ParseEncrypted(yml, noVersion, "f.yaml", formats.Limits{}); !errors.Is(err, hull.ErrNoVersion) {
		t.Errorf("no version: %v", err)
	}
}

func TestCheckWriteRuleKeys(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".sops.yaml"), []byte("creation_rules:\n  - age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n"), 0o644)
	pol, err := hull.ResolvePolicy(hull.PolicyInput{WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	f := encryptedYAML(t, "a: 1\n", metadata.Rule{})
	m, err := metadata.Load(f.Meta)
	if err != nil {
		t.Fatal(err)
	}
	o := &hull.Opened{Meta: m, Result: &hull.Result{}}
	name := filepath.Join(dir, "s.yaml")
	wc, err := pol.CheckWrite(name, o, f, f, false, nil)
	if err != nil || !wc.NoExtendedMAC {
		t.Fatalf("a recipient the rule does not name must not be vouched for: %+v, %v", wc, err)
	}
	pol.RuleKeys = func(*config.CreationRule) [][]hull.KeyID { return hull.StanzaKeyIDs(m.KeyGroups) }
	if wc, err = pol.CheckWrite(name, o, f, f, false, nil); err != nil || wc.NoExtendedMAC {
		t.Errorf("RuleKeys vouches for the file's recipient: %+v, %v", wc, err)
	}
}
