package scan

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		name, in string
		kind     string // "" for no finding
		line     int
		col      int
	}{
		{"aws id", "key = AKIAZ4QW7RT2XK9PLM3B\n", KindAWSAccessKeyID, 1, 7},
		{"aws docs example", "AKIAIOSFODNN7EXAMPLE\n", "", 0, 0},
		{"github", "x\n  token: ghp_Zr8Kq2Vn5Xm9Lp3Wt7BcYh4Jd6Fs1Ga0Ue8Ri\n", KindGitHubToken, 2, 10},
		{"github placeholder", "ghp_" + strings.Repeat("x", 36), "", 0, 0},
		{"yaml password", "db:\n  password: Vq8#mZ2!pL4w\n", KindSecretAssignment, 2, 13},
		{"yaml password low entropy", "password: production\n", "", 0, 0},
		{"env quoted", "export API_KEY=\"q9XvB2mK7pLz4WnR8tYc\"\n", KindSecretAssignment, 1, 17},
		{"json minified second key", `{"a":"b","client_secret":"Zr8Kq2Vn5Xm9Lp3Wt7Bc"}`, KindSecretAssignment, 1, 27},
		{"ENC value", "password: ENC[AES256_GCM,data:Zr8Kq2Vn5Xm9Lp3Wt7Bc,iv:a,tag:b,type:str]\n", "", 0, 0},
		{"sops block", "a: b\nsops:\n    api_token: Zr8Kq2Vn5Xm9Lp3Wt7Bc\n", "", 0, 0},
		{"after sops block", "sops:\n    x: y\napi_token: Zr8Kq2Vn5Xm9Lp3Wt7Bc\n", KindSecretAssignment, 3, 12},
		{"allow comment", "api_token: Zr8Kq2Vn5Xm9Lp3Wt7Bc # hull-scan:allow\n", "", 0, 0},
		{"url", "url: https://bob:Zr8Kq2Vn5X@git.corp.net/x\n", KindURLCredentials, 1, 18},
		{"url placeholder", "url: https://bob:${PW}@git.corp.net/x\n", "", 0, 0},
		{"url password with a stand-in word in it", "DATABASE_URL=postgres://admin:S3cr3tPassw0rd@db.prod\n", KindURLCredentials, 1, 31},
		{"url placeholder of stand-in words", "DATABASE_URL=postgres://admin:mysecretpassword@db.prod\n", "", 0, 0},
		{"url placeholder user_pwd", "u: mysql://root:user_pwd@db.internal/x\n", "", 0, 0},
		{"hash name", "password_sha256: 4f9c2b7d1e8a6f3c0b5d9e2a7c4f1b8d3e6a9c2f5b8e1d4a7c0f3b6e9d2a5c8f\n", "", 0, 0},
		{"sha prefix", "token: sha256:4f9c2b7d1e8a6f3c0b5d9e2a7c4f1b8d\n", "", 0, 0},
		{"uuid", "api_key: 123e4567-e89b-42d3-a456-426614174000\n", "", 0, 0},
		{"pem header only", "const h = \"-----BEGIN RSA PRIVATE KEY-----\"\n", "", 0, 0},
		{"pem", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n", KindPrivateKey, 1, 1},
		{"age", "AGE-SECRET-KEY-1" + strings.Repeat("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 2)[:58] + "\n", KindAgeSecretKey, 1, 1},
		{"code getenv", "password := os.Getenv(\"DB_PASSWORD\")\n", "", 0, 0},
		{"compass", "\"compass\": \"Zr8Kq2Vn5Xm9Lp3Wt7Bc\"\n", "", 0, 0},
		{"binary", "api_token: Zr8Kq2Vn5Xm9Lp3Wt7Bc\x00\n", "", 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := ScanData("f", []byte(c.in))
			if c.kind == "" {
				if len(fs) != 0 {
					t.Fatalf("want nothing, got %+v", fs)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("want one %s, got %+v", c.kind, fs)
			}
			f := fs[0]
			if f.Kind != c.kind || f.Line != c.line || f.Column != c.col {
				t.Fatalf("got %s at %d:%d, want %s at %d:%d", f.Kind, f.Line, f.Column, c.kind, c.line, c.col)
			}
			if strings.Contains(c.in, strings.TrimSuffix(f.Redacted, "…")+"x") && len(f.Redacted) > 8 && f.Kind != KindPrivateKey {
				t.Fatalf("redacted %q", f.Redacted)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{"ghp_abcdefghijklmnop": "ghp_…", "hunter2x": "hu…", "abc": "…"} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBaseline(t *testing.T) {
	b, err := ParseBaseline([]byte("ignore:\n  - testdata/**\n  - \"*.min.js\"\n  - docs/*.md\naccepted: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"testdata/a": true, "testdata/x/y/z.env": true, "a/b.min.js": true, "docs/a.md": true,
		"docs/x/a.md": false, "src/testdata/a": false, ".hullscan.yaml": true, "sub/.hullscan.yaml": true, "a.env": false,
	} {
		if got := b.Ignored(name); got != want {
			t.Errorf("Ignored(%q) = %v, want %v", name, got, want)
		}
	}
	key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := hex.DecodeString(key)
	fs := ScanDataKeyed(kb, "a.env", []byte("API_TOKEN=Zr8Kq2Vn5Xm9Lp3Wt7Bc\n"))
	nb := b.WithFindings(key, fs)
	text := nb.Marshal()
	if strings.Contains(string(text), "Zr8K") {
		t.Fatal("baseline holds the secret")
	}
	rb, err := ParseBaseline(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if !rb.Accepts(fs[0]) || len(rb.Ignore) != 3 {
		t.Fatalf("round trip lost data:\n%s", text)
	}
	other := ScanDataKeyed(kb, "b.env", []byte("API_TOKEN=Zr8Kq2Vn5Xm9Lp3Wt7Bc\n"))
	if rb.Accepts(other[0]) {
		t.Fatal("a fingerprint accepted the same secret in another file")
	}
	// The fingerprint is keyed: not the unkeyed SHA-256 a dictionary can
	// test, and different under another repository's key.
	if fs[0].Fingerprint == LegacyFingerprint("a.env", fs[0].Kind, "Zr8Kq2Vn5Xm9Lp3Wt7Bc") {
		t.Fatal("the fingerprint is the unkeyed SHA-256")
	}
	if fs[0].Fingerprint != KeyedFingerprint(kb, "a.env", fs[0].Kind, "Zr8Kq2Vn5Xm9Lp3Wt7Bc") {
		t.Fatal("the fingerprint is not KeyedFingerprint")
	}
	key2, _ := NewKey()
	kb2, _ := hex.DecodeString(key2)
	if again := ScanDataKeyed(kb2, "a.env", []byte("API_TOKEN=Zr8Kq2Vn5Xm9Lp3Wt7Bc\n")); rb.Accepts(again[0]) {
		t.Fatal("a baseline accepted a fingerprint made under another key")
	}
	// A baseline written before keys (no key, unkeyed fingerprints) still
	// accepts its findings, whatever key the scan uses.
	legacy, err := ParseBaseline([]byte("accepted:\n  - fingerprint: " + LegacyFingerprint("a.env", fs[0].Kind, "Zr8Kq2Vn5Xm9Lp3Wt7Bc") + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !legacy.Legacy() || !legacy.Accepts(fs[0]) || legacy.Accepts(other[0]) {
		t.Fatal("a legacy baseline does not accept its finding (or accepts another)")
	}
	if _, err := ParseBaseline([]byte("key: abc\n")); err == nil {
		t.Error("a malformed key was accepted")
	}
	for _, bad := range []string{"ignor: []\n", "accepted:\n  - fingerprint: abc\n", "ignore:\n  - \"[\"\n"} {
		if _, err := ParseBaseline([]byte(bad)); err == nil {
			t.Errorf("ParseBaseline(%q) accepted", bad)
		}
	}
}
