package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/hullsecrets/hull/metadata"
)

const (
	ageA = "age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m"
	ageB = "age1duaj87g9lfv79tw2ppczsayzy7mgtp95qf806sfe40zankxlsf2qkd4x4m"
	fpA  = "842D725CEB1D378DAC9F2FA31390070CED3A532E"
)

// shamirConfig is testdata/interop/cases/yaml-shamir-2of3/.sops.yaml, the
// config sops 3.13.3 used to write that interop case.
const shamirConfig = `creation_rules:
  - path_regex: .*
    shamir_threshold: 2
    key_groups:
      - age: [age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m]
      - age: [age1duaj87g9lfv79tw2ppczsayzy7mgtp95qf806sfe40zankxlsf2qkd4x4m]
      - pgp: [842D725CEB1D378DAC9F2FA31390070CED3A532E]
`

func mustParse(t *testing.T, text string) *Config {
	t.Helper()
	c, err := Parse([]byte(text), "/cfg/.sops.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

// ids lists a group as "type:String()".
func ids(g KeyGroup) []string {
	out := []string{}
	for _, k := range g {
		out = append(out, k.Type+":"+k.String())
	}
	return out
}

func groupIDs(r *CreationRule) [][]string {
	var out [][]string
	for _, g := range r.KeyGroups {
		out = append(out, ids(g))
	}
	return out
}

func intp(v int) *int { return &v }

var validConfigs = []struct {
	name  string
	text  string
	check func(t *testing.T, c *Config)
}{
	{"flat string list", "creation_rules:\n  - age: ' " + ageA + " , ," + ageB + ",'\n", func(t *testing.T, c *Config) {
		r := &c.CreationRules[0]
		if r.PathRegex != nil {
			t.Errorf("PathRegex = %v, want nil", r.PathRegex)
		}
		want := [][]string{{"age:" + ageA, "age:" + ageB}}
		if got := groupIDs(r); !reflect.DeepEqual(got, want) {
			t.Errorf("groups = %q, want %q", got, want)
		}
		if r.KeyGroups[0][1].Line != 2 {
			t.Errorf("Line = %d, want 2", r.KeyGroups[0][1].Line)
		}
	}},
	{"flat yaml list", "creation_rules:\n  - age:\n      - " + ageA + "\n      - " + ageB + "," + ageA + "\n", func(t *testing.T, c *Config) {
		// Flat lists are not deduplicated, as in sops.
		want := [][]string{{"age:" + ageA, "age:" + ageB, "age:" + ageA}}
		if got := groupIDs(&c.CreationRules[0]); !reflect.DeepEqual(got, want) {
			t.Errorf("groups = %q, want %q", got, want)
		}
		if l := c.CreationRules[0].KeyGroups[0][1].Line; l != 4 {
			t.Errorf("Line = %d, want 4", l)
		}
	}},
	{"flat order and spellings", `creation_rules:
  - hc_vault_transit_uri: https://v:8200/v1/transit/keys/k
    azure_keyvault: https://x.vault.azure.net/keys/k/v1
    hckms: ["r1:u1, r2:u2"]
    gcp_kms: "projects/p/locations/l/keyRings/r/cryptoKeys/ k"
    kms: "arn:aws:kms:us-east-1:1:key/a+arn:aws:iam::1:role/r, arn:aws:kms:us-east-1:1:key/b"
    aws_profile: dev
    pgp: "AAAA BBBB"
    age: ` + ageA + `
    encrypted_regex: ^(data|stringData)$
    mac_only_encrypted: true
`, func(t *testing.T, c *Config) {
		r := &c.CreationRules[0]
		want := [][]string{{
			"age:" + ageA,
			"pgp:AAAABBBB",
			"kms:arn:aws:kms:us-east-1:1:key/a+arn:aws:iam::1:role/r||dev",
			"kms:arn:aws:kms:us-east-1:1:key/b||dev",
			"gcp_kms:projects/p/locations/l/keyRings/r/cryptoKeys/k",
			"hckms:r1:u1", "hckms:r2:u2",
			"azure_kv:https://x.vault.azure.net/keys/k/v1",
			"hc_vault:https://v:8200/v1/transit/keys/k",
		}}
		if got := groupIDs(r); !reflect.DeepEqual(got, want) {
			t.Errorf("groups = %q\nwant %q", got, want)
		}
		k := r.KeyGroups[0][2]
		if k.ID != "arn:aws:kms:us-east-1:1:key/a" || k.Role != "arn:aws:iam::1:role/r" || k.AWSProfile != "dev" {
			t.Errorf("kms = %+v", k)
		}
		if r.Rule != (metadata.Rule{Kind: metadata.EncryptedRegex, Value: "^(data|stringData)$"}) || !r.MACOnlyEncrypted || r.AWSProfile != "dev" {
			t.Errorf("rule = %+v", r)
		}
	}},
	{"key groups with merge", `creation_rules:
  - key_groups:
      - hc_vault: [https://v/v1/t/keys/k]
        azure_keyvault:
          - {vaultUrl: "https://x.vault.azure.net/", key: k, version: v1}
          - {vaultUrl: https://y.vault.azure.net, key: k}
        hckms: [{key_id: "r:u"}]
        gcp_kms: [{resource_id: projects/p/locations/l/keyRings/r/cryptoKeys/k}]
        kms:
          - arn: arn:aws:kms:us-east-1:1:key/a
            role: arn:aws:iam::1:role/r
            context: {b: "2", a: 1}
            aws_profile: p
          - arn: arn:aws:kms:us-east-1:1:key/a
        pgp: [` + fpA + `]
        age: ["` + ageA + `", "` + ageB + `"]
        merge:
          - age: [` + ageB + `]
            merge:
              - pgp: [` + fpA + `, "1111 2222"]
      - age: [` + ageA + `, ` + ageA + `]
    shamir_threshold: 2
`, func(t *testing.T, c *Config) {
		r := &c.CreationRules[0]
		want := [][]string{{
			// merge first, at every level: the nested group, then the
			// merged group's age, then this group's own keys.
			"pgp:" + fpA, "pgp:11112222", "age:" + ageB,
			"age:" + ageA, // pgp fpA and age ageB again: duplicates
			"kms:arn:aws:kms:us-east-1:1:key/a+arn:aws:iam::1:role/r|a:1,b:2|p",
			"kms:arn:aws:kms:us-east-1:1:key/a",
			"gcp_kms:projects/p/locations/l/keyRings/r/cryptoKeys/k",
			"hckms:r:u",
			"azure_kv:https://x.vault.azure.net/keys/k/v1",
			"azure_kv:https://y.vault.azure.net/keys/k",
			"hc_vault:https://v/v1/t/keys/k",
		}, {"age:" + ageA}}
		if got := groupIDs(r); !reflect.DeepEqual(got, want) {
			t.Errorf("groups = %q\nwant %q", got, want)
		}
		if r.ShamirThreshold != 2 {
			t.Errorf("ShamirThreshold = %d", r.ShamirThreshold)
		}
		k := r.KeyGroups[0][4]
		if !reflect.DeepEqual(k.Context, map[string]string{"a": "1", "b": "2"}) || k.Line != 10 {
			t.Errorf("kms = %+v", k)
		}
	}},
	{"empty rule has one empty group", "creation_rules:\n  - path_regex: ''\n  - {}\n  - ~\n  - key_groups: []\n", func(t *testing.T, c *Config) {
		if len(c.CreationRules) != 4 {
			t.Fatalf("%d rules", len(c.CreationRules))
		}
		for i, r := range c.CreationRules {
			if len(r.KeyGroups) != 1 || len(r.KeyGroups[0]) != 0 || r.PathRegex != nil || !r.Rule.IsZero() {
				t.Errorf("rule %d = %+v", i, r)
			}
		}
	}},
	{"empty key groups", "creation_rules:\n  - key_groups: [{}, ~]\n", func(t *testing.T, c *Config) {
		if got := groupIDs(&c.CreationRules[0]); !reflect.DeepEqual(got, [][]string{{}, {}}) {
			t.Errorf("groups = %q", got)
		}
	}},
	{"empty rule fields are unset", "creation_rules:\n  - encrypted_suffix: ''\n    unencrypted_suffix: _plain\n    encrypted_regex:\n", func(t *testing.T, c *Config) {
		if r := c.CreationRules[0].Rule; r != (metadata.Rule{Kind: metadata.UnencryptedSuffix, Value: "_plain"}) {
			t.Errorf("rule = %+v", r)
		}
	}},
	{"stores", "stores:\n  yaml: {indent: 2}\n  json: {indent: -1}\n  json_binary: {indent: 0}\n  dotenv: {}\n  ini:\n", func(t *testing.T, c *Config) {
		want := Stores{YAMLIndent: intp(2), JSONIndent: intp(-1), JSONBinaryIndent: intp(0)}
		if !reflect.DeepEqual(c.Stores, want) {
			t.Errorf("stores = %+v", c.Stores)
		}
		if *c.Stores.Indent("yaml") != 2 || *c.Stores.Indent("binary") != 0 || c.Stores.Indent("dotenv") != nil {
			t.Errorf("Indent: the output formats' settings are not those of stores")
		}
		if c.CreationRules != nil {
			t.Errorf("CreationRules = %v, want nil", c.CreationRules)
		}
	}},
	{"stores unset", "stores: {yaml: {}, json: {indent: ~}}\ncreation_rules: []\n", func(t *testing.T, c *Config) {
		if !reflect.DeepEqual(c.Stores, Stores{}) {
			t.Errorf("stores = %+v", c.Stores)
		}
		if c.CreationRules == nil || len(c.CreationRules) != 0 {
			t.Errorf("CreationRules = %#v, want empty, not nil", c.CreationRules)
		}
	}},
	{"destination rules", `destination_rules:
  - path_regex: ^prod/
    s3_bucket: b
    s3_prefix: p/
    recreation_rule:
      age: ` + ageA + `
      encrypted_suffix: _enc
  - gcs_bucket: g
    gcs_prefix: x
    path_regex: ""
  - vault_path: a/b
    vault_address: https://v
    omit_extensions: true
`, func(t *testing.T, c *Config) {
		if len(c.DestinationRules) != 3 {
			t.Fatalf("%d destination rules", len(c.DestinationRules))
		}
		d := c.DestinationRules[0]
		if d.Line != 2 || d.S3Bucket != "b" || d.S3Prefix != "p/" || d.RecreationRule == nil ||
			d.RecreationRule.Rule.Value != "_enc" || ids(d.RecreationRule.KeyGroups[0])[0] != "age:"+ageA {
			t.Errorf("rule 0 = %+v", d)
		}
		if d := c.DestinationRules[1]; d.GCSBucket != "g" || d.PathRegex != nil || d.RecreationRule != nil {
			t.Errorf("rule 1 = %+v", d)
		}
		if d := c.DestinationRules[2]; d.VaultKVMountName != "secret/" || d.VaultKVVersion != 2 || !d.OmitExtensions {
			t.Errorf("rule 2 = %+v", d)
		}
		if c.CreationRules != nil {
			t.Errorf("CreationRules = %v, want nil", c.CreationRules)
		}
	}},
	{"anchors, aliases and merge keys", `creation_rules:
  - &base
    path_regex: ^a/
    age: &rcpt ` + ageA + `
    encrypted_suffix: _a
  - <<: *base
    path_regex: ^b/
  - <<: [{path_regex: ^c/}, *base]
    age: *rcpt
    encrypted_suffix: ~
    unencrypted_suffix: _u
  - key_groups:
      - &g {pgp: [` + fpA + `]}
      - merge: [*g, *g]
        age: [*rcpt]
`, func(t *testing.T, c *Config) {
		rs := c.CreationRules
		if len(rs) != 4 {
			t.Fatalf("%d rules", len(rs))
		}
		if rs[1].PathRegex.String() != "^b/" || rs[1].Rule.Value != "_a" || ids(rs[1].KeyGroups[0])[0] != "age:"+ageA {
			t.Errorf("rule 1 = %+v", rs[1])
		}
		if rs[2].PathRegex.String() != "^c/" || rs[2].Rule.Kind != metadata.UnencryptedSuffix {
			t.Errorf("rule 2 = %+v", rs[2])
		}
		want := [][]string{{"pgp:" + fpA}, {"pgp:" + fpA, "age:" + ageA}}
		if got := groupIDs(&rs[3]); !reflect.DeepEqual(got, want) {
			t.Errorf("groups = %q", got)
		}
	}},
	{"hull_require_strict_mac", "creation_rules:\n  - path_regex: prod/\n    hull_require_strict_mac: true\n    age: " + ageA + "\n  - hull_require_strict_mac: false\n  - hull_require_strict_mac: ~\n  - age: " + ageA + "\n", func(t *testing.T, c *Config) {
		for i, want := range []bool{true, false, false, false} {
			if got := c.CreationRules[i].RequireStrictMAC; got != want {
				t.Errorf("rule %d: RequireStrictMAC = %v, want %v", i, got, want)
			}
		}
	}},
	{"empty file", "", func(t *testing.T, c *Config) {
		if c.CreationRules != nil || c.DestinationRules != nil {
			t.Errorf("config = %+v", c)
		}
	}},
	{"comments only, null creation_rules", "# nothing\ncreation_rules: ~\n---\n", func(t *testing.T, c *Config) {
		if c.CreationRules != nil {
			t.Errorf("config = %+v", c)
		}
	}},
	{"shamir interop config", shamirConfig, func(t *testing.T, c *Config) {
		checkShamir(t, c)
	}},
	{"scalars as strings", "creation_rules:\n  - path_regex: 2024\n    encrypted_suffix: 1\n    key_groups:\n      - pgp: [1234]\n", func(t *testing.T, c *Config) {
		r := c.CreationRules[0]
		if r.PathRegex.String() != "2024" || r.Rule.Value != "1" || r.KeyGroups[0][0].ID != "1234" {
			t.Errorf("rule = %+v", r)
		}
	}},
}

func checkShamir(t *testing.T, c *Config) {
	t.Helper()
	r, err := c.RuleFor("/cfg/secret.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"age:" + ageA}, {"age:" + ageB}, {"pgp:" + fpA}}
	if got := groupIDs(r); !reflect.DeepEqual(got, want) {
		t.Errorf("groups = %q, want %q", got, want)
	}
	if r.ShamirThreshold != 2 {
		t.Errorf("ShamirThreshold = %d, want 2", r.ShamirThreshold)
	}
}

func TestParseValid(t *testing.T) {
	for _, tc := range validConfigs {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, mustParse(t, tc.text))
		})
	}
}

var invalidConfigs = []struct {
	name string
	text string
	line int
	want string // a substring of the message
	is   error  // matched with errors.Is, besides ErrInvalid
}{
	{"duplicate key", "creation_rules:\n  - age: a\n    path_regex: x\n    age: b\n", 4, `duplicate key "age" (first at line 2)`, nil},
	{"top level not a mapping", "- a\n- b\n", 1, "the config must be a mapping, got a list", nil},
	{"creation_rules not a list", "creation_rules:\n  age: x\n", 2, "creation_rules: want a list, got a mapping", nil},
	{"rule not a mapping", "creation_rules:\n  - x\n", 2, "creation rule: want a mapping, got a string", nil},
	{"age number", "creation_rules:\n  - age: 42\n", 2, "age: want a string or a list of strings, got a number (quote it)", nil},
	{"age mapping", "creation_rules:\n  - pgp: {a: b}\n", 2, "pgp: want a string or a list of strings, got a mapping", nil},
	{"flat list of numbers", "creation_rules:\n  - kms:\n      - arn:x\n      - 12\n", 4, "kms: want a list of strings, got a number in the list", nil},
	{"hckms string", "creation_rules:\n  - hckms: r:u\n", 2, "hckms: want a list of strings, got a string", nil},
	{"group age string", "creation_rules:\n  - key_groups:\n      - age: " + ageA + "\n", 3, "age: want a list of strings, got a string", nil},
	{"group list in list", "creation_rules:\n  - key_groups:\n      - age: [[a]]\n", 3, "age: want a list of strings, got a list in the list", nil},
	{"key_groups not a list", "creation_rules:\n  - key_groups: {age: []}\n", 2, "key_groups: want a list, got a mapping", nil},
	{"kms entry string", "creation_rules:\n  - key_groups:\n      - kms: [arn:aws:kms:x]\n", 3, "kms entry: want a mapping, got a string", nil},
	{"flat kms without arn", "creation_rules:\n  - kms: 'arn:a, +arn:aws:iam::1:role/r'\n", 2, `kms: "+arn:aws:iam::1:role/r" has no ARN before the role`, nil},
	{"kms without arn", "creation_rules:\n  - key_groups:\n      - kms:\n          - role: r\n", 4, "kms entry: arn is missing or empty", nil},
	{"azure without key", "creation_rules:\n  - key_groups:\n      - azure_keyvault: [{vaultUrl: u}]\n", 3, "azure_keyvault entry: key is missing or empty", nil},
	{"context not a mapping", "creation_rules:\n  - key_groups:\n      - kms:\n          - arn: a\n            context: [a]\n", 5, "context: want a mapping, got a list", nil},
	{"context value null", "creation_rules:\n  - key_groups:\n      - kms:\n          - arn: a\n            context:\n              k: ~\n", 6, "context: k: want a string, got null", nil},
	{"path_regex mapping", "creation_rules:\n  - path_regex: {a: b}\n", 2, "path_regex: want a string, got a mapping", nil},
	{"threshold string", "creation_rules:\n  - shamir_threshold: \"2\"\n", 2, "shamir_threshold: want an integer, got a string", nil},
	{"threshold negative", "creation_rules:\n  - shamir_threshold: -1\n", 2, "shamir_threshold must not be negative", nil},
	{"threshold too big", "creation_rules:\n  - key_groups: [{age: [a]}, {age: [b]}]\n    shamir_threshold: 3\n", 3, "shamir_threshold 3 is more than the 2 key groups", nil},
	{"mac_only_encrypted yes", "creation_rules:\n  - mac_only_encrypted: yes\n", 2, "mac_only_encrypted: want true or false, got a string", nil},
	{"hull_require_strict_mac string", "creation_rules:\n  - hull_require_strict_mac: \"true\"\n", 2, "hull_require_strict_mac: want true or false, got a string", nil},
	{"hull_require_strict_mac list", "creation_rules:\n  - hull_require_strict_mac: [true]\n", 2, "hull_require_strict_mac: want true or false, got a list", nil},
	{"hull_require_strict_mac misspelled", "creation_rules:\n  - hull_require_strict_macs: true\n", 2, `unknown key "hull_require_strict_macs" in creation rule`, nil},
	{"top-level hull key misspelled", "hull_require_strict: true\n", 1, `unknown key "hull_require_strict" in the config`, nil},
	{"top-level hull_require_strict_mac type", "hull_require_strict_mac: 'yes'\n", 1, `want true or false`, nil},
	{"two rule fields", "creation_rules:\n  - encrypted_suffix: _e\n    age: a\n    unencrypted_regex: ^x\n", 4, "unencrypted_regex and encrypted_suffix (line 2) in one rule", metadata.ErrConflictingRules},
	{"invalid path_regex", "creation_rules:\n  - age: a\n  - path_regex: (foo\n", 3, "path_regex: invalid regular expression: missing closing )", metadata.ErrInvalidRegex},
	{"invalid path_regex after a match-all", "creation_rules:\n  - {}\n  - path_regex: '[z-a]'\n", 3, "invalid character class range", metadata.ErrInvalidRegex},
	{"invalid encrypted_regex", "creation_rules:\n  - encrypted_regex: '^(data'\n", 2, "invalid regular expression in encrypted_regex", metadata.ErrInvalidRegex},
	{"invalid comment regex", "creation_rules:\n  - unencrypted_comment_regex: 'a**'\n", 2, "invalid regular expression in unencrypted_comment_regex", metadata.ErrInvalidRegex},
	{"invalid destination regex", "destination_rules:\n  - path_regex: '*'\n", 2, "path_regex: invalid regular expression", metadata.ErrInvalidRegex},
	{"invalid recreation regex", "destination_rules:\n  - recreation_rule:\n      encrypted_regex: '('\n", 3, "invalid regular expression in encrypted_regex", metadata.ErrInvalidRegex},
	{"two destinations", "destination_rules:\n  - s3_bucket: a\n    vault_path: b\n", 2, "has s3_bucket and vault_path", nil},
	{"vault kv version", "destination_rules:\n  - vault_path: a\n    vault_kv_version: 3\n", 3, "vault_kv_version must be 1 or 2", nil},
	{"omit_extensions string", "destination_rules:\n  - omit_extensions: 'true'\n", 2, "omit_extensions: want true or false, got a string", nil},
	{"negative yaml indent", "stores:\n  yaml:\n    indent: -1\n", 3, "stores: yaml: indent must not be negative", nil},
	{"json indent below -1", "stores:\n  json_binary: {indent: -2}\n", 2, "stores: json_binary: indent must be -1 (a tab) or more", nil},
	{"indent float", "stores:\n  json: {indent: 2.5}\n", 2, "indent: want an integer, got a number", nil},
	{"flat keys with key_groups", "creation_rules:\n  - key_groups: [{age: [a]}]\n    pgp: " + fpA + "\n", 3, "keys outside key_groups are ignored when key_groups (line 2) is set", nil},
	{"aws_profile with key_groups", "creation_rules:\n  - aws_profile: p\n    key_groups: [{age: [a]}]\n", 2, "keys outside key_groups are ignored", nil},
	{"yaml syntax", "creation_rules:\n  - age: [a\n", 0, "did not find expected", nil},
	// Syntax errors carry the line yaml.v3 reports, which is sometimes
	// the start of the enclosing block rather than the error.
	{"yaml syntax line", "creation_rules:\n  - age: a\n    pgp: b\n  kms: c\n", 0, "did not find expected", nil},
	{"yaml syntax mapping", "creation_rules: []\nstores: a\n  yaml: b\n", 3, "mapping values are not allowed", nil},
	{"tab indentation", "creation_rules:\n\t- age: a\n", 2, "found character that cannot start any token", nil},
	{"second document", "creation_rules: []\n---\ncreation_rules: []\n", 3, "a config holds one YAML document", nil},
	{"unknown anchor", "creation_rules: *x\n", 0, "unknown anchor", nil},
	{"alias cycle in merge", "creation_rules:\n  - key_groups:\n      - &g\n        merge: [*g]\n", 0, "nested too deeply", nil},
	{"merge key cycle", "creation_rules:\n  - &r\n    <<: *r\n", 0, "nested too deeply", nil},
	{"merge key scalar", "creation_rules:\n  - <<: x\n", 2, "<<: want a mapping or a list of mappings, got a string", nil},
	{"non-scalar key", "creation_rules:\n  - ? [a]\n    : b\n", 2, "a key must be a string, got a list", nil},
}

// unknownKeys are ignored with a warning naming the line, as sops ignores
// them (TRUST.md: an unknown key never makes hull ignore the config).
var unknownKeys = []struct {
	name, text string
	line       int
	want       string
	is         error
}{
	{"unknown top-level key", "creation_rules: []\nreencryption_rule: {}\n", 2, `unknown key "reencryption_rule" in the config`, nil},
	{"unknown rule key", "creation_rules:\n  - path_regex: x\n    encrypted_regexp: y\n", 3, `unknown key "encrypted_regexp" in creation rule`, nil},
	{"unknown key group key", "creation_rules:\n  - key_groups:\n      - age: []\n        azure_kv: []\n", 4, `unknown key "azure_kv" in key group`, nil},
	{"unknown merged group key", "creation_rules:\n  - key_groups:\n      - merge:\n          - {age: [], plugins: []}\n", 4, `unknown key "plugins" in key group`, nil},
	{"unknown kms key", "creation_rules:\n  - key_groups:\n      - kms:\n          - arn: a\n            region: r\n", 5, `unknown key "region" in kms entry`, nil},
	{"unknown azure key", "creation_rules:\n  - key_groups:\n      - azure_keyvault:\n          - {vaultUrl: u, key: k, vault_url: u}\n", 4, `unknown key "vault_url"`, nil},
	{"unknown gcp key", "creation_rules:\n  - key_groups:\n      - gcp_kms: [{resource_id: r, resourceId: x}]\n", 3, `unknown key "resourceId" in gcp_kms entry`, nil},
	{"unknown hckms key", "creation_rules:\n  - key_groups:\n      - hckms: [{key_id: r:u, id: x}]\n", 3, `unknown key "id" in hckms entry`, nil},
	{"unknown destination key", "destination_rules:\n  - s3_bucket: b\n    s3_region: r\n", 3, `unknown key "s3_region" in destination rule`, nil},
	{"unknown recreation key", "destination_rules:\n  - recreation_rule:\n      agee: x\n", 3, `unknown key "agee" in recreation_rule`, nil},
	{"unknown stores key", "stores:\n  toml: {}\n", 2, `unknown key "toml" in stores`, nil},
	{"unknown store setting", "stores:\n  yaml:\n    indent: 2\n    width: 80\n", 4, `unknown key "width" in stores: yaml`, nil},
	{"dotenv settings", "stores:\n  dotenv:\n    indent: 2\n", 3, `unknown key "indent" in stores: dotenv`, nil},
}

func TestParseUnknownKeysWarn(t *testing.T) {
	for _, tc := range unknownKeys {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.text), "dir/.sops.yaml")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(c.Warnings) != 1 {
				t.Fatalf("warnings = %v, want one", c.Warnings)
			}
			w := c.Warnings[0]
			if w.Line != tc.line || !strings.Contains(w.Msg, tc.want) || !strings.HasPrefix(w.Error(), "dir/.sops.yaml:"+strconv.Itoa(tc.line)+": ") {
				t.Errorf("warning %q (line %d), want %q at line %d", w.Error(), w.Line, tc.want, tc.line)
			}
		})
	}
	// The rest of the config still applies.
	c, err := Parse([]byte("creation_rules:\n  - x_unknown: 1\n    encrypted_regex: ^pw$\n    hull_require_strict_mac: true\n"), ".sops.yaml")
	if err != nil || len(c.CreationRules) != 1 || !c.CreationRules[0].RequireStrictMAC || c.CreationRules[0].Rule.Value != "^pw$" {
		t.Errorf("config with an unknown key: %+v, %v", c, err)
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range invalidConfigs {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.text), "dir/.sops.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", c)
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			if tc.line != 0 && e.Line != tc.line {
				t.Errorf("line = %d, want %d (%v)", e.Line, tc.line, err)
			}
			if !strings.Contains(e.Msg, tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if e.Line > 0 && !strings.HasPrefix(err.Error(), "dir/.sops.yaml:"+strconv.Itoa(e.Line)+": ") {
				t.Errorf("error %q does not start with the file and line", err)
			}
			if strings.ToLower(e.Msg[:1]) != e.Msg[:1] || strings.HasSuffix(e.Msg, ".") {
				t.Errorf("error %q: want lowercase, no final period", e.Msg)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{File: "a/.sops.yaml", Line: 3, Msg: "bad"}, "a/.sops.yaml:3: bad"},
		{Error{File: "a/.sops.yaml", Msg: "bad"}, "a/.sops.yaml: bad"},
		{Error{Line: 3, Msg: "bad"}, "line 3: bad"},
		{Error{Msg: "bad"}, "bad"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestRuleFor(t *testing.T) {
	dir := t.TempDir()
	c, err := Parse([]byte(`creation_rules:
  - path_regex: ^sub/.*\.yaml$
    age: `+ageA+`
  - path_regex: \.json$
    age: `+ageB+`
  - path_regex: ^/
    pgp: `+fpA+`
  - path_regex: sub
    encrypted_suffix: _never
`), filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if c.Dir != dir {
		t.Fatalf("Dir = %q, want %q", c.Dir, dir)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	relToWD, err := filepath.Rel(wd, filepath.Join(dir, "sub", "a.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		rule int // -1: no match
	}{
		{filepath.Join(dir, "sub", "a.yaml"), 0},            // relative to the config dir
		{relToWD, 0},                                        // a relative path is made absolute first
		{filepath.Join(dir, "sub", "x", "..", "b.yaml"), 0}, // and cleaned
		{filepath.Join(dir, "sub", "a.json"), 1},            // first match wins: rule 3 matches too
		{filepath.Join(dir, "a.yaml"), -1},                  // "a.yaml" matches nothing
		{filepath.Join(dir, "..", "out.yaml"), 2},           // outside: the absolute path
		{filepath.Join(dir+"x", "sub", "a.yaml"), 2},        // a prefix that is not a directory
		{filepath.Join(dir, "other", "sub"), 3},
	} {
		r, err := c.RuleFor(tc.path)
		if tc.rule < 0 {
			if !errors.Is(err, ErrNoMatchingRule) || !strings.Contains(err.Error(), `"a.yaml"`) {
				t.Errorf("RuleFor(%q) = %v, %v; want ErrNoMatchingRule naming the path", tc.path, r, err)
			}
			continue
		}
		if err != nil || r != &c.CreationRules[tc.rule] {
			t.Errorf("RuleFor(%q) = line %v, %v; want rule %d", tc.path, r, err, tc.rule)
		}
	}

	none := mustParse(t, "stores: {yaml: {indent: 2}}\n")
	if _, err := none.RuleFor("/cfg/a.yaml"); err != ErrNoCreationRules {
		t.Errorf("RuleFor without creation_rules = %v, want ErrNoCreationRules", err)
	}
	empty := mustParse(t, "creation_rules: []\n")
	if _, err := empty.RuleFor("/cfg/a.yaml"); !errors.Is(err, ErrNoMatchingRule) {
		t.Errorf("RuleFor with empty creation_rules = %v, want ErrNoMatchingRule", err)
	}
	if got, want := ErrNoMatchingRule.Error(), "no matching creation rules found"; got != want {
		t.Errorf("ErrNoMatchingRule = %q, want sops's %q", got, want)
	}
}

func TestRuleForRootConfig(t *testing.T) {
	// As in sops, a config in "/" does not make paths relative ("//" is
	// never a prefix).
	if filepath.Separator != '/' {
		t.Skip("unix paths")
	}
	c := mustParse(t, "creation_rules:\n  - path_regex: ^/etc/\n    age: "+ageA+"\n")
	c.Dir = "/"
	if _, err := c.RuleFor("/etc/x.yaml"); err != nil {
		t.Error(err)
	}
}

func TestDestinationFor(t *testing.T) {
	c := mustParse(t, `destination_rules:
  - path_regex: ^prod/
    s3_bucket: a
  - path_regex: staging
    gcs_bucket: b
`)
	for _, tc := range []struct {
		path string
		want string
	}{
		{"prod/a.yaml", "a"},
		{"/cfg/prod/a.yaml", ""}, // matched as given, not made relative
		{"x/staging/a.yaml", "b"},
	} {
		d, ok := c.DestinationFor(tc.path)
		switch {
		case tc.want == "" && ok:
			t.Errorf("DestinationFor(%q) = %+v, want none", tc.path, d)
		case tc.want != "" && (!ok || d.S3Bucket+d.GCSBucket != tc.want):
			t.Errorf("DestinationFor(%q) = %+v, %v; want %q", tc.path, d, ok, tc.want)
		}
	}
	all := mustParse(t, "destination_rules:\n  - vault_path: x\n")
	if d, ok := all.DestinationFor("anything"); !ok || d.VaultPath != "x" {
		t.Errorf("DestinationFor without path_regex = %+v, %v", d, ok)
	}
}

func TestExample(t *testing.T) {
	path := filepath.Join("..", ".sops.yaml.example")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	rule := func(p string) *CreationRule {
		t.Helper()
		r, err := c.RuleFor(filepath.Join(c.Dir, filepath.FromSlash(p)))
		if err != nil {
			t.Fatalf("RuleFor(%s): %v", p, err)
		}
		return r
	}

	k8s := rule("k8s/secret.yaml")
	if k8s.Rule != (metadata.Rule{Kind: metadata.EncryptedRegex, Value: "^(data|stringData)$"}) ||
		!reflect.DeepEqual(groupIDs(k8s), [][]string{{"age:" + ageA, "age:" + ageB}}) {
		t.Errorf("k8s rule = %+v", k8s)
	}

	prod := rule("env/prod/db.yaml")
	if prod.ShamirThreshold != 2 || len(prod.KeyGroups) != 3 || !prod.MACOnlyEncrypted || prod.Rule.Kind != metadata.UnencryptedSuffix {
		t.Errorf("prod rule = %+v", prod)
	}
	types := map[string]bool{}
	for _, r := range []*CreationRule{prod, rule("env/staging/db.yaml")} {
		for _, g := range r.KeyGroups {
			for _, k := range g {
				types[k.Type] = true
				if k.Line == 0 {
					t.Errorf("key %+v has no line", k)
				}
			}
		}
	}
	for _, typ := range metadata.StanzaTypes {
		if !types[typ] {
			t.Errorf("the example has no %s key", typ)
		}
	}
	kms := prod.KeyGroups[0][1]
	if kms.Type != "kms" || kms.Role == "" || len(kms.Context) != 2 || kms.AWSProfile != "prod" {
		t.Errorf("prod kms = %+v", kms)
	}
	if got := ids(prod.KeyGroups[2]); len(got) != 4 || got[0] != "age:"+ageB {
		t.Errorf("prod group 3 (merge first) = %q", got)
	}

	if dev := rule("env/dev/a.yaml"); !reflect.DeepEqual(groupIDs(dev), [][]string{ids(prod.KeyGroups[2][:2])}) {
		t.Errorf("dev groups = %q", groupIDs(dev))
	}
	if r := rule("app.commented.yaml"); r.Rule.Kind != metadata.EncryptedCommentRegex {
		t.Errorf("comment rule = %+v", r)
	}
	if r := rule("README.md"); r.PathRegex != nil || !r.Rule.IsZero() {
		t.Errorf("catch-all rule = %+v", r)
	}
	if len(c.DestinationRules) != 2 || c.Stores.YAMLIndent == nil || *c.Stores.YAMLIndent != 2 {
		t.Errorf("destinations %+v, stores %+v", c.DestinationRules, c.Stores)
	}
}

func TestInteropShamirConfig(t *testing.T) {
	path := filepath.Join("..", "testdata", "interop", "cases", "yaml-shamir-2of3", FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(data, "/cfg/.sops.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The file lists the groups in another order than the copy above.
	r, _ := c.RuleFor("/cfg/x.yaml")
	if len(r.KeyGroups) != 3 || r.ShamirThreshold != 2 {
		t.Errorf("interop config: %d groups, threshold %d", len(r.KeyGroups), r.ShamirThreshold)
	}
	checkShamir(t, mustParse(t, shamirConfig))
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v", err)
	}
	p := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(p, []byte("creation_rules:\n  - age: [x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	var e *Error
	if !errors.As(err, &e) || e.File != p {
		t.Errorf("Load = %v", err)
	}
}

func TestCache(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, FileName)
	if err := os.WriteFile(p, []byte("creation_rules:\n  - age: age1x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := NewCache()
	a, err := c.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, []byte("not: [valid"), 0o600)
	if b, err := c.Load(p); err != nil || b != a {
		t.Errorf("second load: %p, %v; want the first config %p", b, err, a)
	}
	if got := c.New([]string{"w1", "w2"}); len(got) != 2 {
		t.Errorf("first warnings: %v", got)
	}
	if got := c.New([]string{"w2", "w3"}); len(got) != 1 || got[0] != "w3" {
		t.Errorf("second warnings: %v", got)
	}
	var nilCache *Cache
	if got := nilCache.New([]string{"w1"}); len(got) != 1 {
		t.Errorf("nil cache: %v", got)
	}
}
