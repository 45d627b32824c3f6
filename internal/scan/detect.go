// Package scan finds plaintext secrets in files and in git: private keys,
// cloud access keys, API tokens of known formats, credentials in URLs, and
// high-entropy values assigned to secret-looking names.
//
// # Detectors
//
// Each known format has a cheap literal that must appear in the file (for
// example "AKIA", "ghp_" or "-----BEGIN ") before its regular expression
// runs, so a file without any of them costs one pass of bytes.Index per
// literal plus one pass for assignments. Assignments (key: value, key=value,
// "key": "value", and the last identifier before = in code) are parsed by
// hand; a value is reported when its key looks like a secret name and the
// value looks random (see [looksRandom]).
//
// # What is never reported
//
//   - ENC[AES256_GCM,…] values and the sops metadata block (YAML sops:,
//     JSON "sops": {…}, INI [sops], dotenv sops_* lines);
//   - placeholders: ${VAR}, $VAR, <…>, {{…}}, %s, changeme, example, xxx,
//     ***, your_…, dummy, redacted, todo;
//   - hashes presented as such (sha256:…, sha512-… integrity strings,
//     $2b$/$argon2 password hashes, values of keys named *hash*, *sha*,
//     *digest*, *checksum*, *fingerprint*), UUIDs;
//   - lines carrying the comment marker hull-scan:allow.
//
// The secret itself is never returned: a [Finding] holds its first few
// characters (Redacted) and a SHA-256 fingerprint of file, kind and secret,
// which a baseline file stores to accept a finding.
package scan

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"math"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Kinds of finding.
const (
	KindPrivateKey        = "private-key"
	KindAgeSecretKey      = "age-secret-key"
	KindAWSAccessKeyID    = "aws-access-key-id"
	KindAWSSecretKey      = "aws-secret-access-key"
	KindGCPServiceAccount = "gcp-service-account-key"
	KindGitHubToken       = "github-token"
	KindGitLabToken       = "gitlab-token"
	KindSlackToken        = "slack-token"
	KindStripeKey         = "stripe-live-key"
	KindJWT               = "jwt"
	KindURLCredentials    = "url-credentials"
	KindSecretAssignment  = "secret-assignment"
)

// Finding is one possible secret. It never holds the secret.
type Finding struct {
	File        string `json:"file"`
	Commit      string `json:"commit,omitempty"` // with history scanning: the first commit that added the blob
	Line        int    `json:"line"`             // 1-based
	Column      int    `json:"column"`           // 1-based, in bytes
	Kind        string `json:"kind"`
	Redacted    string `json:"redacted"`    // at most the first 4 characters, then "…"; a PEM header for keys
	Fingerprint string `json:"fingerprint"` // hex HMAC-SHA256 of file, kind and secret (KeyedFingerprint)

	legacy string // the unkeyed fingerprint of baselines written before keys (LegacyFingerprint)
}

// KeyedFingerprint is the baseline identity of a secret found in a file:
// the hex HMAC-SHA256, under the repository's fingerprint key (see
// Baseline.Key), of file (slash-separated), kind and secret. A baseline so
// accepts one secret in one file without storing it, and without the key
// a fingerprint cannot be tested against guesses of the secret (an
// unkeyed hash of a weak secret falls to a dictionary).
func KeyedFingerprint(key []byte, file, kind, secret string) string {
	h := hmac.New(sha256.New, key)
	writeFields(h, file, kind, secret)
	return hex.EncodeToString(h.Sum(nil))
}

// LegacyFingerprint is the unkeyed SHA-256 fingerprint of baselines
// written before fingerprints were keyed; they are still accepted when
// the baseline has no key.
func LegacyFingerprint(file, kind, secret string) string {
	h := sha256.New()
	writeFields(h, file, kind, secret)
	return hex.EncodeToString(h.Sum(nil))
}

func writeFields(h hash.Hash, file, kind, secret string) {
	h.Write([]byte(file))
	h.Write([]byte{0})
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(secret))
}

// Redact shows at most the first 4 characters of a secret, and never more
// than a quarter of it, followed by "…".
func Redact(secret string) string {
	n := len(secret) / 4
	if n > 4 {
		n = 4
	}
	return secret[:n] + "…"
}

// tokenRule is a secret with a recognisable shape.
type tokenRule struct {
	kind     string
	literals []string // one must occur in the file before re runs
	re       *regexp.Regexp
}

const bech32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"

// The patterns are compiled on first use: hull links this package, and
// compiling them for every run cost a quarter of its package
// initialisation.
var tokenRules = sync.OnceValue(func() []tokenRule {
	return []tokenRule{
		{KindAWSAccessKeyID, []string{"AKIA"}, regexp.MustCompile(`\bAKIA[A-Z0-9]{16}\b`)},
		{KindAWSAccessKeyID, []string{"ASIA"}, regexp.MustCompile(`\bASIA[A-Z0-9]{16}\b`)},
		{KindGitHubToken, []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"}, regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{36,}\b`)},
		{KindGitHubToken, []string{"github_pat_"}, regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{40,}\b`)},
		{KindGitLabToken, []string{"glpat-"}, regexp.MustCompile(`\bglpat-[A-Za-z0-9_\-.]{20,}`)},
		{KindSlackToken, []string{"xox"}, regexp.MustCompile(`\bxox[abpr]-[0-9]{6,}-[0-9A-Za-z-]{8,}`)},
		{KindStripeKey, []string{"_live_"}, regexp.MustCompile(`\b[rs]k_live_[0-9A-Za-z]{20,}\b`)},
		{KindJWT, []string{"eyJ"}, regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}`)},
		{KindAgeSecretKey, []string{"AGE-SECRET-KEY-"}, regexp.MustCompile(`AGE-SECRET-KEY-(?:PQ-)?1[` + bech32 + `]{58,}`)},
	}
})

var pemHeader = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`-----BEGIN ((?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----`)
})

// wellKnown are published documentation examples (AWS, jwt.io) that are
// not secrets.
var wellKnown = []string{
	"EXAMPLE",
	"SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
}

// raw is a finding before it is placed in a file.
type raw struct {
	off, end int // byte range of the secret
	kind     string
	secret   string
	redacted string
}

// detect returns the secrets in data, without file or line.
func detect(data []byte) []raw {
	skip := skipRanges(data)
	var out []raw
	add := func(r raw) {
		if !skip.covers(r.off) {
			out = append(out, r)
		}
	}
	for _, rule := range tokenRules() {
		if !containsAny(data, rule.literals) {
			continue
		}
		for _, m := range rule.re.FindAllIndex(data, -1) {
			s := string(data[m[0]:m[1]])
			if isWellKnown(s) || placeholder(strings.ToLower(s)) || entropy(s) < 3.0 {
				continue
			}
			add(raw{off: m[0], end: m[1], kind: rule.kind, secret: s, redacted: Redact(s)})
		}
	}
	if bytes.Contains(data, []byte("-----BEGIN ")) {
		for _, m := range pemHeader().FindAllIndex(data, -1) {
			body, ok := pemBody(data[m[1]:])
			if !ok {
				continue
			}
			kind := KindPrivateKey
			ls := bytes.LastIndexByte(data[:m[0]], '\n') + 1
			if bytes.Contains(data[ls:m[0]], []byte(`"private_key"`)) {
				kind = KindGCPServiceAccount
			}
			hdr := string(data[m[0]:m[1]])
			add(raw{off: m[0], end: m[1], kind: kind, secret: hdr + body, redacted: hdr})
		}
	}
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("://"))
		if j < 0 {
			break
		}
		if r, ok := urlCredentials(data, i+j); ok {
			add(r)
		}
		i += j + 3
	}
	assignments(data, func(r raw) {
		for _, o := range out {
			if r.off < o.end && o.off < r.end {
				return // already reported by a specific detector
			}
		}
		add(r)
	})
	sort.Slice(out, func(i, j int) bool { return out[i].off < out[j].off })
	return out
}

func containsAny(data []byte, literals []string) bool {
	for _, l := range literals {
		if bytes.Contains(data, []byte(l)) {
			return true
		}
	}
	return false
}

func isWellKnown(s string) bool {
	for _, w := range wellKnown {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// pemBody reports whether the text after a PEM header holds key material: a
// line of at least 40 base64 characters among the next lines, after any
// RFC 1421 / OpenPGP header lines. Text that merely names the header, or
// shows "..." as the body, is not a key. It handles keys embedded with
// literal \n escapes, as in JSON service-account files.
func pemBody(after []byte) (string, bool) {
	if len(after) > 600 {
		after = after[:600]
	}
	text := strings.ReplaceAll(string(after), `\n`, "\n")
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if i > 6 {
			break
		}
		l = strings.Trim(l, " \t\r\"',+|")
		if l == "" || strings.Contains(l, ": ") {
			continue
		}
		n := 0
		for n < len(l) && isBase64(l[n]) {
			n++
		}
		if n >= 40 {
			return l[:n], true
		}
		return "", false
	}
	return "", false
}

func isBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}

// urlCredentials parses scheme://user:password@host around the "://" at i.
func urlCredentials(data []byte, i int) (raw, bool) {
	s := i
	for s > 0 && (isAlnum(data[s-1]) || data[s-1] == '+' || data[s-1] == '.' || data[s-1] == '-') {
		s--
	}
	if s == i {
		return raw{}, false
	}
	start := i + 3
	at, colon := -1, -1
	for k := start; k < len(data) && k < start+256; k++ {
		c := data[k]
		if c == '@' {
			at = k
			break
		}
		if c == ':' && colon < 0 {
			colon = k
		}
		if c <= ' ' || c == '/' || c == '"' || c == '\'' || c == '`' || c == '?' || c == '#' || c == '<' || c == '>' {
			return raw{}, false
		}
	}
	if at < 0 || colon < 0 || colon+1 >= at {
		return raw{}, false
	}
	user, pass := string(data[start:colon]), string(data[colon+1:at])
	if u, err := url.PathUnescape(pass); err == nil {
		pass = u
	}
	host := data[at+1:]
	if e := bytes.IndexAny(host, "/:?# \t\r\n\"'`"); e >= 0 {
		host = host[:e]
	}
	if len(pass) < 4 || user == pass || urlPlaceholder(pass) || bytes.Contains(bytes.ToLower(host), []byte("example")) {
		return raw{}, false
	}
	return raw{off: colon + 1, end: at, kind: KindURLCredentials, secret: pass, redacted: Redact(pass)}, true
}

func urlPlaceholder(pass string) bool {
	l := strings.ToLower(pass)
	if placeholder(l) || strings.ContainsAny(l, "${}()[]") || strings.Contains(l, "**") {
		return true
	}
	for _, f := range []string{"%s", "%v", "%d", "%("} {
		if strings.Contains(l, f) {
			return true // a format string
		}
	}
	// A password made only of stand-in words ("password", "mysecretpass",
	// "user_pwd", "foobar") is a placeholder; one that merely contains such
	// a word ("S3cr3tPassw0rd", "hunter2pass!") is a real password, as
	// gitleaks' rules also judge.
	rest := l
	for _, w := range urlStandIns {
		rest = strings.ReplaceAll(rest, w, "")
	}
	return strings.Trim(rest, "_-.0123456789") == ""
}

// urlStandIns are the words a placeholder password in a URL is made of,
// longest first so that "password" goes before "pass".
var urlStandIns = []string{"password", "passwd", "passw", "secret", "token", "admin", "your", "pass", "word", "user", "root", "some", "the", "pwd", "foo", "bar", "baz", "db", "my", "pw"}

// placeholderWords in a (lowercased) value mark it as a stand-in.
var placeholderWords = []string{
	"example", "changeme", "change_me", "change-me", "xxxx", "****", "placeholder", "your_", "your-",
	"dummy", "redacted", "replace", "todo", "fixme", "<", "${", "{{", "%(", "...", "…",
	"test-", "test_", "-test", "_test", ".test", "fake", "sample", "notsecret", "not-a-secret", "do-not-",
}

func placeholder(l string) bool {
	for _, w := range placeholderWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// assignments calls report for each value assigned to a secret-looking
// name that looks random. It handles key: value, key=value, key := value,
// "key": "value" (several per line, for minified JSON), export K=V and the
// last identifier before = in code.
func assignments(data []byte, report func(raw)) {
	for i := 0; i < len(data); {
		k := i
		for k < len(data) && data[k] != ':' && data[k] != '=' {
			k++
		}
		if k >= len(data) {
			return
		}
		sep := k
		next := sep + 1
		if data[sep] == ':' {
			if next < len(data) && (data[next] == '/' || data[next] == ':' || data[next] == '=') {
				// "://", "::", ":=": a URL, a scope, or Go's := (value follows the =)
				if data[next] == '=' {
					sep, next = next, next+1
				} else {
					i = next + 1
					continue
				}
			}
		} else if next < len(data) && data[next] == '=' || sep > 0 && strings.IndexByte("=!<>+-*/|&^%", data[sep-1]) >= 0 {
			i = next + 1 // ==, !=, <=, +=, …: a comparison or an update, not an assignment
			continue
		}
		if data[sep] == '=' && next < len(data) && data[next] == '>' {
			next++ // 'password' => 'x'
		}
		key := keyBefore(data, sep)
		vs, ve, quoted := valueAfter(data, next)
		i = ve
		if i <= sep {
			i = sep + 1
		}
		if key == "" || vs >= ve {
			continue
		}
		value := string(data[vs:ve])
		kind, ok := classify(key, value, quoted)
		if ok {
			report(raw{off: vs, end: ve, kind: kind, secret: value, redacted: Redact(value)})
		}
	}
}

// endsBare: the bytes that end an unquoted value (white space, list and
// statement separators, quotes and brackets of the code around it).
func endsBare(c byte) bool {
	switch c {
	case '\n', '\r', ' ', '\t', ',', ';', '"', '\'', '`', '\\', '{', '}':
		return true
	}
	return false
}

func isAlnum(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}

func isKeyChar(c byte) bool { return isAlnum(c) || c == '_' || c == '-' || c == '.' }

// keyBefore returns the name assigned to at sep: a quoted string or an
// identifier, possibly inside [ ] (ENV["X"] = …).
func keyBefore(data []byte, sep int) string {
	e := sep
	for e > 0 && (data[e-1] == ' ' || data[e-1] == '\t') {
		e--
	}
	if e > 0 && data[e-1] == ']' {
		e--
	}
	if e > 0 && (data[e-1] == '"' || data[e-1] == '\'') {
		q := data[e-1]
		s := e - 1
		for s > 0 && data[s-1] != q && data[s-1] != '\n' && e-s < 128 {
			s--
		}
		if s == 0 || data[s-1] != q {
			return ""
		}
		return string(data[s : e-1])
	}
	s := e
	for s > 0 && isKeyChar(data[s-1]) && e-s < 128 {
		s--
	}
	return string(data[s:e])
}

// valueAfter returns the value that starts after a separator: a quoted
// string (without quotes) or a bare word up to white space, ',', ';' or
// the end of the line.
func valueAfter(data []byte, i int) (int, int, bool) {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	if i >= len(data) {
		return i, i, false
	}
	if q := data[i]; q == '"' || q == '\'' || q == '`' {
		s := i + 1
		for k := s; k < len(data) && k < s+4096; k++ {
			switch data[k] {
			case '\\':
				k++
			case '\n':
				return s, k, false
			case q:
				return s, k, true
			}
		}
		return s, s, false
	}
	s := i
	for i < len(data) && i-s < 4096 && !endsBare(data[i]) {
		i++
	}
	return s, i, false
}

// secretNames are parts of names (lowercase, without _ - .) that hold
// secrets. A name containing one of notSecretParts, or ending in one of
// notSecretSuffixes, names something about a secret (its hash, file, name
// or lifetime), not the secret.
var (
	secretNames = []string{
		"password", "passwd", "passphrase", "pwd", "secret", "token", "apikey", "privatekey",
		"accesskey", "signingkey", "encryptionkey", "masterkey", "authkey", "credential", "auth",
	}
	notSecretParts = []string{
		"hash", "digest", "checksum", "fingerprint", "public", "pubkey", "expir", "length", "author",
		"policy", "timeout", "endpoint", "header",
	}
	notSecretSuffixes = []string{
		"sha", "sha1", "sha256", "sha512", "md5", "file", "path", "dir", "url", "uri", "name", "type",
		"ttl", "version", "ref", "method", "mode", "enabled", "id", "env", "var", "count", "size",
	}
)

func normalizeName(key string) string {
	b := make([]byte, 0, len(key))
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c == '_' || c == '-' || c == '.':
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// shortSuffixOK: a name that is a secret name only by ending in "pass" or
// "pw" must have them as a word of their own (db_pass, dbPass, PASS), not
// as the end of a word (compass, bypass).
func shortSuffixOK(key string) bool {
	n := normalizeName(key)
	for _, w := range secretNames {
		if strings.Contains(n, w) {
			return true
		}
	}
	l := strings.ToLower(key)
	for _, suf := range []string{"pass", "pw"} {
		if strings.HasSuffix(l, suf) {
			i := len(key) - len(suf)
			return i == 0 || strings.IndexByte("_-.", key[i-1]) >= 0 || key[i] == 'P' && key[i-1] >= 'a' && key[i-1] <= 'z' || strings.ToUpper(key) == key
		}
	}
	return true
}

// secretName reports whether a normalized key names a secret.
func secretName(n string) bool {
	found := strings.HasSuffix(n, "pass") || strings.HasSuffix(n, "pw")
	for _, w := range secretNames {
		if strings.Contains(n, w) {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	for _, w := range notSecretParts {
		if strings.Contains(n, w) {
			return false
		}
	}
	for _, w := range notSecretSuffixes {
		if strings.HasSuffix(n, w) {
			return false
		}
	}
	return true
}

var (
	uuidRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	})
	awsKeyRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`) })

	dottedIdent = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)+$`)
	})
)

var hashPrefixes = []string{"sha1:", "sha256:", "sha384:", "sha512:", "md5:", "sha1-", "sha256-", "sha384-", "sha512-", "blake2b:", "blake3:"}

// classify decides whether value, assigned to key, is a secret.
func classify(key, value string, quoted bool) (string, bool) {
	n := normalizeName(key)
	if strings.HasPrefix(n, "sops") || !secretName(n) || !shortSuffixOK(key) {
		return "", false
	}
	if strings.HasPrefix(value, "ENC[") || isWellKnown(value) {
		return "", false
	}
	if strings.Contains(n, "awssecret") || strings.Contains(n, "secretaccesskey") {
		if awsKeyRE().MatchString(value) {
			return KindAWSSecretKey, true
		}
	}
	if notSecretValue(value, quoted) {
		return "", false
	}
	return KindSecretAssignment, looksRandom(value)
}

func notSecretValue(v string, quoted bool) bool {
	if len(v) < 8 {
		return true
	}
	l := strings.ToLower(v)
	switch l {
	case "null", "none", "true", "false", "undefined":
		return true
	}
	if placeholder(l) || uuidRE().MatchString(v) || strings.Contains(v, "://") {
		return true
	}
	for _, p := range hashPrefixes {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x80 || v[i] < ' ' {
			return true // secrets are printable ASCII
		}
	}
	switch v[0] {
	case '\\', '$', '%', '@', '!', '&', '*', '|', '>', '/', '~', '#', '[', '{', '(':
		return true // variables, password hashes ($2b$…), YAML tags, anchors, block scalars, paths, code
	}
	if strings.HasPrefix(v, "./") || strings.HasPrefix(v, "../") {
		return true
	}
	if !quoted && (strings.ContainsAny(v, "()[]") || dottedIdent().MatchString(v)) {
		return true // code: os.Getenv("X"), cfg["x"], settings.API_TOKEN
	}
	if strings.ContainsRune(v, '/') && strings.ContainsAny(v, "-_.") {
		return true // a path or a URL part: base64 has '/' but none of "-_."
	}
	if !quoted && wordLike(v) {
		return true // an identifier made of words: UserAgentFeatureCredentials, testRSAPrivateKey
	}
	if quoted && (v[0] == '+' || v[len(v)-1] == '+' || strings.ContainsRune(v, '`')) {
		return true // code: "…"+name+"…" seen from inside out
	}
	return strings.ContainsAny(v, " \t")
}

// wordLike reports whether at least 60% of v is in runs that look like
// words of a camelCase or snake_case name ([A-Z]?[a-z]{3,}); random
// strings seldom have long lowercase runs.
func wordLike(v string) bool {
	inWords := 0
	for i := 0; i < len(v); {
		j := i
		if v[j] >= 'A' && v[j] <= 'Z' {
			j++
		}
		k := j
		for k < len(v) && v[k] >= 'a' && v[k] <= 'z' {
			k++
		}
		if k-j >= 3 {
			inWords += k - i
			i = k
			continue
		}
		i++
	}
	return inWords*10 >= len(v)*6
}

// looksRandom is the entropy test: the Shannon entropy per character must
// reach a threshold that depends on the alphabet, with a minimum length.
//
//	hex only                          ≥ 20 chars, ≥ 3.0 bits/char
//	letters and digits (+ / = _ -)    ≥ 16 chars, ≥ 3.5 bits/char, with a digit (or ≥ 32 chars, ≥ 4.0)
//	                                  or ≥ 10 chars with lower, upper and digit, ≥ 2.5 bits/char
//	anything else                     ≥ 10 chars, three of lower/upper/digit/symbol, ≥ 2.8 bits/char
func looksRandom(v string) bool {
	var lower, upper, digit, sym, other bool
	hexOnly := true
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z':
			lower = true
			if c > 'f' {
				hexOnly = false
			}
		case c >= 'A' && c <= 'Z':
			upper = true
			if c > 'F' {
				hexOnly = false
			}
		case c >= '0' && c <= '9':
			digit = true
		case c == '+' || c == '/' || c == '=' || c == '_' || c == '-':
			sym = true
			hexOnly = false
		default:
			other = true
			hexOnly = false
		}
	}
	h := entropy(v)
	if hexOnly {
		return len(v) >= 20 && h >= 3.0 && digit && (lower || upper)
	}
	classes := 0
	for _, b := range []bool{lower, upper, digit, sym || other} {
		if b {
			classes++
		}
	}
	if !other {
		if len(v) >= 16 && h >= 3.5 && digit || len(v) >= 32 && h >= 4.0 {
			return true
		}
		return lower && upper && digit && len(v) >= 10 && h >= 2.5
	}
	return classes >= 3 && len(v) >= 10 && h >= 2.8
}

// entropy is the Shannon entropy of s in bits per byte.
func entropy(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	h, n := 0.0, float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// ranges is a sorted list of byte ranges where nothing is reported.
type ranges [][2]int

func (r ranges) covers(off int) bool {
	i := sort.Search(len(r), func(i int) bool { return r[i][1] > off })
	return i < len(r) && r[i][0] <= off
}

// skipRanges finds ENC[…] values, the sops metadata block and lines marked
// hull-scan:allow.
func skipRanges(data []byte) ranges {
	var r ranges
	if bytes.Contains(data, []byte("ENC[")) {
		for i := 0; ; {
			j := bytes.Index(data[i:], []byte("ENC["))
			if j < 0 {
				break
			}
			s := i + j
			e := bytes.IndexByte(data[s:], ']')
			if e < 0 {
				e = len(data) - s - 1
			}
			r = append(r, [2]int{s, s + e + 1})
			i = s + e + 1
		}
	}
	if bytes.Contains(data, []byte("sops")) {
		r = append(r, sopsBlock(data)...)
	}
	if bytes.Contains(data, []byte("hull-scan:allow")) {
		for i := 0; ; {
			j := bytes.Index(data[i:], []byte("hull-scan:allow"))
			if j < 0 {
				break
			}
			s := bytes.LastIndexByte(data[:i+j], '\n') + 1
			e := bytes.IndexByte(data[i+j:], '\n')
			if e < 0 {
				e = len(data)
			} else {
				e += i + j
			}
			r = append(r, [2]int{s, e})
			i = e
		}
	}
	sort.Slice(r, func(i, j int) bool { return r[i][0] < r[j][0] })
	// merge overlaps so covers can binary-search
	var m ranges
	for _, x := range r {
		if n := len(m); n > 0 && x[0] <= m[n-1][1] {
			if x[1] > m[n-1][1] {
				m[n-1][1] = x[1]
			}
			continue
		}
		m = append(m, x)
	}
	return m
}

// sopsBlock returns the byte ranges of sops metadata: the YAML "sops:"
// mapping, the JSON "sops": {…} object (by indentation, as sops writes
// it), the INI [sops] section and dotenv sops_* lines.
func sopsBlock(data []byte) ranges {
	var r ranges
	start, indent, mode := -1, 0, 0 // mode 1 yaml, 2 json, 3 ini
	for off := 0; off < len(data); {
		e := bytes.IndexByte(data[off:], '\n')
		if e < 0 {
			e = len(data)
		} else {
			e += off
		}
		line := data[off:e]
		t := bytes.TrimLeft(line, " \t")
		ind := len(line) - len(t)
		if start >= 0 {
			end := false
			switch mode {
			case 1:
				end = len(t) > 0 && ind == 0 && t[0] != '#'
			case 2:
				end = ind <= indent && len(t) > 0 && t[0] == '}'
				if end {
					r = append(r, [2]int{start, e})
					start = -1
					off = e + 1
					continue
				}
			case 3:
				end = len(t) > 0 && t[0] == '['
			}
			if end {
				r = append(r, [2]int{start, off})
				start = -1
			}
		}
		if start < 0 {
			switch {
			case ind == 0 && bytes.Equal(bytes.TrimRight(line, " \r"), []byte("sops:")):
				start, mode = off, 1
			case bytes.HasPrefix(t, []byte(`"sops":`)) && bytes.HasSuffix(bytes.TrimRight(t, " \r"), []byte("{")):
				start, indent, mode = off, ind, 2
			case bytes.Equal(bytes.TrimRight(t, " \r"), []byte("[sops]")):
				start, mode = off, 3
			case ind == 0 && bytes.HasPrefix(line, []byte("sops_")):
				r = append(r, [2]int{off, e})
			}
		}
		off = e + 1
	}
	if start >= 0 {
		r = append(r, [2]int{start, len(data)})
	}
	return r
}
