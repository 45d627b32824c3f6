package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hullsecrets/hull"
	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources/localkeys"
	"github.com/hullsecrets/hull/metadata"
	"github.com/hullsecrets/hull/sopsenv"
)

// oneFile returns the single FILE argument of a command.
func oneFile(cl *cmdLine, optional bool) (string, error) {
	switch len(cl.args) {
	case 0:
		if optional {
			return "", nil
		}
		return "", withCode(exitNoFileSpecified, errors.New("no file given"))
	case 1:
		return cl.arg(0), nil
	}
	return "", withCode(exitGeneric, fmt.Errorf("usage: one file expected, got %d arguments (%s)", len(cl.args), strings.Join(cl.args, " ")))
}

// rule resolves the encryption rule from the flags (sopsenv.Rule).
func rule(cl *cmdLine) (metadata.Rule, error) {
	given := map[string]string{}
	for _, f := range sopsenv.RuleFlags {
		if cl.has(f.Flag) && cl.isSet(f.Flag) {
			given[f.Flag] = cl.str(f.Flag)
		}
	}
	r, err := sopsenv.Rule(given)
	if err != nil && !errors.Is(err, metadata.ErrConflictingRules) {
		return r, withCode(exitErrorReadingConfig, err)
	}
	return r, err
}

func (r *runner) cmdEncrypt(cl *cmdLine) error {
	if recursive(cl) { // -r: bulk (cmd_bulk.go)
		return r.bulkEncrypt(cl)
	}
	path, err := oneFile(cl, true)
	if err != nil {
		return err
	}
	return r.encrypt(cl, path)
}

func (r *runner) encrypt(cl *cmdLine, path string) (err error) {
	defer r.audit(cl, "encrypt", path)(&err) // audit.go: the result record
	fio, err := r.resolveIO(cl, path, true)
	if err != nil {
		return err
	}
	if err := r.setupKeyservice(cl); err != nil {
		return err
	}
	name := fio.name
	if name == "" {
		name = "stdin"
	}
	pol, err := r.resolvePolicy(cl, name)
	if err != nil {
		return err
	}
	fio.emitOpts = pol.Indent(fio.out.Name(), fio.emitOpts)
	rl := r.singleValueRule(fio.in, pol.Rule)
	data, err := r.readInput(fio)
	if err != nil {
		return err
	}
	out, err := hull.EncryptPlain(data, fio.display(), hull.EncryptOptions{
		Groups:            r.viaKeyServices(pol.Groups),
		ShamirThreshold:   pol.Threshold,
		Rule:              rl,
		MACOnlyEncrypted:  pol.MACOnlyEncrypted,
		Format:            fio.out,
		InputFormat:       fio.in,
		AllowNoEncryption: cl.on("allow-no-encryption"),
	}, fio.emitOpts, func(w string) { r.warnf("%s", w) }, r.sopsLog(cl).Encrypted)
	if err != nil {
		return err
	}
	return r.write(fio, out, false)
}

// singleValueRule drops the rule of binary input, with sops's warning
// (hull.BinaryRule).
func (r *runner) singleValueRule(in formats.Format, rl metadata.Rule) metadata.Rule {
	rl, warning := hull.BinaryRule(in, rl)
	if warning != "" {
		r.warnf("%s", warning)
	}
	return rl
}

func (r *runner) decryptionOrder(cl *cmdLine) ([]string, error) {
	order, err := sopsenv.DecryptionOrder(cl.str("decryption-order"), r.env.lookup)
	if err != nil {
		return nil, withCode(exitDuplicateKeyType, sopsSays("Duplicate decryption key type", err))
	}
	return order, nil
}

func (r *runner) cmdDecrypt(cl *cmdLine) error {
	if recursive(cl) { // -r: bulk (cmd_bulk.go)
		return r.bulkDecrypt(cl)
	}
	if len(cl.args) > 1 { // several files: one YAML stream (cmd_decrypt_multi.go)
		return r.decryptMulti(cl, cl.args)
	}
	path, err := oneFile(cl, true)
	if err != nil {
		return err
	}
	return r.decrypt(cl, path)
}

// openFile reads, parses and decrypts a file.
func (r *runner) openFile(cl *cmdLine, fio *fileIO) (*formats.File, *hull.Opened, error) {
	data, err := r.readInput(fio)
	if err != nil {
		return nil, nil, err
	}
	return r.open(cl, fio, data, nil, nil)
}

// open is the one "open an encrypted file" of every command (decrypt, the
// rewrites, the key commands, the git drivers): parse, load the metadata,
// recover the data key with every identity the user has (files, gpg, cloud
// key sources), verify the MAC and, as the policy requires, the extended
// MAC. With a stash, the ciphertext of every value is remembered for a
// rewrite. prepare, when given, sees the parsed file before it is decrypted
// (the key commands set aside stanzas that hold no key).
func (r *runner) open(cl *cmdLine, fio *fileIO, data []byte, stash *hull.Stash, prepare func(*formats.File)) (rf *formats.File, ro *hull.Opened, rerr error) {
	// audit.go: the access record, written before any plaintext leaves hull.
	ac, finish, err := r.auditAccess(cl, fio)
	if err != nil {
		return nil, nil, err
	}
	defer func() { rf, ro, rerr = finish(rf, ro, rerr) }()
	if err := r.setupKeyservice(cl); err != nil {
		return nil, nil, err
	}
	order, err := r.decryptionOrder(cl)
	if err != nil {
		return nil, nil, err
	}
	ctx := r.sopsLog(cl).Context(ac.Context(context.Background()))
	f, opened, err := sopsenv.Open(ctx, sopsenv.OpenInput{Format: fio.in, Data: data, Display: fio.display(), Name: fio.ruleName(), Prepare: prepare,
		Identities: func() (*localkeys.Set, error) {
			ids, err := r.loadIdentities(ctx)
			if err == nil {
				ids.Identities = append(ids.Identities, r.networkIdentities(flagVaultAddresses(cl))...)
			}
			return ids, err
		},
		Policy:    func() (*hull.Policy, error) { return r.policy(cl, fio.ruleName()) },
		Decrypt:   hull.DecryptOptions{DecryptionOrder: order, Stash: stash, Compat: cl.on("compat")},
		Decrypted: r.sopsLog(cl).Decrypted, Warn: func(w string) { r.warnf("%s", w) }, Verbose: cl.on("verbose"),
	})
	if errors.Is(err, sopsenv.ErrUnreadable) {
		// sops exits 1 here (2 is for plaintext it cannot read).
		err = withCode(exitGeneric, err)
	}
	return f, opened, err
}

func (r *runner) decrypt(cl *cmdLine, path string) (err error) {
	defer r.audit(cl, "decrypt", path)(&err) // audit.go: the result record
	fio, err := r.resolveIO(cl, path, false)
	if err != nil {
		return err
	}
	var extract []hull.PathStep
	if s := cl.str("extract"); s != "" {
		if extract, err = hull.ParseTreePath(s); err != nil {
			return err
		}
	}
	f, opened, err := r.openFile(cl, fio)
	if err != nil {
		return err
	}
	clear(opened.Key) // decrypt needs the data key no longer
	guessed := fio.guessed && fio.out.Name() == "binary" && !(cl.has("output-type") && cl.str("output-type") != "")
	out, err := sopsenv.Dump(f, extract, fio.out, fio.emitOpts, fio.display(), guessed)
	if err != nil {
		return err
	}
	return r.write(fio, out, true)
}

func (r *runner) cmdFilestatus(cl *cmdLine) error {
	path, err := oneFile(cl, false)
	if err != nil {
		return err
	}
	fio, err := r.resolveIO(cl, path, true)
	if err != nil {
		return err
	}
	data, err := r.readInput(fio)
	if err != nil {
		return err
	}
	f, err := fio.parse(data, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.stdout, "{\"encrypted\":%t}\n", hull.IsEncrypted(f))
	return nil
}
