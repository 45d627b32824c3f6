package sopsenv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/all"
	"github.com/hullsecrets/hull/keysources/companion"
	"github.com/hullsecrets/hull/keysources/localkeys"
	"github.com/hullsecrets/hull/metadata"
)

func envOf(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDecryptionOrder(t *testing.T) {
	env := envOf(map[string]string{"SOPS_DECRYPTION_ORDER": "pgp, age"})
	if got, err := DecryptionOrder("", env); err != nil || !slices.Equal(got, []string{"pgp", "age"}) {
		t.Errorf("from the environment: %v, %v", got, err)
	}
	if got, err := DecryptionOrder("age", env); err != nil || !slices.Equal(got, []string{"age"}) {
		t.Errorf("the flag wins: %v, %v", got, err)
	}
	if _, err := DecryptionOrder("age,pgp,age", nil); !errors.Is(err, ErrDuplicateKeyType) {
		t.Errorf("duplicate: %v", err)
	}
}

func TestVaultAllowlistAndToken(t *testing.T) {
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".vault-token"), []byte("s.file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tok, err := VaultToken(envOf(map[string]string{"HOME": home})); err != nil || tok != "s.file" {
		t.Errorf("token file: %q, %v", tok, err)
	}
	if tok, _ := VaultToken(envOf(map[string]string{"HOME": home, "VAULT_TOKEN": "s.env"})); tok != "s.env" {
		t.Errorf("VAULT_TOKEN must win: %q", tok)
	}
	env := envOf(map[string]string{"VAULT_ADDR": "https://given:8200/"})
	al, err := VaultAllowlist(env, VaultAddresses("https://flag:8200/v1/transit/keys/k"))
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]bool{"https://given:8200": true, "https://flag:8200": true, "https://planted:8200": false} {
		if got := al.Allows(addr); got != want {
			t.Errorf("%s allowed: %v, want %v", addr, got, want)
		}
	}
}

func TestKMSOptions(t *testing.T) {
	if o, err := KMSOptions("p", "a:b,c:d"); err != nil || o.Profile != "p" || o.Context["c"] != "d" {
		t.Errorf("%+v, %v", o, err)
	}
	if _, err := KMSOptions("", "nocolon"); err == nil {
		t.Error("a malformed context was accepted")
	}
}

func TestCompanionEnv(t *testing.T) {
	environ := []string{"PATH=/bin", "GOOGLE_CREDENTIALS=process", "SOPS_AGE_KEY=secret"}
	got := CompanionEnv(environ, envOf(map[string]string{"GOOGLE_CREDENTIALS": "caller"}), []string{"SOPS_AGE_KEY"})
	if !slices.Contains(got, "PATH=/bin") || !slices.Contains(got, "GOOGLE_CREDENTIALS=caller") || slices.Contains(got, "GOOGLE_CREDENTIALS=process") || slices.Contains(got, "SOPS_AGE_KEY=secret") {
		t.Errorf("CompanionEnv = %v", got)
	}
}

// The key service server is hull-kms keyservice, with the caller's view of
// the identity variables; without hull-kms it says how to install it.
func TestKeyServiceServer(t *testing.T) {
	kms := filepath.Join(t.TempDir(), "hull-kms")
	if err := os.WriteFile(kms, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := CompanionSettings{Env: envOf(map[string]string{CompanionVar: kms, "SOPS_AGE_KEY_FILE": "/caller/keys.txt"}),
		Environ: []string{"SOPS_AGE_KEY_FILE=/process/keys.txt", "PATH=/bin"}}
	argv, env, err := KeyServiceServer(s, "unix", "/tmp/s.sock", true)
	if err != nil || !slices.Equal(argv, []string{kms, "keyservice", "--network", "unix", "--address", "/tmp/s.sock", "--prompt"}) {
		t.Fatalf("argv = %q, %v", argv, err)
	}
	if !slices.Contains(env, "SOPS_AGE_KEY_FILE=/caller/keys.txt") || slices.Contains(env, "SOPS_AGE_KEY_FILE=/process/keys.txt") {
		t.Errorf("env = %q", env)
	}
	s.Env = envOf(map[string]string{"PATH": t.TempDir()})
	if _, _, err := KeyServiceServer(s, "tcp", "127.0.0.1:5000", false); !errors.Is(err, companion.ErrNotInstalled) || !strings.Contains(err.Error(), "go install") {
		t.Errorf("without hull-kms: %v", err)
	}
}

const testAge = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"

func TestNewFilePolicy(t *testing.T) {
	dir := t.TempDir()
	cfgText := "creation_rules:\n  - path_regex: \\.yaml$\n    age: " + testAge + "\n    encrypted_regex: ^pw\n    shamir_threshold: 1\n"
	if err := os.WriteFile(filepath.Join(dir, config.FileName), []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(dir, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	in := NewFileInput{Name: filepath.Join(dir, "s.yaml"), Config: cfg, Env: envOf(nil), Options: all.Options{}}
	p, err := NewFilePolicy(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Groups) != 1 || len(p.Groups[0]) != 1 || p.Rule.Value != "^pw" || p.CreationRule == nil || p.Threshold != 1 {
		t.Errorf("from the rule: %+v", p)
	}
	if e := p.Indent("yaml", formats.EmitOptions{}); e.IndentSet {
		t.Errorf("no stores settings: %+v", e)
	}
	// Keys in the environment replace the config's; the rule stays.
	in.Env = envOf(map[string]string{"SOPS_AGE_RECIPIENTS": testAge})
	in.Threshold = "2"
	if p, err = NewFilePolicy(in); err != nil || p.Source != "the command line" || p.Rule.Value != "^pw" || p.Threshold != 2 {
		t.Errorf("from the environment: %+v, %v", p, err)
	}
	in.Threshold = "x"
	if _, err := NewFilePolicy(in); err == nil {
		t.Error("a bad threshold was accepted")
	}
	// No rule for the file and no keys: no recipients.
	in = NewFileInput{Name: filepath.Join(dir, "s.json"), Config: cfg, Env: envOf(nil)}
	if _, err := NewFilePolicy(in); err == nil {
		t.Error("a file no rule matches got keys")
	}
	in.Config = nil
	if _, err := NewFilePolicy(in); !errors.Is(err, hull.ErrNoRecipients) {
		t.Errorf("no config, no keys: %v", err)
	}
	// A rule with an empty key group is refused; the stores settings
	// give the indent unless --indent does.
	cfgText = "stores:\n  yaml:\n    indent: 4\ncreation_rules:\n  - path_regex: \\.env$\n"
	if err := os.WriteFile(filepath.Join(dir, config.FileName), []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg, err = config.Load(filepath.Join(dir, config.FileName)); err != nil {
		t.Fatal(err)
	}
	in = NewFileInput{Name: filepath.Join(dir, "s.env"), Config: cfg, Env: envOf(nil)}
	if _, err := NewFilePolicy(in); !errors.Is(err, ErrEmptyKeyGroup) || !errors.Is(err, hull.ErrNoRecipients) {
		t.Errorf("an empty key group: %v", err)
	}
	nf := &NewFile{Config: cfg}
	if e := nf.Indent("yaml", formats.EmitOptions{}); e.Indent != 4 || !e.IndentSet {
		t.Errorf("stores indent: %+v", e)
	}
	if e := nf.Indent("yaml", formats.EmitOptions{Indent: 2, IndentSet: true}); e.Indent != 2 {
		t.Errorf("--indent wins: %+v", e)
	}
	in = NewFileInput{Name: filepath.Join(dir, "s.json"), Env: envOf(nil)}
	in.KeyFlags = map[string]string{"hckms": "k"}
	if _, err := Recipients(in.KeyFlags, in.Env, all.Options{}); err == nil {
		t.Error("an unsupported key type was accepted")
	}
}

func TestKeyChanges(t *testing.T) {
	kc, err := KeyChanges(map[string][]string{"age": {testAge}}, map[string][]string{"pgp": {"AB CD"}, "gcp-kms": {"projects/p"}}, all.Options{})
	if err != nil || len(kc.Add) != 1 || len(kc.Remove) != 2 {
		t.Fatalf("%+v, %v", kc, err)
	}
	if kc.Remove[0] != (hull.KeyID{Type: "pgp", ID: "ABCD"}) || kc.Remove[1].Type != "gcp_kms" {
		t.Errorf("removals: %v", kc.Remove)
	}
	if _, err := KeyChanges(map[string][]string{"hckms": {"k"}}, nil, all.Options{}); err == nil {
		t.Error("an unsupported type was accepted")
	}
	if FlagForType("hc_vault") != "hc-vault-transit" {
		t.Error(FlagForType("hc_vault"))
	}
}

// The key flags' values split at commas, as sops reads them; a flag the
// command does not have gives nothing.
func TestKeyValues(t *testing.T) {
	flags := map[string][]string{"add-age": {"a, b", " ,"}, "add-pgp": {"C"}, "age": {"x"}}
	got := KeyValues(func(name string) []string { return flags[name] }, "add-")
	if len(got) != 2 || !slices.Equal(got["age"], []string{"a", "b"}) || !slices.Equal(got["pgp"], []string{"C"}) {
		t.Errorf("KeyValues = %v", got)
	}
	ks := KeySources(all.Options{})
	if !ks.Supported("age") || ks.Supported("hckms") {
		t.Error("Supported does not follow the table of key sources")
	}
	rc, err := ks.FromStanza(metadata.NewStanza("age", "recipient", testAge, "enc", "x"))
	if err != nil || rc.String() != testAge {
		t.Errorf("FromStanza = %v, %v", rc, err)
	}
}

// WantKeys parses a rule's keys once; KeyFlagValues takes the key flags
// the command has, given or not.
func TestWantKeysAndKeyFlagValues(t *testing.T) {
	cfg, err := config.Parse([]byte("creation_rules:\n  - age: "+testAge+"\n"), "x")
	if err != nil {
		t.Fatal(err)
	}
	want := WantKeys()
	cr := &cfg.CreationRules[0]
	ids, err := want(cr, "the rule")
	if err != nil || len(ids) != 1 || ids[0][0] != (hull.KeyID{Type: "age", ID: testAge}) {
		t.Fatalf("WantKeys = %v, %v", ids, err)
	}
	cr.KeyGroups = nil // a second call does not parse again
	if again, _ := want(cr, "the rule"); len(again) != 1 {
		t.Errorf("WantKeys parsed the rule again: %v", again)
	}
	got := KeyFlagValues(func(f string) (string, bool) {
		return map[string]string{"age": "a", "hckms": ""}[f], f == "age" || f == "hckms"
	})
	if len(got) != 2 || got["age"] != "a" {
		t.Errorf("KeyFlagValues = %v", got)
	}
}

func TestRule(t *testing.T) {
	if r, err := Rule(nil); err != nil || !r.IsZero() {
		t.Errorf("none: %v, %v", r, err)
	}
	if r, err := Rule(map[string]string{"encrypted-regex": "^pw"}); err != nil || r.Kind != "encrypted_regex" || r.Value != "^pw" {
		t.Errorf("one: %v, %v", r, err)
	}
	if _, err := Rule(map[string]string{"encrypted-regex": "^pw", "unencrypted-suffix": "_u"}); !errors.Is(err, metadata.ErrConflictingRules) {
		t.Errorf("two: %v", err)
	}
	if _, err := Rule(map[string]string{"encrypted-regex": "("}); err == nil || !strings.Contains(err.Error(), "--encrypted-regex") {
		t.Errorf("bad regex: %v", err)
	}
}

// The identities of a run: the environment's, GCP and Azure through
// hull-kms, the key services last; without the local ones only these.
func TestIdentities(t *testing.T) {
	c := (&Companion{}).Client(func() CompanionSettings { return CompanionSettings{Env: envOf(nil)} })
	home := t.TempDir()
	local := func() localkeys.Env { return localkeys.Env{Lookup: envOf(map[string]string{"HOME": home})} }
	s, err := Identities(context.Background(), c, local, []string{"unix:///tmp/ks.sock"}, false)
	if err != nil || len(s.Identities) < 3 {
		t.Fatalf("Identities = %+v, %v", s, err)
	}
	if _, last := s.Identities[len(s.Identities)-1].(*companion.ServiceIdentity); !last {
		t.Fatalf("Identities = %+v, %v", s, err)
	}
	asked := false
	s, err = Identities(context.Background(), c, func() localkeys.Env { asked = true; return local() }, []string{"unix:///tmp/ks.sock"}, true)
	if _, ok := s.Identities[0].(*companion.ServiceIdentity); err != nil || asked || len(s.Identities) != 1 || !ok || !strings.Contains(s.Searched[0], "unix:///tmp/ks.sock") {
		t.Errorf("noLocal: %+v, %v (environment read: %v)", s, err, asked)
	}
}

// updatekeys' first step: the rule that matches and its recipients,
// checked before the file is opened.
func TestRuleTarget(t *testing.T) {
	dir := t.TempDir()
	cfgText := "creation_rules:\n  - path_regex: \\.yaml$\n    age: " + testAge + "\n  - path_regex: \\.json$\n    pgp: ''\n"
	if err := os.WriteFile(filepath.Join(dir, config.FileName), []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(dir, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	pol := &hull.Policy{Config: cfg}
	cr, want, err := RuleTarget(pol, filepath.Join(dir, "s.yaml"), all.Options{}, nil)
	if err != nil || cr != &cfg.CreationRules[0] || len(want) != 1 || len(want[0]) != 1 {
		t.Fatalf("the matching rule: %v, %v, %v", cr, want, err)
	}
	if _, _, err := RuleTarget(pol, filepath.Join(dir, "s.ini"), all.Options{}, nil); !errors.Is(err, ErrNoRule) {
		t.Errorf("no rule matches: %v", err)
	}
	if _, _, err := RuleTarget(&hull.Policy{}, "s.yaml", all.Options{}, nil); !errors.Is(err, ErrNoRule) {
		t.Errorf("no config: %v", err)
	}
	if _, _, err := RuleTarget(pol, filepath.Join(dir, "s.json"), all.Options{}, nil); !errors.Is(err, hull.ErrNoRecipients) {
		t.Errorf("a rule without keys: %v", err)
	}
	refused := errors.New("refused")
	if _, _, err := RuleTarget(pol, filepath.Join(dir, "s.yaml"), all.Options{}, func([][]keysources.Recipient) error { return refused }); !errors.Is(err, refused) {
		t.Errorf("allow refuses: %v", err)
	}
}

func TestNewGroupAndNoKeys(t *testing.T) {
	g, err := NewGroup(map[string][]string{"age": {testAge}}, all.Options{})
	if err != nil || len(g) != 1 {
		t.Fatalf("one age key: %v, %v", g, err)
	}
	if _, err := NewGroup(map[string][]string{}, all.Options{}); !errors.Is(err, hull.ErrNoRecipients) {
		t.Errorf("no keys: %v", err)
	}
	if _, err := NewGroup(map[string][]string{"age": {"age1nope"}}, all.Options{}); err == nil || !strings.HasPrefix(err.Error(), "--age: ") {
		t.Errorf("a bad key: %v", err)
	}
	if err := NoKeys(map[string][]string{"pgp": nil}); err != nil {
		t.Errorf("no keys given: %v", err)
	}
	if err := NoKeys(map[string][]string{"pgp": {"F00"}}); err == nil || err.Error() != "--pgp: groups delete takes no keys (did you mean 'groups add'?)" {
		t.Errorf("a key given: %v", err)
	}
}
