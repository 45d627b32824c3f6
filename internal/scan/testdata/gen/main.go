//go:build ignore

// Command gen writes the scanner corpus: testdata/corpus/secrets holds
// fake secrets with the shapes of real ones (random, from a fixed seed:
// none of them was ever a credential), one per file, named KIND.N.EXT;
// testdata/corpus/lookalikes holds values that resemble secrets but are
// not: hashes, UUIDs, random base64 under non-secret names, ENC values,
// placeholders and documentation examples. Run from internal/scan:
//
//	go run testdata/gen/main.go
package main

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

var rng = rand.New(rand.NewPCG(2026, 11))

const (
	alnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	upperN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	bech32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
)

func pick(n int, set string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = set[rng.IntN(len(set))]
	}
	return string(b)
}

func rnd(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return b
}

func b64(n int) string  { return base64.StdEncoding.EncodeToString(rnd(n)) }
func hexs(n int) string { return hex.EncodeToString(rnd(n)) }
func uuid() string {
	h := hexs(16)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

func pemBody(n int) string {
	s := b64(n)
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	b.WriteString(s + "\n")
	return b.String()
}

func jwt() string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc([]byte(fmt.Sprintf(`{"sub":"%d","name":"svc-%s","iat":%d}`, rng.IntN(1e9), pick(6, "abcdefgh"), 1.7e9+rng.IntN(1e7)))) + "." +
		enc(rnd(32))
}

func password() string {
	return pick(6, "ABCDEFGHJKLMNPQRSTUVWXYZ") + pick(4, "23456789") + pick(1, "!&*+-") + pick(7, "abcdefghijkmnopqrstuvwxyz")
}

func main() {
	secrets := filepath.Join("testdata", "corpus", "secrets")
	looks := filepath.Join("testdata", "corpus", "lookalikes")
	for _, d := range []string{secrets, looks} {
		os.RemoveAll(d)
		if err := os.MkdirAll(d, 0o755); err != nil {
			panic(err)
		}
	}
	n := map[string]int{}
	secret := func(kind, ext, content string) {
		n[kind]++
		write(filepath.Join(secrets, fmt.Sprintf("%s.%d.%s", kind, n[kind], ext)), content)
	}
	for i := 0; i < 3; i++ {
		secret("private-key", "pem", "-----BEGIN RSA PRIVATE KEY-----\n"+pemBody(600)+"-----END RSA PRIVATE KEY-----\n")
		secret("private-key", "key", "-----BEGIN EC PRIVATE KEY-----\n"+pemBody(121)+"-----END EC PRIVATE KEY-----\n")
		secret("private-key", "txt", "-----BEGIN OPENSSH PRIVATE KEY-----\n"+pemBody(400)+"-----END OPENSSH PRIVATE KEY-----\n")
		secret("private-key", "asc", "-----BEGIN PGP PRIVATE KEY BLOCK-----\nComment: exported\n\n"+pemBody(900)+"=ab12\n-----END PGP PRIVATE KEY BLOCK-----\n")
		secret("private-key", "yaml", "tls:\n  cert: cert.pem\n  key: |\n    -----BEGIN PRIVATE KEY-----\n    "+strings.ReplaceAll(pemBody(120), "\n", "\n    ")+"-----END PRIVATE KEY-----\n")
		secret("private-key", "pem", "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"+pemBody(300)+"-----END ENCRYPTED PRIVATE KEY-----\n")
		secret("age-secret-key", "txt", "# created: 2026-01-02T03:04:05Z\n# public key: age1"+pick(58, bech32)+"\nAGE-SECRET-KEY-1"+strings.ToUpper(pick(58, bech32))+"\n")
		secret("aws-access-key-id", "ini", "[default]\naws_access_key_id = AKIA"+pick(16, upperN)+"\nregion = eu-west-1\n")
		secret("aws-access-key-id", "sh", "#!/bin/sh\nexport AWS_ACCESS_KEY_ID=ASIA"+pick(16, upperN)+"\naws s3 ls\n")
		secret("aws-secret-access-key", "ini", "[prod]\naws_secret_access_key = "+pick(40, alnum+"/+")+"\n")
		secret("aws-secret-access-key", "env", "AWS_SECRET_ACCESS_KEY="+pick(40, alnum+"/+")+"\n")
		secret("gcp-service-account-key", "json", `{
  "type": "service_account",
  "project_id": "demo-`+pick(6, "abcdefgh")+`",
  "private_key_id": "`+hexs(20)+`",
  "private_key": "-----BEGIN PRIVATE KEY-----\n`+strings.ReplaceAll(pemBody(900), "\n", `\n`)+`-----END PRIVATE KEY-----\n",
  "client_email": "svc@demo.iam.gserviceaccount.com"
}
`)
		secret("github-token", "env", "GITHUB_TOKEN=ghp_"+pick(36, alnum)+"\n")
		secret("github-token", "yaml", "steps:\n  - run: gh release create\n    env:\n      GH_TOKEN: gho_"+pick(36, alnum)+"\n")
		secret("github-token", "sh", "git clone https://x-access-token:ghs_"+pick(36, alnum)+"@github.com/o/r.git\n")
		secret("github-token", "json", `{"token": "github_pat_`+pick(22, alnum)+"_"+pick(59, alnum)+`"}`+"\n")
		secret("gitlab-token", "toml", "[gitlab]\nurl = \"https://gitlab.example.org\"\nprivate_token = \"glpat-"+pick(20, alnum+"_-")+"\"\n")
		secret("slack-token", "py", "client = WebClient(token=\"xoxb-"+pick(12, "0123456789")+"-"+pick(13, "0123456789")+"-"+pick(24, alnum)+"\")\n")
		secret("slack-token", "txt", "xoxp-"+pick(11, "0123456789")+"-"+pick(11, "0123456789")+"-"+pick(12, "0123456789")+"-"+pick(32, "0123456789abcdef")+"\n")
		secret("stripe-live-key", "js", "const stripe = require('stripe')('sk_live_"+pick(24, alnum)+"');\n")
		secret("stripe-live-key", "env", "STRIPE_RESTRICTED=rk_live_"+pick(99, alnum)+"\n")
		secret("jwt", "http", "GET /api/v1/me HTTP/1.1\nAuthorization: Bearer "+jwt()+"\n")
		secret("jwt", "yaml", "session:\n  cookie: "+jwt()+"\n")
		secret("url-credentials", "env", "DATABASE_URL=postgres://app:"+password()+"@db.internal:5432/app\n")
		secret("url-credentials", "yaml", "broker: amqp://svc:"+pick(20, alnum)+"@rabbit.prod.svc:5672/\n")
		secret("url-credentials", "ini", "[cache]\nurl = redis://:"+pick(24, alnum)+"@10.0.0.5:6379/0\n")
		secret("secret-assignment", "yaml", "database:\n  user: app\n  password: "+password()+"\n")
		secret("secret-assignment", "json", "{\n  \"oauth\": {\n    \"client_id\": \""+uuid()+"\",\n    \"client_secret\": \""+pick(40, alnum)+"\"\n  }\n}\n")
		secret("secret-assignment", "env", "APP_ENV=production\nAPI_KEY="+pick(32, alnum)+"\n")
		secret("secret-assignment", "ini", "[django]\nsecret_key = "+hexs(32)+"\n")
		secret("secret-assignment", "sh", "export DB_PASSWORD='"+password()+"'\n./migrate\n")
		secret("secret-assignment", "py", "DEBUG = False\nSECRET_KEY = \""+pick(50, alnum+"!@#%^&*(-_=+)")+"\"\n")
		secret("secret-assignment", "yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: "+b64(24)+"\n")
		secret("secret-assignment", "properties", "spring.datasource.url=jdbc:postgresql://db/app\nspring.datasource.password="+password()+"\n")
		secret("secret-assignment", "yaml", "services:\n  db:\n    environment:\n      - POSTGRES_PASSWORD="+password()+"\n")
		secret("secret-assignment", "go", "package main\n\nconst apiToken = \""+pick(40, alnum)+"\"\n")
		secret("secret-assignment", "json", `{"name":"x","auth_token":"`+b64(30)+`","retries":3}`+"\n")
	}

	m := 0
	look := func(ext, content string) {
		m++
		write(filepath.Join(looks, fmt.Sprintf("%03d.%s", m, ext)), content)
	}
	for i := 0; i < 4; i++ {
		look("sha256", hexs(32)+"  hull_linux_amd64.tar.gz\n"+hexs(32)+"  hull_darwin_arm64.tar.gz\n")
		look("sum", "github.com/x/y v1.2.3 h1:"+b64(32)+"\ngithub.com/x/y v1.2.3/go.mod h1:"+b64(32)+"\n")
		look("json", `{"node_modules/a": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/a/-/a-1.0.0.tgz", "integrity": "sha512-`+b64(64)+`"}}`+"\n")
		look("lock", "[[package]]\nname = \"serde\"\nversion = \"1.0.0\"\nchecksum = \""+hexs(32)+"\"\n")
		look("json", "{\n  \"nodes\": {\n    \"nixpkgs\": {\n      \"locked\": {\n        \"narHash\": \"sha256-"+b64(32)+"\",\n        \"rev\": \""+hexs(20)+"\"\n      }\n    }\n  }\n}\n")
		look("yaml", "image: ghcr.io/org/app@sha256:"+hexs(32)+"\ncommit: "+hexs(20)+"\n")
		look("yaml", "tenant_id: "+uuid()+"\nsubscription_id: "+uuid()+"\nclient_id: "+uuid()+"\n")
		look("json", `{"request_id": "`+uuid()+`", "trace": "`+hexs(16)+`"}`+"\n")
		look("yaml", "ca_bundle: "+b64(120)+"\nlogo: data:image/png;base64,"+b64(90)+"\n")
		look("yaml", "public_key: "+b64(32)+"\nnonce: "+b64(12)+"\netag: \""+hexs(16)+"\"\n")
		look("yaml", "db:\n    user: app\n    password: ENC[AES256_GCM,data:"+b64(18)+",iv:"+b64(32)+",tag:"+b64(16)+",type:str]\n    api_token: ENC[AES256_GCM,data:"+b64(30)+",iv:"+b64(32)+",tag:"+b64(16)+",type:str]\nsops:\n    age:\n        - recipient: age1"+pick(58, bech32)+"\n          enc: |\n            -----BEGIN AGE ENCRYPTED FILE-----\n            "+b64(60)+"\n            "+b64(40)+"\n            -----END AGE ENCRYPTED FILE-----\n    lastmodified: \"2026-01-02T03:04:05Z\"\n    mac: ENC[AES256_GCM,data:"+b64(64)+",iv:"+b64(32)+",tag:"+b64(16)+",type:str]\n    unencrypted_suffix: _unencrypted\n    version: 3.13.3\n")
		look("json", "{\n\t\"client_secret\": \"ENC[AES256_GCM,data:"+b64(30)+",iv:"+b64(32)+",tag:"+b64(16)+",type:str]\",\n\t\"sops\": {\n\t\t\"pgp\": [\n\t\t\t{\n\t\t\t\t\"enc\": \"-----BEGIN PGP MESSAGE-----\\n\\n"+b64(200)+"\\n-----END PGP MESSAGE-----\",\n\t\t\t\t\"fp\": \""+strings.ToUpper(hexs(20))+"\"\n\t\t\t}\n\t\t],\n\t\t\"mac\": \"ENC[AES256_GCM,data:"+b64(64)+",iv:"+b64(32)+",tag:"+b64(16)+",type:str]\",\n\t\t\"version\": \"3.13.3\"\n\t}\n}\n")
		look("env", "DB_PASSWORD=ENC[AES256_GCM,data:"+b64(20)+",iv:"+b64(32)+",tag:"+b64(16)+",type:str]\nsops_age__list_0__map_enc=-----BEGIN AGE ENCRYPTED FILE-----\\n"+b64(80)+"\\n-----END AGE ENCRYPTED FILE-----\\n\nsops_mac=ENC[AES256_GCM,data:"+b64(64)+",iv:"+b64(32)+",tag:"+b64(16)+",type:str]\nsops_version=3.13.3\n")
		look("sh", "password_hash='$2b$12$"+pick(53, alnum+"./")+"'\nshadow='$6$"+pick(16, alnum)+"$"+pick(86, alnum+"./")+"'\n")
		look("yaml", "build_id: "+hexs(16)+"\nsession_ttl: 3600\nrandom_seed: "+fmt.Sprint(rng.Uint64())+"\n")
	}
	// Placeholders, documentation examples and code that names secrets.
	for _, c := range []struct{ ext, content string }{
		{"yaml", "database:\n  password: changeme\n  api_key: <your-api-key>\n  token: \"${API_TOKEN}\"\n"},
		{"env", "API_KEY=${API_KEY}\nDB_PASSWORD=${DB_PASSWORD:-secret}\nSECRET_KEY=$SECRET_KEY\n"},
		{"yaml", "password: xxxxxxxxxxxxxxxx\ntoken: \"**********\"\nclient_secret: REPLACE_ME_WITH_THE_SECRET\n"},
		{"yaml", "apiKey: '{{ .Values.apiKey }}'\nsecret: \"{{ secret }}\"\n"},
		{"md", "# Setup\n\nSet `AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE` and\n`AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`.\n"},
		{"md", "A key file starts with\n\n    -----BEGIN RSA PRIVATE KEY-----\n    ...\n    -----END RSA PRIVATE KEY-----\n"},
		{"md", "Create a token (it looks like `ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`) and\nexport GITHUB_TOKEN=<token>.\n"},
		{"md", "An age identity looks like AGE-SECRET-KEY-1QQQQQQ… and is kept in keys.txt.\n"},
		{"md", "The jwt.io example: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n"},
		{"env", "DATABASE_URL=postgres://user:password@localhost:5432/app\nREDIS_URL=redis://localhost:6379\nAMQP_URL=amqp://guest:guest@localhost\n"},
		{"go", "package db\n\nfunc dsn(u, p, h string) string {\n\treturn fmt.Sprintf(\"postgres://%s:%s@%s/app\", u, p, h)\n}\n"},
		{"go", "package auth\n\nconst tokenHeader = \"X-Auth-Token\"\n\nfunc f(r *http.Request) {\n\ttoken := r.Header.Get(\"Authorization\")\n\tpassword := os.Getenv(\"DB_PASSWORD\")\n\tif token == password {\n\t}\n}\n"},
		{"py", "password = getpass.getpass()\nsecret_key = os.environ[\"SECRET_KEY\"]\napi_token = settings.API_TOKEN\n"},
		{"yaml", "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db-credentials\n        key: password\n"},
		{"yaml", "auth_method: oauth2\ntoken_url: https://auth.example.org/oauth/token\npassword_file: /run/secrets/db_password\nsecret_name: prod-db-credentials\ntoken_ttl: 3600\n"},
		{"txt", "Never commit your password or API token. Rotate the secret key every 90 days.\nThe token endpoint is documented at https://docs.example.org/token.\n"},
		{"yaml", "password: \"\"\ntoken:\napi_key: null\nsecret: ~\n"},
		{"ini", "[server]\nhost = 0.0.0.0\nport = 8443\n[auth]\nprovider = ldap\npassword_min_length = 12\n"},
		{"yaml", "creation_rules:\n  - path_regex: ^secrets/.*\\.yaml$\n    age: age1mnudwt2nqgd7mml9vheylqvxqkey6yf9063tfu90ple5d2gja98sm78q4m\n"},
		{"go", "package cipher\n\n// ErrBadToken is returned for a malformed token.\nvar ErrBadToken = errors.New(\"hull: malformed token\")\nvar secretPrefix = []byte(\"AGE-SECRET-KEY-\")\n"},
		{"sh", "git clone git@github.com:org/repo.git\ncurl -u \"$USER:$TOKEN\" https://api.github.com/user\n"},
		{"yaml", "authorSecretHash: sha256:" + hexs(32) + "\nsecret_sha256: " + hexs(32) + "\n"},
		{"js", "var a=\"" + b64(60) + "\",b={data:\"" + b64(40) + "\"};\n"},
		{"yaml", "password: ThisIsNotSecret\nsecret: production\ntoken_type: Bearer\n"},
		{"txt", "commit " + hexs(20) + "\nAuthor: A U Thor <author@example.org>\n\n    Update the token refresh logic\n"},
		{"json", `{"passwordPolicy": {"minLength": 12}, "tokenEndpoint": "https://login.example.org/token", "secretRef": "app-secrets"}` + "\n"},
		{"yaml", "api_key: " + uuid() + "\n"},
		{"toml", "[tool.poetry]\nname = \"app\"\n[[tool.poetry.source]]\nurl = \"https://pypi.example.org/simple\"\n"},
		{"env", "# hull-scan:allow (test fixture)\nTEST_TOKEN=ghp_" + pick(36, alnum) + " # hull-scan:allow\n"},
		{"yaml", "ssh_host_key_fingerprint: SHA256:" + b64(32) + "\npublic_key_pem: |\n  -----BEGIN PUBLIC KEY-----\n  " + b64(48) + "\n  -----END PUBLIC KEY-----\n"},
	} {
		look(c.ext, c.content)
	}
}

func write(path, content string) {
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		panic(err)
	}
}
