package hull_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/metadata"
)

// fidelityRoundTrip encrypts plain in format with the age test key and the
// given rule, and decrypts the result.
func fidelityRoundTrip(t *testing.T, plain, format string, rule metadata.Rule) (enc, dec []byte, err error) {
	t.Helper()
	recips, err := age.ParseRecipients("age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m")
	if err != nil {
		t.Fatal(err)
	}
	enc, err = hull.EncryptData([]byte(plain), format, hull.EncryptOptions{Groups: [][]keysources.Recipient{recips}, Rule: rule})
	if err != nil {
		return nil, nil, err
	}
	ids, err := age.ParseIdentities(strings.NewReader(exampleIdentity), "test")
	if err != nil {
		t.Fatal(err)
	}
	dec, err = hull.DecryptData(context.Background(), enc, format, hull.DecryptOptions{Identities: ids})
	return enc, dec, err
}

// TestUnencryptedCommentRegexMatchesCiphertext: a regex that matches an
// encrypted comment would make the written file read back with values in
// clear that the MAC covers encrypted; sops refuses to write it (exit 23),
// and so does hull (issue 14, item 3), without quoting the ciphertext.
func TestUnencryptedCommentRegexMatchesCiphertext(t *testing.T) {
	_, _, err := fidelityRoundTrip(t, "# hello\na: 1\n", "yaml", metadata.Rule{Kind: metadata.UnencryptedCommentRegex, Value: "ENC"})
	if !errors.Is(err, hull.ErrEncrypt) || !strings.Contains(err.Error(), "encrypted comment matches UnencryptedCommentRegex! Make sure that UnencryptedCommentRegex cannot match an encrypted comment") {
		t.Fatalf("err = %v, want ErrEncrypt with sops's sentence", err)
	}
	if strings.Contains(err.Error(), "ENC[") {
		t.Fatalf("the error quotes the ciphertext: %v", err)
	}
	// A regex that cannot match ciphertext still works.
	if _, dec, err := fidelityRoundTrip(t, "# hello\na: 1\n# sops:nocrypt\nb: 2\n", "yaml", metadata.Rule{Kind: metadata.UnencryptedCommentRegex, Value: "sops:nocrypt"}); err != nil || string(dec) != "# hello\na: 1\n# sops:nocrypt\nb: 2\n" {
		t.Fatalf("round trip: %v\n%s", err, dec)
	}
}
