package cloudkey

import (
	"strings"
	"testing"
)

func TestParseKMS(t *testing.T) {
	const arn = "arn:aws:kms:eu-west-1:123456789012:key/abc"
	keys, err := ParseKMS(" "+arn+" ,,"+arn+"+arn:aws:iam::1:role/r", map[string]string{"b": "2", "a": "1"}, "p")
	if err != nil || len(keys) != 2 {
		t.Fatal(keys, err)
	}
	if got := keys[1].String(); got != arn+"+arn:aws:iam::1:role/r|a:1,b:2|p" {
		t.Errorf("String = %q", got)
	}
	if got := (KMSKey{ARN: arn, Context: map[string]string{"a": "1"}}).String(); got != arn+"|a:1" {
		t.Errorf("String = %q", got)
	}
	for in, want := range map[string]string{
		"arn:aws:kms:eu-west-1:1:nokey":                       `KMS key 1: "arn:aws:kms:eu-west-1:1:nokey" is not a KMS key ARN`,
		arn + "," + "arn:aws:kms:evil.com/x:1:key/k":          `KMS key 2: KMS key ARN "arn:aws:kms:evil.com/x:1:key/k" has an invalid region "evil.com/x"`,
		"arn:aws:kms:eu-west-1:1:key/k+role":                  "", // no "+arn:": one ARN with a "+" in its path
		"arn:aws:kms:eu-west-1:1:key/k+arn:aws:iam::1:role/r": "",
	} {
		_, err := ParseKMS(in, nil, "")
		if (want == "") != (err == nil) || err != nil && !strings.HasPrefix(err.Error(), want) {
			t.Errorf("ParseKMS(%q) = %v, want %q", in, err, want)
		}
	}
	if _, err := NewKMSKey(arn, "role", nil, ""); err == nil {
		t.Error("a role that is not an ARN was accepted")
	}
}

func TestParseContext(t *testing.T) {
	c, err := ParseContext("a:1,b:2")
	if err != nil || len(c) != 2 || c["b"] != "2" {
		t.Errorf("%v %v", c, err)
	}
	if c, err := ParseContext(""); c != nil || err != nil {
		t.Errorf("empty: %v %v", c, err)
	}
	if _, err := ParseContext("a:1,b"); err == nil || !strings.Contains(err.Error(), "pair 2") {
		t.Errorf("malformed: %v", err)
	}
}

func TestGCPAndAzure(t *testing.T) {
	ids, err := ParseGCPKMS("projects/p/locations/l/keyRings/r/cryptoKeys/k, projects/p/locations/l/keyRings/r/cryptoKeys/k2")
	if err != nil || len(ids) != 2 || ids[1] != "projects/p/locations/l/keyRings/r/cryptoKeys/k2" {
		t.Errorf("%v %v", ids, err)
	}
	if _, err := ParseGCPKMS("projects/p/keyRings/r"); err == nil || !strings.HasPrefix(err.Error(), "GCP KMS key 1:") {
		t.Errorf("malformed: %v", err)
	}
	keys, err := ParseAzureKV("https://v.vault.azure.net/keys/k/1, https://v.vault.azure.net/keys/k")
	if err != nil || len(keys) != 2 || keys[0].String() != "https://v.vault.azure.net/keys/k/1" ||
		keys[1].Version != "" || keys[1].String() != "https://v.vault.azure.net/keys/k/" {
		t.Errorf("%+v %v", keys, err)
	}
	if _, err := ParseAzureKV("http://v/keys/k"); err == nil || !strings.HasPrefix(err.Error(), "Azure Key Vault key 1:") {
		t.Errorf("malformed: %v", err)
	}
	if _, err := NewAzureKey("https://v", "", ""); err == nil {
		t.Error("a key without a name was accepted")
	}
}
