package main

import (
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/hullsecrets/hull/internal/clidoc"
)

// Help: a short top-level page (commands first; exit codes are a help
// topic and in the man page), and per-command pages that list only the
// flags that do something for that command, with an example.

// globalScope says which commands a global flag does something for. Every
// command still accepts every global flag (sops scripts pass them
// anywhere); a command's help, the man page and the completions list a
// global flag only for the commands named here. A global flag missing
// from the map is listed nowhere but the top level (the compatibility
// flags that do nothing).
var globalScope = map[string][]string{
	"compat":                   readers,
	"decryption-order":         readers,
	"ignore-mac":               readers,
	"verbose":                  append([]string{"check"}, readers...),
	"config":                   append([]string{"encrypt", "check", "git setup"}, readers...),
	"indent":                   append([]string{"encrypt", "decrypt", "exec-file", "merge"}, rewriters...),
	"mac-only-encrypted":       append([]string{"encrypt", "merge"}, rewriters...),
	"allow-no-encryption":      append([]string{"encrypt", "merge"}, rewriters...),
	"force-rewrite-unverified": append([]string{"merge"}, rewriters...),
	"keyservice":               append([]string{"encrypt"}, readers...),
	"enable-local-keyservice":  append([]string{"encrypt"}, readers...),
}

// rewriters decrypt a file and write it back; readers are every command
// that decrypts.
var (
	rewriters = []string{"edit", "set", "unset", "rotate", "updatekeys", "groups add", "groups delete"}
	readers   = append([]string{"decrypt", "exec-env", "exec-file", "diff", "merge", "check", "publish"}, rewriters...)
)

// examples are shown at the end of each command's help (and in the man
// page and the reference).
var examples = map[string][]string{
	"scan":            {"hull scan", "hull scan --staged", "hull scan --history --json"},
	"hooks":           {"hull hooks install", "hull hooks uninstall"},
	"hooks install":   {"hull hooks install", "hull hooks install --force --block-drift"},
	"hooks uninstall": {"hull hooks uninstall"},
	"diff":            {"hull git setup && git diff secrets.yaml", "hull diff secrets.yaml"},
	"merge":           {"hull merge --resolve ours secrets.yaml"},
	"git":             {"hull git setup"},
	"git setup":       {"hull git setup", "hull git setup --global"},
	"check":           {"hull check", "hull check --json k8s/", "hull check --pre-commit app/secrets.yaml"},
	"encrypt":         {"hull encrypt -i secrets.yaml", "hull encrypt --age age1… app.env > app.enc.env", "hull encrypt -r ."},
	"decrypt":         {"hull decrypt secrets.yaml", "hull decrypt --extract '[\"db\"][\"password\"]' secrets.yaml", "hull decrypt k8s/*.yaml | kubectl apply -f -"},
	"filestatus":      {"hull filestatus secrets.yaml"},
	"keygen":          {"hull keygen", "hull keygen ci-key.txt"},
	"edit":            {"hull edit secrets.yaml", "EDITOR=nano hull edit new-secrets.yaml"},
	"exec-env":        {"hull exec-env app.env './server'", "hull exec-env --pristine secrets.yaml env"},
	"exec-file":       {"hull exec-file secrets.yaml 'kubectl apply -f {}'"},
	"completion":      {"source <(hull completion bash)", "hull completion fish | source"},
	"completion bash": {"source <(hull completion bash)   # in ~/.bashrc"},
	"completion zsh":  {"source <(hull completion zsh)    # in ~/.zshrc, after compinit"},
	"completion fish": {"hull completion fish | source    # in ~/.config/fish/config.fish"},
	"set":             {"hull set secrets.yaml '[\"db\"][\"password\"]' '\"s3cret\"'", "printf %s \"$TOKEN\" | hull set --value-stdin secrets.yaml '[\"token\"]'"},
	"unset":           {"hull unset secrets.yaml '[\"db\"][\"password\"]'"},
	"updatekeys":      {"hull updatekeys secrets.yaml", "hull updatekeys -y -r ."},
	"rotate":          {"hull rotate -i secrets.yaml", "hull rotate -i --rm-age age1… secrets.yaml"},
	"groups":          {"hull groups add --file secrets.yaml --age age1…", "hull groups delete --file secrets.yaml 1"},
	"groups add":      {"hull groups add --file secrets.yaml --age age1…,age1…"},
	"groups delete":   {"hull groups delete --file secrets.yaml 1"},
	"publish":         {"hull publish prod/db.yaml", "hull publish --yes --recursive prod/"},
	"keyservice":      {"hull keyservice --network unix --address ~/.hull-keyservice.sock", "hull decrypt --keyservice unix:///tmp/ks.sock --enable-local-keyservice=false secrets.yaml"},
}

// finishHelp hides, in each command's help, the global flags that do
// nothing for it, and adds the command's examples to its description.
func finishHelp(cmds []*cli.Command, parent string) {
	global := map[string]bool{}
	for _, n := range flagSet.In(gGlobal) {
		global[n] = true
	}
	clidoc.Help{Global: func(f string) bool { return global[f] }, Scope: globalScope, Examples: examples}.Finish(cmds, parent)
}

// scoped reports whether a command's help lists the global flag.
func scoped(flag, cmd string) bool { return slices.Contains(globalScope[flag], cmd) }

// appHelpTemplate is the top-level help: what hull is, the commands, and
// where the rest is.
const appHelpTemplate = `NAME:
   {{template "helpNameTemplate" .}}

USAGE:
   {{wrap .UsageText 3}}

COMMANDS:{{template "visibleCommandTemplate" .}}

{{.Description}}
`

// appDescription ends the top-level help.
func appDescription(name string) string {
	return fmt.Sprintf(`'%[1]s COMMAND --help' shows a command's flags and examples; every command also
accepts the global flags (--config, --ignore-mac, --indent, --decryption-order, ...).
'%[1]s help flags' lists the flags of the sops form (%[1]s [flags] -e|-d|-r FILE),
'%[1]s help exit-codes' the exit codes, and the man page (docs/hull.1) all of it,
with the environment variables (SOPS_AGE_KEY_FILE, SOPS_AGE_RECIPIENTS, ...).`, name)
}

// helpTopic prints the topics of 'hull help TOPIC' that are not commands.
// It reports whether topic was one.
func (r *runner) helpTopic(app *cli.App, topic string) bool {
	switch topic {
	case "exit-codes", "exit-status":
		clidoc.WriteExits(r.stdout, docExits())
		return true
	case "flags":
		fmt.Fprintf(r.stdout, "Flags of %s without a command (the sops form %s [flags] -e|-d|-r FILE); the\nglobal ones are accepted by every command too:\n\n", r.name, r.name)
		clidoc.WriteFlags(r.stdout, app.Flags)
		return true
	}
	return false
}
