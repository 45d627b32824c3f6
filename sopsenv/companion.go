package sopsenv

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/cloudkey"
	"github.com/hullsecrets/hull/keysources/companion"
)

// The cloud key sources (AWS KMS, GCP Cloud KMS, Azure Key Vault) run in
// the companion executable hull-kms (docs/COMPANION.md), so that hull
// links none of their SDKs and an age or PGP run starts fast. hull-kms is
// started at most once per run, only when a stanza of a cloud type is
// unwrapped or a cloud recipient wraps a key. It reads the cloud
// environment itself (the AWS credentials chain, AWS_PROFILE,
// AWS_ENDPOINT_URL_KMS, GOOGLE_CREDENTIALS, SOPS_GCP_KMS_*, the AZURE_*
// variables); it gets the caller's view of the variables in companion.Env.

// CompanionVar names hull-kms's path, overriding the search.
const CompanionVar = "HULL_KMS_PLUGIN"

// Client is the client of hull-kms.
type Client = companion.Client

// CompanionSettings are what a run's hull-kms client is made from.
type CompanionSettings struct {
	// Env is the caller's environment; Environ the process's (os.Environ),
	// which hull-kms inherits with Env's values of companion.Env and
	// without the variables in Drop (identities it has no use for).
	Env     Lookup
	Environ []string
	Drop    []string
	// Executable is the running program (os.Executable), "" when unknown:
	// hull-kms is looked for next to it.
	Executable string
	// Version is the caller's version; hull-kms must be the same build.
	Version string
	// Stderr receives hull-kms's standard error when it is a file.
	Stderr io.Writer
}

// Companion is a run's hull-kms client, made on first use and shared by
// concurrent workers. The zero value is ready to use.
type Companion struct {
	once sync.Once
	c    *Client
}

// Client returns the run's client; settings are read, and hull-kms
// started, only when a cloud key is first used.
func (h *Companion) Client(settings func() CompanionSettings) *Client {
	h.once.Do(func() {
		h.c = companion.NewLazy(func() companion.Config {
			s := settings()
			var stderr io.Writer
			if f, ok := s.Stderr.(*os.File); ok {
				// The child writes to a file directly; any other writer
				// would be copied by a goroutine while the caller writes.
				stderr = f
			}
			return companion.Config{
				Find:    func() (string, error) { return FindCompanion(s.Env, s.Executable) },
				Env:     CompanionEnv(s.Environ, s.Env, s.Drop),
				Version: s.Version,
				Hint:    CompanionHint(s.Version),
				Stderr:  stderr,
			}
		})
	})
	return h.c
}

// Close ends hull-kms if this run started it.
func (h *Companion) Close() {
	if h != nil && h.c != nil {
		h.c.Close()
	}
}

// CompanionHint says how to install hull-kms of the given version, ending
// the errors of a missing or mismatched one.
func CompanionHint(version string) string {
	if !strings.HasPrefix(version, "v") || strings.Contains(version, "-dirty") {
		version = "latest"
	}
	return fmt.Sprintf("; install the hull-kms of this hull's release next to it: each release ships both, and `go install github.com/hullsecrets/hull/cmd/...@%s` installs both (or set %s to its path)", version, CompanionVar)
}

// FindCompanion locates hull-kms: HULL_KMS_PLUGIN, then the directory of
// exe (and of its target when it is a symlink, such as the "sops" name),
// then PATH.
func FindCompanion(env Lookup, exe string) (string, error) {
	if p := env.Get(CompanionVar); p != "" {
		if !isExecutableFile(p) {
			return "", fmt.Errorf("%s=%s is not an executable file", CompanionVar, p)
		}
		return p, nil
	}
	name := companion.Name
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	var dirs []string
	if exe != "" {
		dirs = append(dirs, filepath.Dir(exe))
		if real, err := filepath.EvalSymlinks(exe); err == nil && filepath.Dir(real) != filepath.Dir(exe) {
			dirs = append(dirs, filepath.Dir(real))
		}
	}
	next := strings.Join(dirs, ", ")
	for _, d := range filepath.SplitList(env.Get("PATH")) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	for _, d := range dirs {
		if p := filepath.Join(d, name); isExecutableFile(p) {
			return p, nil
		}
	}
	if next == "" {
		next = "unknown"
	}
	return "", errors.New(name + " was not found next to hull (" + next + ") or in PATH")
}

func isExecutableFile(p string) bool {
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	return runtime.GOOS == "windows" || fi.Mode().Perm()&0o111 != 0
}

// CompanionEnv is environ with env's values of the variables hull-kms
// reads (companion.Env) and without the variables in drop.
func CompanionEnv(environ []string, env Lookup, drop []string) []string {
	kept := slices.DeleteFunc(slices.Clone(environ), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains(drop, k)
	})
	return companion.WithEnv(kept, companion.Env, env)
}

// GCPAzureIdentities are the GCP KMS and Azure Key Vault identities,
// proxies to hull-kms through c: making them starts nothing.
func GCPAzureIdentities(c *Client) []keysources.Identity {
	return []keysources.Identity{c.Identity(cloudkey.GCPKMS), c.Identity(cloudkey.AzureKV)}
}

// KeyServiceServer is the command line that runs sops's key service
// server with the caller's identities: hull-kms (FindCompanion) with
// "keyservice", listening on network and address, asking before each
// request with prompt. argv includes the program; env is the process's
// environment for hull-kms (CompanionEnv) with the caller's view of the
// variables of the identities it serves (companion.KeyServiceEnv). A
// missing hull-kms is companion.ErrNotInstalled, saying how to install it.
func KeyServiceServer(s CompanionSettings, network, address string, prompt bool) (argv, env []string, err error) {
	path, err := FindCompanion(s.Env, s.Executable)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v%s", companion.ErrNotInstalled, err, CompanionHint(s.Version))
	}
	argv = []string{path, "keyservice", "--network", network, "--address", address}
	if prompt {
		argv = append(argv, "--prompt")
	}
	env = companion.WithEnv(CompanionEnv(s.Environ, s.Env, s.Drop), companion.KeyServiceEnv, s.Env)
	return argv, env, nil
}

// KeyServices are the sops key services of a run (--keyservice and
// --enable-local-keyservice, or their variables).
type KeyServices = companion.Services

// ParseKeyServices reads the key services of a run: the --keyservice
// URIs, --enable-local-keyservice when given (nil otherwise), else
// SOPS_KEYSERVICE and SOPS_ENABLE_LOCAL_KEYSERVICE from env.
func ParseKeyServices(uris []string, local *bool, env Lookup) (KeyServices, []string, error) {
	return companion.ParseServices(uris, local, env)
}
