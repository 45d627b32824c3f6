package keysources_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	agelib "filippo.io/age"
	"filippo.io/age/armor"
	"filippo.io/age/plugin"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
)

// protectedPair is an age identity in a passphrase-protected identity file
// (as age -p -a writes it), whose UI counts the times it is asked.
func protectedPair(t *testing.T, asked *int, mu *sync.Mutex) keyPair {
	t.Helper()
	content, recipient, err := age.GenerateIdentity(testTime)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := agelib.NewScryptRecipient("pass")
	if err != nil {
		t.Fatal(err)
	}
	sr.SetWorkFactor(10)
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := agelib.Encrypt(aw, sr)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(content)
	w.Close()
	aw.Close()
	ui := &plugin.ClientUI{RequestValue: func(name, prompt string, secret bool) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		*asked++
		return "pass", nil
	}}
	ids, err := age.ParseIdentitiesWith(&buf, "protected.txt", age.Options{UI: ui})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := age.ParseRecipients(recipient)
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{ids[0], rs[0]}
}

// TestInteractiveLast: an identity that asks the user (here for a
// passphrase) is tried only when the keys at hand open no stanza, and
// asks once even when several groups need it at the same time.
func TestInteractiveLast(t *testing.T) {
	var mu sync.Mutex
	asked := 0
	prot := protectedPair(t, &asked, &mu)
	plain := newPair(t)
	key := newKey(t)

	// The protected key's stanza comes first and is listed first: the
	// plain key still opens the file without a question.
	groups, _, err := keysources.WrapGroups(key, [][]keysources.Recipient{{prot.r, plain.r}}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := keysources.Recover(context.Background(), groups, 0, []keysources.Identity{prot.id, plain.id}, nil)
	if err != nil || !bytes.Equal(got, key) || asked != 0 {
		t.Fatalf("Recover = %v; asked %d times, want 0", err, asked)
	}

	// Three groups that only the protected key opens, opened
	// concurrently: one question.
	groups, th, err := keysources.WrapGroups(key, [][]keysources.Recipient{{prot.r}, {prot.r}, {prot.r}}, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err = keysources.Recover(context.Background(), groups, th, []keysources.Identity{plain.id, prot.id}, nil)
	if err != nil || !bytes.Equal(got, key) || asked != 1 {
		t.Fatalf("Recover = %v; asked %d times, want 1", err, asked)
	}

	// Not a recipient at all: the report says so for both keys.
	other := newPair(t)
	groups, _, _ = keysources.WrapGroups(key, [][]keysources.Recipient{{other.r}}, 0, nil)
	_, err = keysources.Recover(context.Background(), groups, 0, []keysources.Identity{prot.id, plain.id}, nil)
	if err == nil || !strings.Contains(err.Error(), "not a recipient") {
		t.Errorf("Recover = %v", err)
	}
}
