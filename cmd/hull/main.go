// Command hull encrypts the values of YAML, JSON, dotenv and INI files (and
// whole binary files) in the SOPS v3 format. It accepts the sops command
// line: invoked through a symlink named "sops" it answers as sops.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"
)

// Set by the release build with -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "0.1.0-dev"
	commit  = ""
)

// sopsVersion is the sops release whose behaviour hull follows; it is what
// hull reports when it is invoked as sops.
const sopsVersion = "3.13.3"

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		// hull holds a file's tree and its output at once and then exits:
		// collecting at 50% growth instead of 100% keeps the peak memory of
		// a 10 MB file under 300 MiB for a few percent more CPU.
		debug.SetGCPercent(50)
	}
	os.Exit(Main(os.Args, os.Stdin, os.Stdout, os.Stderr, os.LookupEnv))
}

// env is the process environment as hull sees it; tests pass their own.
type env struct {
	lookup func(string) (string, bool)
}

func (e env) get(k string) string {
	v, _ := e.lookup(k)
	return v
}

// runner holds what a command needs from the outside world.
type runner struct {
	name   string // "hull", or "sops" when invoked through a symlink
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	env    env
	// configs caches the .sops.yaml files this run has read (policy.go).
	configs *configCache
}

func (r *runner) errorf(format string, args ...any) {
	fmt.Fprintf(r.stderr, "%s: error: %s\n", r.name, fmt.Sprintf(format, args...))
}

func (r *runner) warnf(format string, args ...any) {
	fmt.Fprintf(r.stderr, "%s: warning: %s\n", r.name, fmt.Sprintf(format, args...))
}

func (r *runner) hintf(format string, args ...any) {
	fmt.Fprintf(r.stderr, "%s: hint: %s\n", r.name, fmt.Sprintf(format, args...))
}

// Main runs hull and returns its exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	name := "hull"
	if len(args) > 0 && strings.TrimSuffix(filepath.Base(args[0]), ".exe") == "sops" {
		name = "sops"
	}
	r := &runner{name: name, stdin: stdin, stdout: stdout, stderr: stderr, env: env{lookup: lookup}, configs: newConfigCache()}
	err := r.run(args)
	if err == nil {
		return exitOK
	}
	var ex *childExit
	if errors.As(err, &ex) {
		return ex.code
	}
	r.errorf("%s", withSopsSentence(err))
	for _, h := range hints(err) {
		r.hintf("%s", h)
	}
	return exitCode(err)
}

// childExit is returned when hull exits with a child's status.
type childExit struct{ code int }

func (c *childExit) Error() string { return fmt.Sprintf("exit status %d", c.code) }

func versionString(name string) string {
	c := commit
	if c == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					c = s.Value[:12]
				}
			}
		}
	}
	if c == "" {
		c = "unknown commit"
	}
	if name == "sops" {
		return fmt.Sprintf("sops %s (hull %s, %s)\n", sopsVersion, version, c)
	}
	return fmt.Sprintf("hull %s (%s; sops format %s)\n", version, c, sopsVersion)
}

func (r *runner) app() *cli.App {
	app := &cli.App{
		Name:            r.name,
		Usage:           "keep secrets in git: encrypt the values of YAML, JSON, dotenv and INI files (sops-compatible)",
		UsageText:       r.name + " [global flags] command [flags] FILE\n" + r.name + " [flags] -e|-d FILE   (the sops legacy form)",
		HideVersion:     true,
		Reader:          r.stdin,
		Writer:          r.stdout,
		ErrWriter:       r.stderr,
		Flags:           flagsFor(gGlobal, gIn, gOut, gKeys, gRules, gDecrypt, gLegacy),
		Action:          r.legacy,
		ExitErrHandler:  func(*cli.Context, error) {},
		OnUsageError:    usageError,
		Description:     description(),
		CommandNotFound: func(c *cli.Context, cmd string) {},
		Commands: []*cli.Command{
			r.scanCommand(),  // cmd_scan.go
			r.hooksCommand(), // cmd_hooks.go
			r.diffCommand(),  // cmd_git.go
			r.mergeCommand(), // cmd_git.go
			r.gitCommand(),   // cmd_git.go
			r.checkCommand(),
			{
				Name:         "encrypt",
				Usage:        "encrypt a file",
				ArgsUsage:    "FILE",
				Flags:        flagsFor(gGlobal, gIn, gOut, gKeys, gRules, gRecursive),
				Action:       r.cmdEncrypt,
				OnUsageError: usageError,
			},
			{
				Name:         "decrypt",
				Usage:        "decrypt a file (several YAML/JSON files: one YAML stream for kubectl)",
				ArgsUsage:    "[FILE...]",
				Flags:        flagsFor(gGlobal, gIn, gOut, gDecrypt, gRecursive),
				Action:       r.cmdDecrypt,
				OnUsageError: usageError,
			},
			{
				Name:         "filestatus",
				Usage:        `print {"encrypted":true} or {"encrypted":false}`,
				ArgsUsage:    "FILE",
				Flags:        flagsFor(gGlobal, gIn),
				Action:       r.cmdFilestatus,
				OnUsageError: usageError,
			},
			{
				Name:      "keygen",
				Usage:     "make a new age identity file and print its public key",
				ArgsUsage: "[FILE]",
				Description: "Writes a new age identity to FILE (default: the file sops and hull read,\n" +
					"$XDG_CONFIG_HOME/sops/age/keys.txt, else ~/.config/sops/age/keys.txt), mode 0600,\n" +
					"and prints its public key (the recipient) on stdout. It never overwrites a file.",
				Action:       r.cmdKeygen,
				OnUsageError: usageError,
			},
			r.editCommand(),
			r.execEnvCommand(),
			r.execFileCommand(),
			r.completionCommand(),
			r.docsCommand(),
			r.setCommand(),
			r.unsetCommand(),
			r.updatekeysCommand(),
			r.rotateCommand(),
			r.groupsCommand(),
		},
	}
	return app
}

func description() string {
	var b strings.Builder
	b.WriteString("Environment: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD, SOPS_AGE_SSH_PRIVATE_KEY_FILE\n")
	b.WriteString("(identities; also ~/.ssh/id_ed25519, ~/.ssh/id_rsa and $XDG_CONFIG_HOME/sops/age/keys.txt),\n")
	b.WriteString("SOPS_AGE_RECIPIENTS (default --age), SOPS_DECRYPTION_ORDER; the PGP, KMS, Vault, audit and\n")
	b.WriteString("HULL_* variables are listed under ENVIRONMENT in the man page (docs/hull.1).\n\nEXIT STATUS\n")
	for _, e := range exitCodes {
		fmt.Fprintf(&b, "  %3d  %s\n", e.code, e.text)
	}
	return b.String()
}

func usageError(c *cli.Context, err error, isSubcommand bool) error {
	return withCode(exitGeneric, fmt.Errorf("usage: %v (see '%s --help')", err, c.App.Name))
}

// run normalizes the arguments and runs the app.
func (r *runner) run(args []string) error {
	rest := args[1:]
	for _, a := range rest {
		if a == "--" {
			break
		}
		if a == "--version" || a == "-v" {
			if len(rest) == 1 || rest[0] == a {
				fmt.Fprint(r.stdout, versionString(r.name))
				return nil
			}
		}
	}
	app := r.app()
	norm := normalize(app, rest)
	if len(norm) > 0 && app.Command(norm[0]) != nil {
		// A subcommand: normalize moved every flag after its name, so the
		// top level needs none, and urfave/cli then does not check the
		// seventy flags of the legacy form on every run (a third of the
		// time of decrypting a small file).
		app.Flags = nil
	}
	return app.Run(append([]string{args[0]}, norm...))
}

// normalize rewrites the arguments so that urfave/cli accepts flags in any
// position: global flags given before the command name are moved after
// it, and flags given after the file are moved before it.
func normalize(app *cli.App, args []string) []string {
	var lead []string
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			break
		}
		lead = append(lead, a)
		if takesValue(a, app.Flags) && i+1 < len(args) {
			lead = append(lead, args[i+1])
			i++
		}
	}
	if i < len(args) {
		for _, c := range app.Commands {
			if c.Name == args[i] || c.HasName(args[i]) {
				out := []string{args[i]}
				return append(out, reorder(append(lead, args[i+1:]...), c.Flags)...)
			}
		}
		if args[i] == "help" {
			return args
		}
	}
	return reorder(args, app.Flags)
}
