package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/internal/fserr"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/publish"
	"github.com/hullsecrets/hull/sopsenv"
)

func (r *runner) publishCommand() *cli.Command {
	return &cli.Command{
		Name:      "publish",
		Usage:     "upload an encrypted file, or a directory of them, to the destination .sops.yaml gives it",
		ArgsUsage: "FILE|DIR",
		Description: "As sops publish: the first destination_rules entry of .sops.yaml whose path_regex matches\n" +
			"FILE (as typed) names an S3 or GCS bucket (s3_bucket/gcs_bucket, with a prefix), or a Vault\n" +
			"KV secret (vault_path, vault_address, vault_kv_mount_name, vault_kv_version). A bucket gets the\n" +
			"encrypted file, re-encrypted for the keys of the rule's recreation_rule when it has one;\n" +
			"Vault gets the decrypted values. The object is named by the prefix and the file's base name,\n" +
			"or with --recursive its path below DIR. Uploads to buckets go through hull-kms. hull asks\n" +
			"before each upload (y/n on standard input; n with --recursive skips the file); --yes does\n" +
			"not ask.",
		Flags: append(flagsFor(gGlobal),
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "upload without asking"},
			&cli.BoolFlag{Name: "omit-extensions", Usage: "leave the file's extension out of the destination's name"},
			&cli.BoolFlag{Name: "recursive", Usage: "publish every file under DIR"}),
		Action:       act(r.cmdPublish),
		OnUsageError: usageError,
	}
}

func (r *runner) cmdPublish(cl *cmdLine) error {
	path, err := oneFile(cl, false)
	if err != nil {
		return err
	}
	files, links, err := publish.Files(path, cl.on("recursive"))
	if code := exitGeneric; err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			code = exitNoFileSpecified
		}
		return withCode(code, fmt.Errorf("cannot publish: %w", fserr.Bare(err)))
	}
	for _, l := range links {
		r.warnf("%s: not published: publish --recursive follows no symbolic link", l)
	}
	// As sops: with --recursive an object is named by its path below
	// the directory given, else by its base name.
	root := ""
	if cl.on("recursive") {
		root = path
	}
	answers := bufio.NewReader(r.stdin)
	for _, f := range files { // as sops: the first failure stops
		if err := r.publishFile(cl, f, root, answers); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) publishFile(cl *cmdLine, path, root string, answers *bufio.Reader) error {
	cfg, err := r.loadConfig(cl, path)
	if err != nil {
		return err
	}
	d, _ := cfg.DestinationFor(path)
	t, err := publish.For(d, path, root, cl.on("omit-extensions"))
	if err != nil {
		return withCode(exitGeneric, fmt.Errorf("%s: %w", path, err))
	}
	tok, _ := r.vaultToken()
	vc := &publish.VaultClient{Address: r.env.get("VAULT_ADDR"), Token: tok, Namespace: r.env.get("VAULT_NAMESPACE")}
	t = vc.Resolve(t)
	if t.Kind == publish.Vault {
		// The token and the decrypted values go only where the user
		// sends Vault requests, never to an address .sops.yaml names
		// (docs/TRUST.md rule 17).
		al, err := sopsenv.VaultAllowlist(r.env.lookup, nil)
		if err != nil {
			return withCode(exitGeneric, err)
		}
		if !al.Allows(t.Address) {
			return withCode(exitEndpointNotAllowed, fmt.Errorf("%s: refused to publish to Vault at %s: the address comes from .sops.yaml and is not VAULT_ADDR or in SOPS_HC_VAULT_ALLOWLIST; nothing was sent", path, t.Address))
		}
	}
	body, data, err := r.publishContent(cl, path, t, d.RecreationRule)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return withCode(exitGeneric, fmt.Errorf("%s: %w", path, err))
	}
	if !cl.on("yes") {
		if ok, err := publish.Ask(r.stdout, answers, abs, path, t, root != ""); !ok || err != nil {
			return err
		}
	}
	ctx := context.Background()
	if t.Kind == publish.Vault {
		changed, err := vc.Put(ctx, t, data)
		if err == nil && !changed {
			fmt.Fprintf(r.stderr, "%s: the secret at %s is already up to date\n", r.name, t)
		}
		return withCode(exitGeneric, err)
	}
	if err := r.companion().Upload(ctx, t.Kind, t.Bucket, t.Key, body); err != nil {
		return withCode(exitGeneric, fmt.Errorf("%s: publishing to %s: %w", path, t, err))
	}
	return nil
}

// publishContent is what goes to t (publish.Content): the decrypted data
// for Vault; for a bucket the file, re-encrypted for the recreation rule's
// keys if any.
func (r *runner) publishContent(cl *cmdLine, path string, t publish.Target, rr *config.CreationRule) ([]byte, map[string]any, error) {
	fio, err := r.resolveIO(cl, path, true)
	if err != nil {
		return nil, nil, err
	}
	return publish.Content(t, rr, publish.Source{Path: path, In: fio.in, Out: fio.out, Emit: fio.emitOpts, Changes: r.stdout,
		Read: func() ([]byte, error) { return r.readInput(fio) },
		Open: func() (*hull.KeyFile, error) { return r.openForKeys(cl, fio) },
		Recipients: func(rr *config.CreationRule) ([][]keysources.Recipient, error) {
			groups, err := r.ruleRecipients(rr, fmt.Sprintf("the recreation_rule at line %d", rr.Line))
			return r.viaKeyServices(groups), err
		}})
}
