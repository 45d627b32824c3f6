package kmsplugin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/hullsecrets/hull/internal/keyservice"
	"github.com/hullsecrets/hull/internal/prompt"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/keysources/age"
	"github.com/hullsecrets/hull/keysources/cloudkey"
	"github.com/hullsecrets/hull/keysources/companion"
	"github.com/hullsecrets/hull/keysources/localkeys"
	"github.com/hullsecrets/hull/keysources/pgp"
	"github.com/hullsecrets/hull/keysources/vault"
	"github.com/hullsecrets/hull/metadata"
)

const keyserviceUsage = `usage: hull-kms keyservice [--network tcp|unix] [--address ADDR] [--prompt] [--verbose]

Serves the sops key service (gRPC) with the identities and credentials of
this environment. hull keyservice runs it; see hull keyservice --help.
`

// KeyService runs `hull-kms keyservice`: the sops key service server, until
// SIGINT or SIGTERM. It returns the exit code.
func KeyService(args []string, stdin io.Reader, stdout, stderr io.Writer, lookup func(string) (string, bool), o Options) int {
	fs := flag.NewFlagSet("keyservice", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var network, address string
	var confirm, verbose bool
	fs.StringVar(&network, "network", "tcp", "")
	fs.StringVar(&network, "net", "tcp", "")
	fs.StringVar(&address, "address", "127.0.0.1:5000", "")
	fs.StringVar(&address, "addr", "127.0.0.1:5000", "")
	fs.BoolVar(&confirm, "prompt", false, "")
	fs.BoolVar(&verbose, "verbose", false, "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, keyserviceUsage)
			return 0
		}
		fmt.Fprintf(stderr, "hull-kms keyservice: %v\n%s", err, keyserviceUsage)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hull-kms keyservice: unexpected argument %q\n%s", fs.Arg(0), keyserviceUsage)
		return 2
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "[KEYSERVICE] "+format+"\n", a...)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.Age.UI == nil {
		// Protected identities and age plugins ask on the server's own
		// terminal (/dev/tty), one question at a time, when a request
		// first needs them; without a terminal they fail, saying so.
		o.Age.UI = prompt.Terminal{Prefix: "[KEYSERVICE] "}.ClientUI()
	}
	// A wrong passphrase (a declined plugin question, ...) fails only the
	// request that asked: the next one asks again. A right passphrase is
	// kept until the server ends, as ssh-agent keeps a key once added.
	o.Age.Retry = true
	if o.Stderr == nil {
		o.Stderr = stderr
	}
	srv, err := NewKeyServer(ctx, lookup, o)
	if err != nil {
		logf("Error running keyservice: %v", err)
		return 1
	}
	srv.Log = func(line string) { logf("%s", line) }
	if confirm {
		srv.Confirm = promptConfirm(stdin, stdout)
	}
	get := func(k string) string { v, _ := lookup(k); return v }
	tlsConf, err := ServerTLS(get)
	if err != nil {
		logf("Error running keyservice: %v", err)
		return 1
	}
	var opts []grpc.ServerOption
	how := ""
	if tlsConf != nil {
		if network == "unix" {
			logf("Error running keyservice: %s is set, but mutual TLS is for --network tcp: a unix socket is reached through its file's permissions", companion.EnvTLSCert)
			return 1
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(tlsConf)))
		how = " (mutual TLS: clients need a certificate signed by " + companion.EnvTLSClientCA + ")"
	}
	if network == "unix" {
		removeStaleSocket(address)
	}
	l, err := net.Listen(network, address)
	if err != nil {
		logf("Error running keyservice: %v", err)
		return 1
	}
	if network == "unix" {
		// Only this user may connect: the socket serves its keys.
		os.Chmod(address, 0o600)
	} else if !loopback(address) && tlsConf == nil {
		logf("WARNING: listening on %s://%s, which is not a loopback address: anyone who can connect can decrypt with this service's keys. Listen on 127.0.0.1 or a unix socket and forward it over SSH, or require client certificates (%s, %s, %s).", network, address, companion.EnvTLSCert, companion.EnvTLSKey, companion.EnvTLSClientCA)
	}
	logf("Listening on %s://%s%s", network, address, how)
	err = keyservice.Serve(ctx, l, srv, opts...)
	l.Close()
	if err != nil {
		logf("Error running keyservice: %v", err)
		return 1
	}
	logf("Shutting down.")
	return 0
}

// removeStaleSocket removes a socket file no server listens on (left by a
// server that was killed), so that the new one can listen; anything else
// at the path is left for net.Listen to report.
func removeStaleSocket(p string) {
	fi, err := os.Lstat(p)
	if err != nil || fi.Mode().Type() != fs.ModeSocket {
		return
	}
	if c, err := net.DialTimeout("unix", p, time.Second); err == nil {
		c.Close()
		return
	}
	os.Remove(p)
}

func loopback(address string) bool {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// promptConfirm asks on out and reads y or n from in, as sops's --prompt.
func promptConfirm(in io.Reader, out io.Writer) func(op, key string) (bool, error) {
	var mu sync.Mutex
	br := bufio.NewReader(in)
	return func(op, key string) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		for {
			fmt.Fprintf(out, "\nReceived %s request using %s. Respond to request? (y/n): ", op, key)
			line, err := br.ReadString('\n')
			switch strings.TrimSpace(line) {
			case "y":
				return true, nil
			case "n":
				return false, nil
			}
			if err != nil {
				return false, err
			}
		}
	}
}

// NewKeyServer is the key service of the environment lookup gives: the
// age and PGP identities hull would use (keysources/localkeys: key
// commands, age plugins and protected identities through o.Age), Vault transit with VAULT_TOKEN
// (or ~/.vault-token) at the addresses SOPS_HC_VAULT_ALLOWLIST allows,
// and the cloud key sources with the environment's credentials.
func NewKeyServer(ctx context.Context, lookup func(string) (string, bool), o Options) (*keyservice.Server, error) {
	get := func(k string) string { v, _ := lookup(k); return v }
	po := localkeys.PGPOptions(lookup)
	set, err := localkeys.Load(ctx, localkeys.Env{Lookup: lookup, Age: o.Age, PGP: po, Stderr: o.Stderr})
	if err != nil {
		return nil, err
	}
	ids := set.Identities
	vo, err := vaultOptions(get)
	if err != nil {
		return nil, err
	}
	backends := Backends(o.AWS, gcpOptions(o, get), o.Azure)
	ids = append(ids, vault.NewIdentity(vo))
	for _, t := range companion.Types {
		ids = append(ids, backends[t].Identity)
	}
	return &keyservice.Server{
		Identities: ids,
		Recipient: func(key metadata.Stanza) (keysources.Recipient, error) {
			return keyRecipient(key, po, vo, backends)
		},
	}, nil
}

func vaultOptions(get func(string) string) (vault.Options, error) {
	o := vault.Options{Token: get("VAULT_TOKEN"), Namespace: get("VAULT_NAMESPACE")}
	if o.Token == "" {
		if home := get("HOME"); home != "" {
			if b, err := os.ReadFile(filepath.Join(home, ".vault-token")); err == nil {
				o.Token = strings.TrimSpace(string(b))
			}
		}
	}
	if v := get("SOPS_HC_VAULT_ALLOWLIST"); v != "" {
		al, err := vault.ParseAllowlist(v)
		if err != nil {
			return o, fmt.Errorf("SOPS_HC_VAULT_ALLOWLIST: %v", err)
		}
		o.Allowlist = al
	}
	return o, nil
}

// keyRecipient makes the recipient of a key a client asked to encrypt
// with.
func keyRecipient(key metadata.Stanza, po pgp.Options, vo vault.Options, backends map[string]companion.Backend) (keysources.Recipient, error) {
	one := func(rs []keysources.Recipient, err error) (keysources.Recipient, error) {
		if err != nil {
			return nil, err
		}
		if len(rs) != 1 {
			return nil, fmt.Errorf("%s key %q is not one key", key.Type, metadata.StanzaID(key))
		}
		return rs[0], nil
	}
	switch key.Type {
	case age.Type:
		return one(age.ParseRecipients(key.Get("recipient")))
	case pgp.Type:
		return one(pgp.ParseRecipients(key.Get("fp"), po))
	case vault.Type:
		k := vault.Key{Address: key.Get("vault_address"), EnginePath: key.Get("engine_path"), Name: key.Get("key_name")}
		// The token goes only where the server's allowlist says.
		if !vo.Allowlist.Allows(k.Address) {
			return nil, &keysources.KeyError{Type: vault.Type, Key: k.String(), Op: "wrap", Class: keysources.ErrEndpointNotAllowed,
				Err: fmt.Errorf("vault address %s is not in the key service's SOPS_HC_VAULT_ALLOWLIST; nothing was sent to it", k.Address)}
		}
		return vault.NewRecipient(k, vo)
	case cloudkey.KMS:
		ctx := map[string]string{}
		if c := key.Fields.Get("context"); c != nil {
			for _, e := range c.Children {
				ctx[e.Key] = e.Value
			}
		}
		raw, _ := json.Marshal(cloudkey.KMSKey{ARN: key.Get("arn"), Role: key.Get("role"), Context: ctx, Profile: key.Get("aws_profile")})
		return backends[cloudkey.KMS].Recipient(raw)
	case cloudkey.GCPKMS:
		raw, _ := json.Marshal(map[string]string{"resource_id": key.Get("resource_id")})
		return backends[cloudkey.GCPKMS].Recipient(raw)
	case cloudkey.AzureKV:
		raw, _ := json.Marshal(cloudkey.AzureKey{VaultURL: key.Get("vault_url"), Name: key.Get("name"), Version: key.Get("version")})
		return backends[cloudkey.AzureKV].Recipient(raw)
	}
	return nil, fmt.Errorf("%w: %s", keyservice.ErrUnsupported, key.Type)
}
