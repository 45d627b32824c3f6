package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/cloudkey"
	"github.com/hullsecrets/hull/keysources/companion"
)

// The cloud key sources (AWS KMS, GCP Cloud KMS, Azure Key Vault) run in
// the companion executable hull-kms (docs/COMPANION.md), so that hull
// links none of their SDKs and an age or PGP run starts fast. hull parses
// and prints cloud keys itself; it starts hull-kms, at most once per run,
// only when a stanza of a cloud type is unwrapped or a cloud recipient
// wraps a key.
//
// hull-kms is found through HULL_KMS_PLUGIN (a path), else next to the
// running hull (also when hull runs as a "sops" symlink), else in PATH.
// It reads the cloud environment itself (the AWS credentials chain,
// AWS_PROFILE, AWS_ENDPOINT_URL_KMS, GOOGLE_CREDENTIALS,
// GOOGLE_OAUTH_ACCESS_TOKEN, SOPS_GCP_KMS_*, the AZURE_* variables of
// DefaultAzureCredential); hull gives it its environment, with hull's own
// view of the variables in companion.Env.

// envCompanion overrides where hull finds hull-kms.
const envCompanion = "HULL_KMS_PLUGIN"

// companionHolder is the run's hull-kms client, made on first use and
// shared by the runner's forks (bulk workers).
type companionHolder struct {
	once sync.Once
	c    *companion.Client
}

// companion returns the run's client of hull-kms; nothing starts until a
// cloud key is used.
func (r *runner) companion() *companion.Client {
	if r.kms == nil { // a runner not made by Main (tests)
		r.kms = &companionHolder{}
	}
	r.kms.once.Do(func() {
		r.kms.c = companion.New(companion.Config{
			Find:    r.findCompanion,
			Env:     r.companionEnv(),
			Version: hullVersion(),
			Hint:    companionHint(),
			Stderr:  companionStderr(r.stderr),
		})
	})
	return r.kms.c
}

// companionStderr is where hull-kms's standard error goes: hull's, when
// it is a file (the child writes to it directly); otherwise nowhere, as a
// writer would be written by a copying goroutine while hull writes too.
// hull-kms writes nothing there in normal operation.
func companionStderr(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok {
		return f
	}
	return nil
}

// closeCompanion ends hull-kms if this run started it.
func (r *runner) closeCompanion() {
	if r.kms != nil && r.kms.c != nil {
		r.kms.c.Close()
	}
}

// companionHint says how to install hull-kms, ending the errors of a
// missing or mismatched one.
func companionHint() string {
	v := hullVersion()
	if !strings.HasPrefix(v, "v") || strings.Contains(v, "-dirty") {
		v = "latest"
	}
	return fmt.Sprintf("; install the hull-kms of this hull's release next to it: each release ships both, and `go install github.com/hullsecrets/hull/cmd/...@%s` installs both (or set %s to its path)", v, envCompanion)
}

// findCompanion locates hull-kms: HULL_KMS_PLUGIN, then the directory of
// the running executable (and of its target when it is a symlink, such as
// the "sops" name), then PATH.
func (r *runner) findCompanion() (string, error) {
	exe, _ := os.Executable()
	return r.findCompanionFrom(exe)
}

// findCompanionFrom is findCompanion for the executable exe ("" when
// unknown).
func (r *runner) findCompanionFrom(exe string) (string, error) {
	if p := r.env.get(envCompanion); p != "" {
		if !isExecutableFile(p) {
			return "", fmt.Errorf("%s=%s is not an executable file", envCompanion, p)
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
	for _, d := range filepath.SplitList(r.env.get("PATH")) {
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

// companionEnv is the process environment with hull's values of the
// variables hull-kms reads (the same in a normal run; tests run hull in
// process with an environment of their own), without hull's identity
// variables (SOPS_AGE_KEY…): hull-kms has no use for them.
func (r *runner) companionEnv() []string {
	names := map[string]bool{}
	for _, k := range companion.Env {
		names[k] = true
	}
	for _, k := range scrubbedEnv {
		names[k] = true
	}
	var out []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !names[k] {
			out = append(out, kv)
		}
	}
	for _, k := range companion.Env {
		if v, ok := r.env.lookup(k); ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// gcpAzureIdentities are the GCP KMS and Azure Key Vault identities,
// proxies to hull-kms: making them starts nothing.
func (r *runner) gcpAzureIdentities() []keysources.Identity {
	c := r.companion()
	return []keysources.Identity{c.Identity(cloudkey.GCPKMS), c.Identity(cloudkey.AzureKV)}
}
