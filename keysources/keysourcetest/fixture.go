package keysourcetest

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"os"
	"regexp"
	"sort"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/hullsecrets/hull/metadata"
)

// SopsYAMLGroups reads the key groups of a YAML file written by sops (such
// as the interop fixtures in testdata/interop/cases), independently of
// hull's own parsers: the top-level lists as one group, or key_groups. It
// also returns shamir_threshold.
func SopsYAMLGroups(t testing.TB, path string) ([][]metadata.Stanza, int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Sops struct {
			KeyGroups       []map[string][]map[string]string `yaml:"key_groups"`
			ShamirThreshold int                              `yaml:"shamir_threshold"`
			Age             []map[string]string              `yaml:"age"`
			PGP             []map[string]string              `yaml:"pgp"`
		} `yaml:"sops"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	group := func(m map[string][]map[string]string) []metadata.Stanza {
		var types []string
		for typ := range m {
			types = append(types, typ)
		}
		sort.Strings(types)
		var g []metadata.Stanza
		for _, typ := range types {
			for _, fields := range m[typ] {
				var names []string
				for k := range fields {
					names = append(names, k)
				}
				sort.Strings(names)
				var kv []string
				for _, k := range names {
					kv = append(kv, k, fields[k])
				}
				g = append(g, metadata.NewStanza(typ, kv...))
			}
		}
		return g
	}
	if len(doc.Sops.KeyGroups) > 0 {
		var gs [][]metadata.Stanza
		for _, m := range doc.Sops.KeyGroups {
			gs = append(gs, group(m))
		}
		return gs, doc.Sops.ShamirThreshold
	}
	g := group(map[string][]map[string]string{"age": doc.Sops.Age, "pgp": doc.Sops.PGP})
	if len(g) == 0 {
		t.Fatalf("%s: no key stanzas found", path)
	}
	return [][]metadata.Stanza{g}, doc.Sops.ShamirThreshold
}

// CheckDataKey fails the test unless key opens the MAC of the sops file at
// path: sops encrypts the MAC with AES-256-GCM under the data key, with
// lastmodified as additional data, so only the right key opens it.
func CheckDataKey(t testing.TB, path string, key []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Sops struct {
			LastModified string `yaml:"lastmodified"`
			MAC          string `yaml:"mac"`
		} `yaml:"sops"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m := macRE.FindStringSubmatch(doc.Sops.MAC)
	if m == nil {
		t.Fatalf("%s: no ENC[…] mac", path)
	}
	var parts [3][]byte
	for i := range parts {
		if parts[i], err = base64.StdEncoding.DecodeString(m[i+1]); err != nil {
			t.Fatalf("%s: mac: %v", path, err)
		}
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatalf("data key: %v", err)
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(parts[1]))
	if err != nil {
		t.Fatal(err)
	}
	mac, err := gcm.Open(nil, parts[1], append(parts[0], parts[2]...), []byte(doc.Sops.LastModified))
	if err != nil {
		t.Fatalf("%s: the data key does not open the MAC: %v", path, err)
	}
	if len(mac) != 128 {
		t.Fatalf("%s: MAC is %d characters, want 128 hex digits", path, len(mac))
	}
}

var macRE = regexp.MustCompile(`^ENC\[AES256_GCM,data:([^,]*),iv:([^,]*),tag:([^,]*),type:str\]$`)
