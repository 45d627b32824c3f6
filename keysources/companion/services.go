package companion

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Services are the sops key services of a command: --keyservice URIs, and
// whether the local key service (the user's own keys) is off.
type Services struct {
	URIs    []string
	NoLocal bool // --enable-local-keyservice=false
}

// ErrNoServiceLeft is returned for --enable-local-keyservice=false without
// any --keyservice.
var ErrNoServiceLeft = errors.New("--enable-local-keyservice=false without --keyservice: no key service is left to wrap or unwrap the data key; name one with --keyservice unix:///path/to.sock")

// ParseServices reads the key services as sops does: the flag's URIs, else
// SOPS_KEYSERVICE (comma-separated); local is --enable-local-keyservice
// when given, else SOPS_ENABLE_LOCAL_KEYSERVICE, else true. An address
// that is not a URI is skipped with a warning, as sops skips it; any other
// is kept, and one that cannot be reached fails when asked, naming it.
func ParseServices(uris []string, local *bool, lookup func(string) (string, bool)) (Services, []string, error) {
	get := func(k string) string { v, _ := lookup(k); return v }
	if v := get("SOPS_KEYSERVICE"); len(uris) == 0 && v != "" {
		uris = strings.Split(v, ",")
	}
	var s Services
	var warnings []string
	for _, u := range uris {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if _, err := url.Parse(u); err != nil {
			warnings = append(warnings, fmt.Sprintf("--keyservice %q: not a URI (%v), skipping it; use unix:///path/to.sock or tcp://host:port", u, err))
			continue
		}
		s.URIs = append(s.URIs, u)
	}
	on := true
	if local != nil {
		on = *local
	} else if v := get("SOPS_ENABLE_LOCAL_KEYSERVICE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return s, warnings, fmt.Errorf("SOPS_ENABLE_LOCAL_KEYSERVICE=%s: not true or false", v)
		}
		on = b
	}
	s.NoLocal = !on
	if s.NoLocal && len(s.URIs) == 0 {
		return s, warnings, ErrNoServiceLeft
	}
	return s, warnings, nil
}

// KeyServiceEnv are the variables hull-kms keyservice (the server) reads
// besides the companion's: the identities and credentials it serves.
var KeyServiceEnv = []string{
	"HOME", "XDG_CONFIG_HOME", "SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
	"SOPS_AGE_SSH_PRIVATE_KEY_CMD", "HULL_STRICT_PERMS", "HULL_PGP_KEY_FILE", "GNUPGHOME", "SOPS_GPG_EXEC",
	"VAULT_TOKEN", "VAULT_NAMESPACE", "SOPS_HC_VAULT_ALLOWLIST",
	EnvTLSCert, EnvTLSKey, EnvTLSClientCA,
}

// WithEnv is env with the values lookup gives for names, each once,
// replacing env's.
func WithEnv(env, names []string, lookup func(string) (string, bool)) []string {
	override := map[string]bool{}
	for _, k := range names {
		override[k] = true
	}
	var out []string
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); !override[k] {
			out = append(out, kv)
		}
	}
	for _, k := range names {
		if v, ok := lookup(k); ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}
