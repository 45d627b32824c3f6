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

	"github.com/hullsecrets/hull/config"
	"github.com/hullsecrets/hull/internal/buildver"
	"github.com/hullsecrets/hull/internal/cliflag"
	"github.com/hullsecrets/hull/internal/memlimit"
	"github.com/urfave/cli/v2"
)

// The release build may set these with -ldflags "-X main.version=…
// -X main.commit=…"; otherwise both come from the build information that
// go build and go install record (internal/buildver), so that every way of
// building hull reports a real version.
var (
	version = ""
	commit  = ""
)

// sopsVersion is the sops release whose behaviour hull follows; it is what
// hull reports when it is invoked as sops.
const sopsVersion = "3.13.3"

func main() {
	memlimit.GrowStack()
	if _, set := os.LookupEnv("GOGC"); !set {
		// hull holds a file's tree and its output at once and then exits:
		// collecting at 50% growth instead of 100% keeps the peak memory of
		// a 10 MB file under 300 MiB for a few percent more CPU. Reading
		// an input may change this (io.go, internal/memlimit).
		debug.SetGCPercent(memlimit.Percent)
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
	configs *config.Cache
	// configPath, when set, is the .sops.yaml a bulk worker uses for its
	// file: the one the walk chose (cmd_bulk.go).
	configPath string
	// kms is the client of hull-kms, the cloud key sources (cloudkeys.go).
	kms *companionHolder
	// ks are the command's key services (keyservice.go).
	ks keyServices
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
	r := &runner{name: name, stdin: stdin, stdout: stdout, stderr: stderr, env: env{lookup: lookup}, configs: config.NewCache(), kms: &companionHolder{}}
	err := r.run(args)
	defer r.closeCompanion()
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
	v, c := buildver.Get(version, commit)
	if name == "sops" {
		return fmt.Sprintf("sops %s (hull %s, %s)\n", sopsVersion, v, c)
	}
	return fmt.Sprintf("hull %s (%s; sops format %s)\n", v, c, sopsVersion)
}

// hullVersion is hull's version alone (for the audit log).
func hullVersion() string {
	v, _ := buildver.Get(version, commit)
	return v
}

// app is hull's whole command line: every command, as help, the man page
// and the completions show it.
func (r *runner) app() *cli.App {
	app, _ := r.withCommands(r.appShell(), "")
	app.Flags = flagsFor(topGroups...)
	return app
}

// withCommands adds the commands to the top level: only the one named when
// name is a command (one is then true), all of them otherwise. A run that
// asks for no help needs only its own command, and building every command
// and its flags was a fifth of the time hull took to decrypt a small file.
func (r *runner) withCommands(app *cli.App, name string) (_ *cli.App, one bool) {
	for _, c := range r.commandTable() {
		if c.name == name {
			app.Commands = []*cli.Command{c.build()}
			one = true
			break
		}
	}
	if !one {
		for _, c := range r.commandTable() {
			app.Commands = append(app.Commands, c.build())
		}
	}
	finishHelp(app.Commands, "") // help.go
	return app, one
}

// topGroups are the flag groups of the top level: the sops legacy form.
var topGroups = []string{gGlobal, gIn, gOut, gKeys, gRules, gDecrypt, gLegacy}

// appShell is the top level without its commands and flags.
func (r *runner) appShell() *cli.App {
	return &cli.App{
		Name:        r.name,
		Usage:       "keep secrets in git: encrypt the values of YAML, JSON, dotenv and INI files (sops-compatible)",
		UsageText:   r.name + " [global flags] command [flags] FILE\n" + r.name + " [flags] -e|-d FILE   (the sops legacy form)",
		HideVersion: true,
		Reader:      r.stdin,
		Writer:      r.stdout,
		ErrWriter:   r.stderr,
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return cli.ShowAppHelp(c)
			}
			return r.legacy(readCmdLine(c))
		},
		ExitErrHandler:        func(*cli.Context, error) {},
		OnUsageError:          usageError,
		Description:           appDescription(r.name),
		CustomAppHelpTemplate: appHelpTemplate,
		CommandNotFound:       func(c *cli.Context, cmd string) {},
	}
}

// namedCommand is a command's name and how to build it.
type namedCommand struct {
	name  string
	build func() *cli.Command
}

// commandTable lists the commands in the order help shows them.
func (r *runner) commandTable() []namedCommand {
	return []namedCommand{
		{"scan", r.scanCommand},   // cmd_scan.go
		{"hooks", r.hooksCommand}, // cmd_hooks.go
		{"diff", r.diffCommand},   // cmd_git.go
		{"merge", r.mergeCommand}, // cmd_git.go
		{"git", r.gitCommand},     // cmd_git.go
		{"check", r.checkCommand},
		{"encrypt", r.encryptCommand},
		{"decrypt", r.decryptCommand},
		{"filestatus", r.filestatusCommand},
		{"keygen", r.keygenCommand},
		{"edit", r.editCommand},
		{"exec-env", r.execEnvCommand},
		{"exec-file", r.execFileCommand},
		{"completion", r.completionCommand},
		{"docs", r.docsCommand},
		{"set", r.setCommand},
		{"unset", r.unsetCommand},
		{"updatekeys", r.updatekeysCommand},
		{"rotate", r.rotateCommand},
		{"groups", r.groupsCommand},
		{"keyservice", r.keyserviceCommand},
		{"publish", r.publishCommand},
	}
}

func (r *runner) encryptCommand() *cli.Command {
	return &cli.Command{
		Name:         "encrypt",
		Usage:        "encrypt a file",
		ArgsUsage:    "FILE",
		Flags:        flagsFor(gGlobal, gIn, gOut, gKeys, gRules, gRecursive),
		Action:       act(r.cmdEncrypt),
		OnUsageError: usageError,
	}
}

func (r *runner) decryptCommand() *cli.Command {
	return &cli.Command{
		Name:         "decrypt",
		Usage:        "decrypt a file (several YAML/JSON files: one YAML stream for kubectl)",
		ArgsUsage:    "[FILE...]",
		Flags:        flagsFor(gGlobal, gIn, gOut, gDecrypt, gRecursive),
		Action:       act(r.cmdDecrypt),
		OnUsageError: usageError,
	}
}

func (r *runner) filestatusCommand() *cli.Command {
	return &cli.Command{
		Name:         "filestatus",
		Usage:        `print {"encrypted":true} or {"encrypted":false}`,
		ArgsUsage:    "FILE",
		Flags:        flagsFor(gGlobal, gIn),
		Action:       act(r.cmdFilestatus),
		OnUsageError: usageError,
	}
}

func (r *runner) keygenCommand() *cli.Command {
	return &cli.Command{
		Name:      "keygen",
		Usage:     "make a new age identity file and print its public key",
		ArgsUsage: "[FILE]",
		Description: "Writes a new age identity to FILE (default: the file sops and hull read,\n" +
			"$XDG_CONFIG_HOME/sops/age/keys.txt, else ~/.config/sops/age/keys.txt), mode 0600,\n" +
			"and prints its public key (the recipient) on stdout. It never overwrites a file.",
		Action:       act(r.cmdKeygen),
		OnUsageError: usageError,
	}
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
	app, one := r.withCommands(r.appShell(), cliflag.CommandName(rest, topTakesValue))
	if !one {
		// The top level's flags: for the legacy form, help and an
		// unknown command. A run of a command needs none (below).
		app.Flags = flagsFor(topGroups...)
	}
	if len(rest) == 2 && rest[0] == "help" && r.helpTopic(app, rest[1]) {
		return nil
	}
	norm := cliflag.Normalize(rest, app.Commands, app.Flags, topTakesValue) // flags in any position
	if len(norm) > 0 && app.Command(norm[0]) != nil {
		// A subcommand: normalize moved every flag after its name, so the
		// top level needs none, and urfave/cli then does not check the
		// seventy flags of the legacy form on every run (a third of the
		// time of decrypting a small file).
		app.Flags = nil
	}
	return app.Run(append([]string{args[0]}, norm...))
}
