package main

import (
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/all"
	"github.com/hullsecrets/hull/keysources/companion"
)

// The sops key service (gRPC), both ways, runs in hull-kms so that hull
// links no gRPC: `hull keyservice` becomes `hull-kms keyservice`, and
// --keyservice sends the wraps and unwraps to hull-kms, which asks the
// services (docs/COMPANION.md, keyservice_* requests).

// keyServices are the --keyservice URIs and --enable-local-keyservice of
// the command.
type keyServices struct {
	uris    []string
	noLocal bool // --enable-local-keyservice=false
}

// active reports whether key services replace or back the local keys.
func (k keyServices) active() bool { return len(k.uris) > 0 || k.noLocal }

// setupKeyservice reads --keyservice (repeatable; env SOPS_KEYSERVICE,
// comma-separated) and --enable-local-keyservice (default true; env
// SOPS_ENABLE_LOCAL_KEYSERVICE), as sops does.
func (r *runner) setupKeyservice(c *cli.Context) error {
	var ks keyServices
	var uris []string
	if hasFlag(c, "keyservice") {
		uris = c.StringSlice("keyservice")
	}
	if len(uris) == 0 {
		if v := r.env.get("SOPS_KEYSERVICE"); v != "" {
			uris = strings.Split(v, ",")
		}
	}
	for _, u := range uris {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		// As sops: an address that is not a URI is skipped with a
		// warning; any other is asked, and one hull cannot connect to
		// (an unknown scheme, no path) fails when asked, naming it.
		if _, err := url.Parse(u); err != nil {
			r.warnf("--keyservice %q: not a URI (%v), skipping it; use unix:///path/to.sock or tcp://host:port", u, err)
			continue
		}
		ks.uris = append(ks.uris, u)
	}
	local := true
	if hasFlag(c, "enable-local-keyservice") && c.IsSet("enable-local-keyservice") {
		local = c.Bool("enable-local-keyservice")
	} else if v := r.env.get("SOPS_ENABLE_LOCAL_KEYSERVICE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return withCode(exitGeneric, fmt.Errorf("SOPS_ENABLE_LOCAL_KEYSERVICE=%s: not true or false", v))
		}
		local = b
	}
	ks.noLocal = !local
	if ks.noLocal && len(ks.uris) == 0 {
		return withCode(exitGeneric, errors.New("--enable-local-keyservice=false without --keyservice: no key service is left to wrap or unwrap the data key; name one with --keyservice unix:///path/to.sock"))
	}
	r.ks = ks
	return nil
}

// serviceIdentities are the key services' identity, tried after the local
// ones (sops asks its local key service first).
func (r *runner) serviceIdentities() []keysources.Identity {
	if len(r.ks.uris) == 0 {
		return nil
	}
	return []keysources.Identity{r.companion().ServiceIdentity(r.ks.uris)}
}

// viaKeyServices makes the recipients wrap through the key services.
func (r *runner) viaKeyServices(groups [][]keysources.Recipient) [][]keysources.Recipient {
	return all.ViaKeyServices(r.companion(), groups, r.ks.uris, r.ks.noLocal)
}

// keyserviceCommand is `hull keyservice`: sops's key service server, run
// by hull-kms.
func (r *runner) keyserviceCommand() *cli.Command {
	return &cli.Command{
		Name:  "keyservice",
		Usage: "start a SOPS key service server (gRPC) with your identities",
		Description: "Serves the sops key service protocol, so that sops or hull on another machine (or in a\n" +
			"container) with --keyservice and --enable-local-keyservice=false wraps and unwraps data keys\n" +
			"with the identities of this environment (age, PGP, Vault transit, AWS/GCP/Azure KMS) without\n" +
			"ever holding them. It logs each request (operation, key type and id, result) on stderr.\n" +
			"Run by hull-kms, which must be installed next to hull.\n\n" +
			"Anyone who can connect can decrypt with your keys: prefer a unix socket (created mode 0600)\n" +
			"forwarded over SSH (ssh -R /remote.sock:/local.sock host); listen on TCP only on loopback.",
		Flags: append(flagsFor(gGlobal),
			&cli.StringFlag{Name: "network", Aliases: []string{"net"}, Usage: "network to listen on, e.g. 'tcp' or 'unix'", Value: "tcp"},
			&cli.StringFlag{Name: "address", Aliases: []string{"addr"}, Usage: "address to listen on, e.g. '127.0.0.1:5000' or '/tmp/sops.sock'", Value: "127.0.0.1:5000"},
			&cli.BoolFlag{Name: "prompt", Usage: "prompt user to confirm every incoming request"},
		),
		Action:       r.cmdKeyservice,
		OnUsageError: usageError,
	}
}

// keyserviceEnv are the variables hull-kms keyservice reads: hull's view of
// them overrides the process's (tests run hull in process).
var keyserviceEnv = []string{
	"HOME", "XDG_CONFIG_HOME", "SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE",
	"SOPS_AGE_SSH_PRIVATE_KEY_CMD", "HULL_STRICT_PERMS", "HULL_PGP_KEY_FILE", "GNUPGHOME", "SOPS_GPG_EXEC", "VAULT_TOKEN", "VAULT_NAMESPACE", "SOPS_HC_VAULT_ALLOWLIST",
}

func (r *runner) cmdKeyservice(c *cli.Context) error {
	if c.NArg() > 0 {
		return withCode(exitGeneric, fmt.Errorf("keyservice takes no arguments (got %q)", c.Args().First()))
	}
	path, err := r.findCompanion()
	if err != nil {
		return withCode(exitGeneric, fmt.Errorf("keyservice: %w: %v%s", companion.ErrNotInstalled, err, companionHint()))
	}
	args := []string{path, "keyservice", "--network", c.String("network"), "--address", c.String("address")}
	if c.Bool("prompt") {
		args = append(args, "--prompt")
	}
	env := r.keyserviceEnv()
	if runtime.GOOS != "windows" {
		// hull-kms takes hull's place: signals (Ctrl-C, SIGTERM) reach it.
		err := syscall.Exec(path, args, env)
		return withCode(exitGeneric, fmt.Errorf("keyservice: running %s: %v", path, err))
	}
	cmd := exec.Command(path, args[1:]...)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = env, r.stdin, r.stdout, r.stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return withCode(ee.ExitCode(), errors.New("keyservice stopped"))
		}
		return withCode(exitGeneric, fmt.Errorf("keyservice: %v", err))
	}
	return nil
}

// keyserviceEnv is hull-kms's environment (companionEnv) with hull's
// values of the variables in keyserviceEnv, each once.
func (r *runner) keyserviceEnv() []string {
	override := map[string]bool{}
	for _, k := range keyserviceEnv {
		override[k] = true
	}
	var env []string
	for _, kv := range r.companionEnv() {
		if k, _, _ := strings.Cut(kv, "="); !override[k] {
			env = append(env, kv)
		}
	}
	for _, k := range keyserviceEnv {
		if v, ok := r.env.lookup(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
