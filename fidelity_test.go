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
	enc, err = hull.EncryptData([]byte(plain), format, hull.EncryptOptions{Groups: [][]keysources.Recipient{recips}, Rule: rule, AllowNoEncryption: true})
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

// TestCommentPositionsRoundTrip: hull reads back every YAML file it writes,
// whatever the comment positions (issue 14, items 1 and 2), with the
// default rule and with comments left in clear.
func TestCommentPositionsRoundTrip(t *testing.T) {
	inputs := []string{
		"a:\n  - b: # d\n",
		"k: &x # c\n  - b: 1\nl: *x\n",
		"a:\n  b:\n    - x\n  # c\n",
		"c:\n  d:\n    e: 1\n  # closes d\na:\n  b:\n    - x\n  # closes b\n",
		"a: {} # c\nb: [] # d\n",
		"l:\n  - x\n  # end\n",
		"l:\n  # first\n  - x\n",
		"l:\n  - - a\n    # in inner\n  - b\n",
		"a:\n  - b: 1 # inline\n    c: 2\n",
		"a: # on key\n  b: 1\n",
		"a:\n  b: 1\n  # closes a\nc: 2\n",
		"a: |\n  text\n# after literal\nb: 1\n",
		"a:\n  - # empty item comment\n    b: 1\n",
		"a: 1\n\n# foot of doc\n",
		"x_unencrypted:\n  - a # c\n  # d\ny: 1\n",
		"a: 1 # c\n---\nb:\n  - x\n  # e\n",
		"a:\n  - x: 1\n    # between\n    y: 2\n  # after item\n  - z\n",
	}
	rules := []metadata.Rule{{}, {Kind: metadata.EncryptedRegex, Value: "^(b|x|y|z)$"}}
	for _, in := range inputs {
		for _, r := range rules {
			_, dec, err := fidelityRoundTrip(t, in, "yaml", r)
			if err != nil {
				t.Errorf("%q (rule %v): %v", in, r, err)
				continue
			}
			// What hull prints is what it reads: decrypting again after a
			// second round trip gives the same text.
			_, dec2, err := fidelityRoundTrip(t, string(dec), "yaml", r)
			if err != nil || string(dec2) != string(dec) {
				t.Errorf("%q (rule %v): second round trip: %v\n%s\n---\n%s", in, r, err, dec, dec2)
			}
		}
	}
}
