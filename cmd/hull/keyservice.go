package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull/internal/execx"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/all"
	"github.com/hullsecrets/hull/sopsenv"
)

// The sops key service (gRPC), both ways, runs in hull-kms so that hull
// links no gRPC: `hull keyservice` becomes `hull-kms keyservice`, and
// --keyservice sends the wraps and unwraps to hull-kms, which asks the
// services (docs/COMPANION.md, keyservice_* requests).

// keyServices are the command's sops key services.
type keyServices = sopsenv.KeyServices

// setupKeyservice reads --keyservice and --enable-local-keyservice (or
// their variables) into r.ks.
func (r *runner) setupKeyservice(cl *cmdLine) error {
	var local *bool // given (on the command line or by its variable), else nil
	if b := cl.on("enable-local-keyservice"); cl.isSet("enable-local-keyservice") {
		local = &b
	}
	ks, warnings, err := sopsenv.ParseKeyServices(cl.list("keyservice"), local, r.env.lookup)
	for _, w := range warnings {
		r.warnf("%s", w)
	}
	r.ks = ks
	return withCode(exitGeneric, err)
}

// viaKeyServices makes the recipients wrap through the key services.
func (r *runner) viaKeyServices(groups [][]keysources.Recipient) [][]keysources.Recipient {
	return all.ViaKeyServices(r.companion(), groups, r.ks.URIs, r.ks.NoLocal)
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
			"forwarded over SSH (ssh -R /remote.sock:/local.sock host); listen on TCP only on loopback,\n" +
			"or with mutual TLS: HULL_KEYSERVICE_CERT, HULL_KEYSERVICE_KEY and HULL_KEYSERVICE_CLIENT_CA\n" +
			"(hull clients only: they set HULL_KEYSERVICE_CA, _CLIENT_CERT, _CLIENT_KEY; sops has no TLS).",
		Flags: append(flagsFor(gGlobal),
			&cli.StringFlag{Name: "network", Aliases: []string{"net"}, Usage: "network to listen on, e.g. 'tcp' or 'unix'", Value: "tcp"},
			&cli.StringFlag{Name: "address", Aliases: []string{"addr"}, Usage: "address to listen on, e.g. '127.0.0.1:5000' or '/tmp/sops.sock'", Value: "127.0.0.1:5000"},
			&cli.BoolFlag{Name: "prompt", Usage: "prompt user to confirm every incoming request"},
		),
		Action:       act(r.cmdKeyservice),
		OnUsageError: usageError,
	}
}

func (r *runner) cmdKeyservice(cl *cmdLine) error {
	if len(cl.args) > 0 {
		return withCode(exitGeneric, fmt.Errorf("keyservice takes no arguments (got %q)", cl.arg(0)))
	}
	// hull-kms keyservice serves hull's identities: hull's view of their
	// variables overrides the process's (tests run hull in process).
	args, env, err := sopsenv.KeyServiceServer(r.companionSettings(), cl.str("network"), cl.str("address"), cl.on("prompt"))
	if err != nil {
		return withCode(exitGeneric, fmt.Errorf("keyservice: %w", err))
	}
	// hull-kms takes hull's place (execx.Become): signals reach it.
	code, err := execx.Become(execx.Process{Path: args[0], Args: args, Env: env, Stdin: r.stdin, Stdout: r.stdout, Stderr: r.stderr})
	switch {
	case err != nil:
		return withCode(exitGeneric, fmt.Errorf("keyservice: running %s: %v", args[0], err))
	case code != 0:
		return withCode(code, errors.New("keyservice stopped"))
	}
	return nil
}
