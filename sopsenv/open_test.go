package sopsenv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/yaml"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/keysources/all"
	"github.com/hullsecrets/hull/keysources/localkeys"
)

const (
	openRecipient = "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m"
	openIdentity  = "AGE-SECRET-KEY-10USN6JE4ND87YZQ3R9PSRUZLQLG5PPNTVGPVU86U32CST6PC4C7SE08MXR"
)

func TestOpen(t *testing.T) {
	rs, err := age.ParseRecipients(openRecipient)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := age.ParseIdentities(strings.NewReader(openIdentity), "test")
	if err != nil {
		t.Fatal(err)
	}
	data, err := hull.EncryptData([]byte("pw: secret\n"), "yaml", hull.EncryptOptions{Groups: [][]keysources.Recipient{rs}})
	if err != nil {
		t.Fatal(err)
	}
	var steps, warned []string
	in := OpenInput{Format: yaml.New(), Data: data, Display: "s.yaml", Name: "s.yaml",
		Prepare: func(*formats.File) { steps = append(steps, "prepare") },
		Identities: func() (*localkeys.Set, error) {
			steps = append(steps, "identities")
			return &localkeys.Set{Identities: ids, Warnings: []string{"an identity warning"}, Searched: []string{"here"}}, nil
		},
		Policy:    func() (*hull.Policy, error) { steps = append(steps, "policy"); return &hull.Policy{}, nil },
		Decrypted: func(err error) { steps = append(steps, "decrypted") },
		Warn:      func(w string) { warned = append(warned, w) },
	}
	f, o, err := Open(context.Background(), in)
	if err != nil || f.Docs[0].Get("pw").Value != "secret" || len(o.Key) != 32 {
		t.Fatalf("Open = %v", err)
	}
	if strings.Join(steps, " ") != "prepare identities policy decrypted" || len(warned) != 0 {
		t.Errorf("steps %q, warned %q", steps, warned)
	}
	// A rewrite (a stash) or --verbose shows the identities' warnings.
	in.Decrypt.Stash = hull.NewStash()
	if _, _, err := Open(context.Background(), in); err != nil || len(warned) != 1 || warned[0] != "an identity warning" {
		t.Errorf("rewriting: %v, warned %q", err, warned)
	}

	// No identity at all: where they were looked for.
	in.Identities = func() (*localkeys.Set, error) { return &localkeys.Set{Searched: []string{"SOPS_AGE_KEY_FILE"}}, nil }
	var ne *localkeys.NoIdentityError
	if _, _, err := Open(context.Background(), in); !errors.As(err, &ne) || ne.File != "s.yaml" || ne.Searched[0] != "SOPS_AGE_KEY_FILE" {
		t.Errorf("no identity: %v", err)
	}
	// The failures of each step stop it.
	refused := errors.New("refused")
	in.Policy = func() (*hull.Policy, error) { return nil, refused }
	if _, _, err := Open(context.Background(), in); !errors.Is(err, refused) {
		t.Errorf("the policy: %v", err)
	}
	in.Data = []byte("a: [\n")
	if _, _, err := Open(context.Background(), in); !errors.Is(err, ErrUnreadable) {
		t.Errorf("a broken file: %v", err)
	}
}

// updatekeys on one file: the rule's recipients, checked before the file
// is opened, replace the file's.
func TestUpdateKeys(t *testing.T) {
	rs, err := age.ParseRecipients(openRecipient)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := age.ParseIdentities(strings.NewReader(openIdentity), "test")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgText := "creation_rules:\n  - path_regex: \\.yaml$\n    age: " + openRecipient + "," + testAge + "\n"
	if err := os.WriteFile(filepath.Join(dir, config.FileName), []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	pol, err := hull.ResolvePolicy(hull.PolicyInput{WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	data, err := hull.EncryptData([]byte("pw: secret\n"), "yaml", hull.EncryptOptions{Groups: [][]keysources.Recipient{rs}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	opened := 0
	in := UpdateKeysInput{Path: path, Name: path, Options: all.Options{}, Sources: KeySources(all.Options{}),
		Open: func() (*hull.KeyFile, error) {
			opened++
			return hull.OpenKeyFile(context.Background(), path, hull.OpenFileOptions{Policy: pol, Identities: ids})
		},
		Update: hull.UpdateOptions{In: yaml.New(), Out: yaml.New()}}
	refused := errors.New("refused")
	in.Sources.Allow = func([][]keysources.Recipient) error { return refused }
	if _, err := UpdateKeys(pol, in); !errors.Is(err, refused) || opened != 0 || !strings.HasPrefix(err.Error(), path+": ") {
		t.Fatalf("the endpoint check refuses before the file is opened: %v (opened %d)", err, opened)
	}
	in.Sources.Allow = nil
	u, err := UpdateKeys(pol, in)
	if now, _ := os.ReadFile(path); err != nil || !u.Written || u.Rotated || !strings.Contains(string(now), testAge) {
		t.Fatalf("UpdateKeys = %+v, %v", u, err)
	}
	if u, err := UpdateKeys(pol, in); err != nil || !u.Plan.UpToDate() {
		t.Errorf("again: %+v, %v", u, err)
	}
	in.Path, in.Name = filepath.Join(dir, "s.json"), filepath.Join(dir, "s.json")
	if _, err := UpdateKeys(pol, in); !errors.Is(err, ErrNoRule) {
		t.Errorf("no rule: %v", err)
	}
}
