package sopsenv

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/yaml"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
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
