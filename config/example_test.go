package config_test

import (
	"fmt"

	"github.com/hullsecrets/hull/config"
)

func ExampleConfig_RuleFor() {
	c, err := config.Parse([]byte(`creation_rules:
  - path_regex: ^k8s/
    encrypted_regex: ^(data|stringData)$
    age: age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m
  - path_regex: \.env$
    age: age1duaj87g9lfv79tw2ppczsayzy7mgtp95qf806sfe40zankxlsf2qkd4x4m
`), "/repo/.sops.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := c.RuleFor("/repo/k8s/secret.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Line, r.Rule.Kind, r.KeyGroups[0][0].Type)
	_, err = c.RuleFor("/repo/README.md")
	fmt.Println(err)
	// Output:
	// 2 encrypted_regex age
	// no matching creation rules found for "README.md"
}

func ExampleParse_error() {
	_, err := config.Parse([]byte("creation_rules:\n  - path_regex: x\n    encrypted_regex: '('\n"), ".sops.yaml")
	fmt.Println(err != nil)
	c, _ := config.Parse([]byte("creation_rules:\n  - path_regex: x\n    encrypted_regexp: y\n"), ".sops.yaml")
	fmt.Println(c.Warnings[0].Error())
	// Output:
	// true
	// .sops.yaml:3: unknown key "encrypted_regexp" in creation rule is ignored (known: path_regex, age, pgp, kms, aws_profile, gcp_kms, azure_keyvault, hc_vault_transit_uri, hckms, key_groups, shamir_threshold, mac_only_encrypted, encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, unencrypted_comment_regex, hull_require_strict_mac)
}
