package vault

import (
	"errors"
	"testing"

	"github.com/hullsecrets/hull/keysources"
)

func TestCheckRecipients(t *testing.T) {
	rs, err := ParseRecipients("https://vault.example:8200/v1/transit/keys/k", Options{})
	if err != nil {
		t.Fatal(err)
	}
	groups := [][]keysources.Recipient{rs}
	if err := (Allowlist{}).CheckRecipients(groups); !errors.Is(err, keysources.ErrEndpointNotAllowed) {
		t.Errorf("zero allowlist: %v", err)
	}
	if err := (Allowlist{}).With("https://vault.example:8200").CheckRecipients(groups); err != nil {
		t.Errorf("allowed address: %v", err)
	}
}
