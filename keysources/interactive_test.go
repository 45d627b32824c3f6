package keysources_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/internal/agetest"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
)

// protectedPair is an age identity in a passphrase-protected identity file
// (as age -p -a writes it), whose user answers "pass".
func protectedPair(t *testing.T, user *agetest.User) keyPair {
	t.Helper()
	content, recipient, err := age.GenerateIdentity(testTime)
	if err != nil {
		t.Fatal(err)
	}
	file := agetest.Protect(t, "pass", content, true)
	ids, err := age.ParseIdentitiesWith(bytes.NewReader(file), "protected.txt", age.Options{UI: user.UI()})
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
	user := &agetest.User{Answer: "pass"}
	prot := protectedPair(t, user)
	plain := newPair(t)
	key := newKey(t)

	// The protected key's stanza comes first and is listed first: the
	// plain key still opens the file without a question.
	groups, _, err := keysources.WrapGroups(key, [][]keysources.Recipient{{prot.r, plain.r}}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := keysources.Recover(context.Background(), groups, 0, []keysources.Identity{prot.id, plain.id}, nil)
	if err != nil || !bytes.Equal(got, key) || user.Asked() != 0 {
		t.Fatalf("Recover = %v; asked %d times, want 0", err, user.Asked())
	}

	// Three groups that only the protected key opens, opened
	// concurrently: one question.
	groups, th, err := keysources.WrapGroups(key, [][]keysources.Recipient{{prot.r}, {prot.r}, {prot.r}}, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err = keysources.Recover(context.Background(), groups, th, []keysources.Identity{plain.id, prot.id}, nil)
	if err != nil || !bytes.Equal(got, key) || user.Asked() != 1 {
		t.Fatalf("Recover = %v; asked %d times, want 1", err, user.Asked())
	}

	// Not a recipient at all: the report says so for both keys.
	other := newPair(t)
	groups, _, _ = keysources.WrapGroups(key, [][]keysources.Recipient{{other.r}}, 0, nil)
	_, err = keysources.Recover(context.Background(), groups, 0, []keysources.Identity{prot.id, plain.id}, nil)
	if err == nil || !strings.Contains(err.Error(), "not a recipient") {
		t.Errorf("Recover = %v", err)
	}
}
