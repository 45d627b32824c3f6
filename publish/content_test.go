package publish

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/formats/yaml"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
)

// ageKey is a new age identity and its recipient.
func ageKey(t *testing.T) ([]keysources.Identity, string) {
	t.Helper()
	file, rcpt, err := age.GenerateIdentity(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ids, err := age.ParseIdentities(bytes.NewReader(file), "test")
	if err != nil {
		t.Fatal(err)
	}
	return ids, rcpt
}

// source is a Source for data, an encrypted YAML file, opened with ids.
func source(t *testing.T, data []byte, ids []keysources.Identity, changes *strings.Builder) Source {
	return Source{Path: "f.yaml", In: yaml.New(), Out: yaml.New(), Changes: changes,
		Read: func() ([]byte, error) { return data, nil },
		Open: func() (*hull.KeyFile, error) {
			plain, err := yaml.New().Parse(data, formats.ParseOptions{Encrypted: true})
			if err != nil {
				return nil, err
			}
			cipher, _ := yaml.New().Parse(data, formats.ParseOptions{Encrypted: true})
			o, err := hull.Decrypt(context.Background(), plain, hull.DecryptOptions{Identities: ids})
			return &hull.KeyFile{Original: data, Plain: plain, Cipher: cipher, Opened: o}, err
		},
		Recipients: func(rr *config.CreationRule) ([][]keysources.Recipient, error) {
			r, err := age.ParseRecipients(rr.KeyGroups[0][0].ID)
			return [][]keysources.Recipient{r}, err
		}}
}

func TestContent(t *testing.T) {
	mine, myRcpt := ageKey(t)
	theirs, theirRcpt := ageKey(t)
	r, err := age.ParseRecipients(myRcpt)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := hull.EncryptPlain([]byte("a: 1\nb: two\n"), "f.yaml", hull.EncryptOptions{Groups: [][]keysources.Recipient{r}, Format: yaml.New(), InputFormat: yaml.New()}, formats.EmitOptions{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var changes strings.Builder
	bucket := Target{Kind: S3, Bucket: "b", Key: "f.yaml"}

	// A bucket without a recreation rule gets the file as it is; a file
	// that is not encrypted is refused.
	if body, _, err := Content(bucket, nil, source(t, enc, mine, &changes)); err != nil || !bytes.Equal(body, enc) {
		t.Fatalf("bucket: %v\n%s", err, body)
	}
	if _, _, err := Content(bucket, nil, source(t, []byte("a: 1\n"), mine, &changes)); err == nil || !strings.Contains(err.Error(), "not an encrypted file") {
		t.Fatalf("plaintext: %v", err)
	}
	// Vault gets the values.
	if _, data, err := Content(Target{Kind: Vault}, nil, source(t, enc, mine, &changes)); err != nil || data["a"] != int64(1) || data["b"] != "two" {
		t.Fatalf("vault: %v %v", data, err)
	}
	// A recreation rule: the file for the rule's key only, the change
	// described first.
	rr := &config.CreationRule{KeyGroups: []config.KeyGroup{{{Type: "age", ID: theirRcpt}}}}
	body, _, err := Content(bucket, rr, source(t, enc, mine, &changes))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(changes.String(), "+++ "+theirRcpt) || !strings.Contains(changes.String(), "--- "+myRcpt) {
		t.Errorf("changes: %q", changes.String())
	}
	if _, _, err := Content(Target{Kind: Vault}, nil, source(t, body, theirs, &changes)); err != nil {
		t.Errorf("the rule's key cannot read the recreated file: %v", err)
	}
	if _, _, err := Content(Target{Kind: Vault}, nil, source(t, body, mine, &changes)); err == nil {
		t.Error("the old key still reads the recreated file")
	}
}
