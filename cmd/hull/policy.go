package main

import (
	"errors"
	"os"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/all"
	"github.com/hullsecrets/hull/sopsenv"
)

// The run's view of sops's environment conventions (package sopsenv):
// .sops.yaml, hull-kms, Vault, and the keys and rule of new files.

// companionHolder is the run's hull-kms client, shared by bulk workers.
type companionHolder = sopsenv.Companion

// companion returns the run's client of hull-kms; nothing starts until a
// cloud key is used.
func (r *runner) companion() *sopsenv.Client {
	if r.kms == nil { // a runner not made by Main (tests)
		r.kms = &companionHolder{}
	}
	return r.kms.Client(r.companionSettings)
}

// companionSettings are what hull-kms is started with.
func (r *runner) companionSettings() sopsenv.CompanionSettings {
	exe, _ := os.Executable()
	return sopsenv.CompanionSettings{Env: r.env.lookup, Environ: os.Environ(), Drop: scrubbedEnv,
		Executable: exe, Version: hullVersion(), Stderr: r.stderr}
}

func (r *runner) closeCompanion() { r.kms.Close() }

func (r *runner) vaultToken() (string, error) { return sopsenv.VaultToken(r.env.lookup) }

// networkIdentities are the AWS KMS and Vault identities (none with
// --enable-local-keyservice=false: the key services only).
func (r *runner) networkIdentities(vaultAddrs []string) []keysources.Identity {
	if r.ks.NoLocal {
		return nil
	}
	return sopsenv.NetworkIdentities(r.companion(), r.env.lookup, vaultAddrs)
}

// flagVaultAddresses returns the Vault addresses of --hc-vault-transit.
func flagVaultAddresses(cl *cmdLine) []string {
	if !cl.has("hc-vault-transit") {
		return nil
	}
	return sopsenv.VaultAddresses(cl.str("hc-vault-transit"))
}

// keyOptions are the key sources' settings with --aws-profile and
// --encryption-context (a malformed context is exit 6, as in sops).
func (r *runner) keyOptions(cl *cmdLine) (all.Options, error) {
	opts := r.keySourceOptions()
	var profile, kctx string
	if cl.has("aws-profile") {
		profile = cl.str("aws-profile")
	}
	if cl.has("encryption-context") {
		kctx = cl.str("encryption-context")
	}
	k, err := sopsenv.KMSOptions(profile, kctx)
	if err != nil {
		return opts, withCode(exitInvalidKMSContext, sopsSays("Invalid KMS encryption context format", err))
	}
	opts.KMS = k
	return opts, nil
}

// findConfig names the .sops.yaml: --config, else SOPS_CONFIG, else the
// first safe .sops.yaml upwards from the working directory, as sops finds
// it (TRUST.md "Finding .sops.yaml"; config.Locate): the target's location
// plays no part. The warnings are those of the search.
func (r *runner) findConfig(cl *cmdLine, _ string) (string, []string, error) {
	if r.configPath != "" {
		return r.configPath, nil, nil
	}
	return r.configs.Locate(cl.str("config"), r.env.get, "")
}

// loadConfig finds and parses the .sops.yaml (nil when there is none).
func (r *runner) loadConfig(cl *cmdLine, target string) (*config.Config, error) {
	p, err := r.policy(cl, target)
	if err != nil {
		return nil, err
	}
	return p.Config, nil
}

// policy is the trust policy (docs/TRUST.md) for the file name:
// hull.ResolvePolicy from the flags, the environment and the .sops.yaml
// this run reads (once, through the config cache), whose warnings are
// printed once; read-only commands that print nothing on success, as sops,
// show the config's own warnings only with --verbose. A config that
// cannot be read is an error (fail closed).
func (r *runner) policy(cl *cmdLine, _ string) (*hull.Policy, error) {
	path := r.configPath
	if path == "" {
		path = cl.str("config")
	}
	flag := func(name string) bool { return cl.has(name) && cl.on(name) }
	p, err := hull.ResolvePolicy(hull.PolicyInput{Getenv: r.env.get, ConfigPath: path, Load: r.configs.Load, Locate: r.configs.Locate, QuietConfig: quietCommand(cl),
		IgnoreMAC: flag("ignore-mac"), ForceRewriteUnverified: flag("force-rewrite-unverified"), KeepRecipients: flag("keep-recipients")})
	if err != nil {
		return nil, withCode(exitErrorReadingConfig, err)
	}
	p.RuleKeys = func(cr *config.CreationRule) [][]hull.KeyID {
		return sopsenv.RuleKeyIDs(cr, all.Options{Companion: r.companion()})
	}
	for _, w := range r.configs.New(p.Warnings) { // each once per run
		r.warnf("%s", w)
	}
	return p, nil
}

// quietCommand reports whether cl runs a read-only command that prints
// nothing on stderr when it succeeds (helm-secrets and others mix stderr
// into their output).
func quietCommand(cl *cmdLine) bool {
	if cl == nil || cl.on("verbose") {
		return false
	}
	for _, name := range cl.commands {
		switch name {
		case "decrypt", "exec-env", "exec-file", "diff", "filestatus":
			return true
		}
	}
	return cl.on("decrypt") // sops -d
}

// keyFlags are the key flags of cl's command (flag name → value).
func keyFlags(cl *cmdLine) map[string]string {
	return sopsenv.KeyFlagValues(func(f string) (string, bool) { return cl.str(f), cl.has(f) })
}

// resolvePolicy decides the keys and the rule for a new file named name:
// the flags and the environment first, then .sops.yaml.
func (r *runner) resolvePolicy(cl *cmdLine, name string) (*sopsenv.NewFile, error) {
	cliRule, err := rule(cl)
	if err != nil {
		return nil, err
	}
	cfg, err := r.loadConfig(cl, name)
	if err != nil {
		return nil, err
	}
	opts, err := r.keyOptions(cl)
	if err != nil {
		return nil, err
	}
	p, err := sopsenv.NewFilePolicy(sopsenv.NewFileInput{Name: name, Config: cfg, KeyFlags: keyFlags(cl), Env: r.env.lookup,
		Options: opts, Rule: cliRule, MACOnlyEncrypted: cl.on("mac-only-encrypted"),
		Threshold: cl.str("shamir-secret-sharing-threshold"), VaultAddresses: flagVaultAddresses(cl)})
	return p, keyError(err)
}

// keyError gives the errors of sopsenv's key resolution their exit codes.
func keyError(err error) error {
	var ce *sopsenv.ConfigError
	switch {
	case errors.As(err, &ce):
		return withCode(exitErrorReadingConfig, err)
	case errors.Is(err, keysources.ErrEndpointNotAllowed):
		return err
	}
	return withCode(exitGeneric, err)
}

// checkEndpoints refuses Vault recipients at addresses the user did not
// give (docs/TRUST.md rule 17).
func (r *runner) checkEndpoints(cl *cmdLine, groups [][]keysources.Recipient) error {
	return sopsenv.CheckEndpoints(r.env.lookup, flagVaultAddresses(cl), groups)
}
