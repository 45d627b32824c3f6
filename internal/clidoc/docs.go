package clidoc

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"
)

// The man page (docs/hull.1) and the Markdown reference (docs/reference.md)
// are rendered from the CLI definitions by the hidden command 'hull docs
// man|markdown' ('make docs'); docs_test.go fails when the committed files
// differ from what the live app renders. The output holds no date and no
// version, so rendering is deterministic.

// docsDescription is the prose of DESCRIPTION; paragraphs are separated by
// blank lines.
const docsDescription = `hull keeps secrets in git safely. It encrypts only the values of YAML, JSON, dotenv and INI files (and whole binary files), so keys and structure stay readable and git diff stays meaningful. It reads and writes the SOPS v3 file format byte-compatibly and accepts the sops command line: a team can switch from sops, or run both, without re-encrypting anything.

Each file gets its own 32-byte data key. Every value is sealed with AES-256-GCM under a fresh IV, with the value's path as additional data, and all values are covered by a MAC, so any change to the file is detected. The data key is wrapped for each recipient.

Flags may be given before or after the command name and before or after the file. Invoked through a symlink named sops, hull answers as sops (its --version prints the sops version first). A FILE of - reads stdin; the format then comes from --input-type or --filename-override.`

// docsEnvironment documents the variables that no flag names. Variables
// that a flag's usage names ("env SOPS_…") are added from the flags, and
// any other SOPS_… or HULL_… variable a command mentions is listed with a
// pointer to that command, so a new variable is never left out.
var docsEnvironment = []struct{ name, text string }{
	{"SOPS_AGE_KEY", "age identities, one or more per line: AGE-SECRET-KEY-1…, or AGE-PLUGIN-NAME-1… for an age plugin; or a passphrase-protected identity file (age -p)"},
	{"SOPS_AGE_KEY_FILE", "an age identity file (an error if it does not exist); it may hold age plugin identities, or be encrypted with a passphrase (age -p), asked for on the terminal when it is needed"},
	{"SOPS_AGE_KEY_CMD", "a command that prints age identities, as in an identity file (split into words like a shell would, not run by one)"},
	{"SOPS_AGE_SSH_PRIVATE_KEY_FILE", "an SSH private key (ssh-ed25519 or ssh-rsa) to use as an identity; without it ~/.ssh/id_ed25519 and ~/.ssh/id_rsa are tried; a key with a passphrase asks for it on the terminal when a file is encrypted to it"},
	{"SOPS_AGE_SSH_PRIVATE_KEY_CMD", "a command that prints an SSH private key (ssh-ed25519 or ssh-rsa, without a passphrase) to use as an identity, as sops 3.13 reads it"},
	{"PATH", "age plugins (age1NAME1… recipients, AGE-PLUGIN-NAME-1… identities) run the program age-plugin-NAME found in PATH; their PIN and confirmation prompts, like passphrases, are read only from the terminal (/dev/tty), and fail without one"},
	{"XDG_CONFIG_HOME", "the default identity file is $XDG_CONFIG_HOME/sops/age/keys.txt, else ~/.config/sops/age/keys.txt; all identity sources are tried"},
	{"HULL_PGP_KEY_FILE", "an armored PGP secret key file (no passphrase) that decrypts pgp stanzas without gpg (hull only; an error if it does not exist)"},
	{"SOPS_GPG_EXEC", "the gpg program that decrypts pgp stanzas and exports public keys (default gpg)"},
	{"GNUPGHOME", "gpg's home directory, passed to gpg as --homedir (default: gpg's own, ~/.gnupg)"},
	{"HULL_KMS_PLUGIN", "the path of hull-kms, the companion that runs the AWS KMS, GCP KMS and Azure Key Vault key sources (default: next to hull, else in PATH; hull only)"},
}

var (
	envInUsage   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`env ((?:SOPS|HULL)_[A-Z0-9_]+)`) })
	envMentioned = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\b(?:SOPS|HULL)_[A-Z0-9_]+\b|\$[A-Z][A-Z0-9_]+\b`) })
	envStrip     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(` ?\(env [A-Z0-9_]+\)|env [A-Z0-9_]+; `) })
)

// docEnv is the ENVIRONMENT table of the app.
func docEnv(root *cmdSpec, name string) [][2]string {
	var out [][2]string
	seen := map[string]bool{}
	add := func(n, text string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, [2]string{n, text})
		}
	}
	for _, e := range docsEnvironment {
		add(e.name, e.text)
	}
	root.walk(func(c *cmdSpec) {
		for _, f := range c.flags {
			for _, m := range envInUsage().FindAllStringSubmatch(f.usage, -1) {
				add(m[1], "the default of "+f.dashed()[0]+": "+envStrip().ReplaceAllString(f.usage, ""))
			}
		}
	})
	root.walk(func(c *cmdSpec) {
		where := "see " + strings.TrimSpace(name+" "+c.pathString())
		texts := []string{c.usage, c.desc}
		for _, f := range c.flags {
			texts = append(texts, f.usage)
		}
		for _, t := range texts {
			for _, m := range envMentioned().FindAllString(t, -1) {
				add(strings.TrimPrefix(m, "$"), where)
			}
		}
	})
	return out
}

// globalFlags is the set of global flags, given by name ("verbose"), by
// first dashed name ("--verbose"): every command that takes flags accepts
// them; each command's help lists those that do something for it.
func globalFlags(names []string) map[string]bool {
	g := map[string]bool{}
	for _, n := range names {
		g["--"+n] = true
	}
	return g
}

// minor reports whether c is a subcommand that needs no section of its
// own: no flags, no arguments, no description (its parent's synopsis
// names it, as in "hull completion bash|zsh|fish").
func minor(c *cmdSpec) bool {
	return len(c.path) > 1 && len(c.flags) == 0 && len(c.subs) == 0 && c.args == "" && c.desc == ""
}

// synopsis is one command's usage line, e.g. "hull encrypt [flags] FILE".
func synopsis(name string, c *cmdSpec) string {
	s := strings.TrimSpace(name + " " + c.pathString())
	if len(c.flags) > 0 {
		s += " [flags]"
	}
	switch {
	case len(c.subs) > 0:
		s += " " + strings.Join(subWords(c), "|")
	case c.args != "":
		s += " " + c.args
	}
	return s
}

// paragraphs splits a description into paragraphs of filled text and
// preformatted blocks (runs of lines indented by a space or a tab).
type para struct {
	text string
	pre  bool
}

func paragraphs(s string) []para {
	var out []para
	var cur []string
	pre := false
	flush := func() {
		if len(cur) > 0 {
			if pre {
				out = append(out, para{strings.Join(cur, "\n"), true})
			} else {
				out = append(out, para{strings.Join(cur, " "), false})
			}
		}
		cur = nil
	}
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		line = strings.TrimRight(line, " \t")
		if line == "" {
			flush()
			continue
		}
		ind := line[0] == ' ' || line[0] == '\t'
		if ind != pre {
			flush()
			pre = ind
		}
		if !ind {
			line = strings.TrimSpace(line)
		}
		cur = append(cur, line)
	}
	flush()
	return out
}

// ---- man page ----

// roff escapes text for a roff text line (not a request).
// Roff escapes text for the man page.
func Roff(s string) string { return roff(s) }

func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	// non-ASCII characters as groff/mandoc Unicode escapes
	var u strings.Builder
	for _, r := range s {
		if r > 0x7e {
			fmt.Fprintf(&u, `\[u%04X]`, r)
		} else {
			u.WriteRune(r)
		}
	}
	s = u.String()
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			l = `\&` + l
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

func manFlag(f flagSpec) string {
	var names []string
	for _, n := range f.dashed() {
		names = append(names, `\fB`+roff(n)+`\fR`)
	}
	s := strings.Join(names, ", ")
	switch {
	case len(f.choices) > 0:
		s += ` \fI` + roff(strings.Join(f.choices, "|")) + `\fR`
	case f.value:
		s += ` \fIVALUE\fR`
	}
	return s
}

func manFlagUsage(f flagSpec) string {
	u := f.usage
	if f.repeat && !strings.Contains(u, "repeat") {
		u += " (may be repeated)"
	}
	return roff(u)
}

func manParas(b *strings.Builder, text string) {
	for i, p := range paragraphs(text) {
		if i > 0 {
			b.WriteString(".PP\n")
		}
		if p.pre {
			b.WriteString(".nf\n.RS 4\n" + roff(p.text) + "\n.RE\n.fi\n")
		} else {
			b.WriteString(roff(p.text) + "\n")
		}
	}
}

// Exit is one exit status, for the EXIT STATUS section.
type Exit struct {
	Code int
	Text string
}

// Man renders the man page of app; globals name its global flags
// ("verbose").
func Man(app *cli.App, exits []Exit, globals []string) string {
	root := specOf(app)
	name := app.Name
	global := globalFlags(globals)
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p(".\\\" Generated by 'make docs' (%s docs man) from the command definitions. Do not edit.\n", name)
	p(".TH %s 1 \"\" \"%s\" \"User Commands\"\n", strings.ToUpper(name), name)
	p(".SH NAME\n%s \\- %s\n", name, roff(app.Usage))

	p(".SH SYNOPSIS\n.nf\n")
	for _, l := range strings.Split(app.UsageText, "\n") {
		p("%s\n", roff(l))
	}
	root.walk(func(c *cmdSpec) {
		if len(c.path) > 0 && !minor(c) {
			p("%s\n", roff(synopsis(name, c)))
		}
	})
	p(".fi\n")

	p(".SH DESCRIPTION\n")
	manParas(&b, docsDescription)

	p(".SH GLOBAL FLAGS\nEvery command that takes flags accepts these (as sops does); each command lists those that do something for it.\n")
	for _, f := range root.flags {
		if global[f.dashed()[0]] {
			p(".TP\n%s\n%s\n", manFlag(f), manFlagUsage(f))
		}
	}
	p(".TP\n%s\n%s\n", manFlag(helpFlag), roff(helpFlag.usage))

	p(".SH COMMANDS\n")
	root.walk(func(c *cmdSpec) {
		if len(c.path) == 0 || minor(c) {
			return
		}
		p(".SS \"%s\"\n", roff(strings.TrimSpace(name+" "+c.pathString())))
		p("%s\n", roff(synopsis(name, c)))
		p(".PP\n%s.\n", roff(strings.TrimSuffix(c.usage, ".")))
		if c.desc != "" {
			p(".PP\n")
			manParas(&b, c.desc)
		}
		if len(c.aliases) > 0 {
			p(".PP\nAliases: %s.\n", roff(strings.Join(c.aliases, ", ")))
		}
		own, hasGlobal := splitFlags(c.flags, global)
		if len(own) > 0 {
			p(".PP\nFlags:\n")
			for _, f := range own {
				p(".TP\n%s\n%s\n", manFlag(f), manFlagUsage(f))
			}
		}
		if hasGlobal {
			p(".PP\nIt also accepts the other global flags.\n")
		}
	})

	p(".SS \"The sops legacy form\"\n")
	p("%s\n", roff(name+" [flags] -e|-d FILE"))
	p(".PP\nWithout a command, %s takes the sops mode switches and the flags of the commands:\n", roff(name))
	for _, f := range root.flags {
		if !global[f.dashed()[0]] {
			p(".TP\n%s\n%s\n", manFlag(f), manFlagUsage(f))
		}
	}

	p(".SH ENVIRONMENT\n")
	for _, e := range docEnv(root, name) {
		p(".TP\n.B %s\n%s\n", roff(e[0]), roff(e[1]))
	}

	p(".SH EXIT STATUS\n")
	for _, e := range exits {
		p(".TP\n.B %d\n%s\n", e.Code, roff(e.Text))
	}

	p(".SH SEE ALSO\n")
	p(".BR sops (1),\n.BR age (1),\n.BR age\\-keygen (1).\n")
	p(".PP\nThe Markdown form of this page is docs/reference.md; the file format is described in docs/FORMAT.md, and what hull trusts each input for in docs/TRUST.md.\n")
	return b.String()
}

// splitFlags returns the flags a command lists (its own and the global
// flags that do something for it: the others are hidden), and whether it
// accepts the global flags (every command that takes flags does).
func splitFlags(flags []flagSpec, global map[string]bool) (own []flagSpec, hasGlobal bool) {
	return flags, len(flags) > 0
}

// ---- Markdown ----

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.NewReplacer(`|`, `\|`, `<`, `&lt;`, `>`, `&gt;`, `*`, `\*`, `_`, `\_`).Replace(s)
}

// mdText escapes text for a Markdown paragraph.
func mdText(s string) string {
	return strings.NewReplacer(`<`, `&lt;`, `>`, `&gt;`, `*`, `\*`, `_`, `\_`, "`", "\\`", `[`, `\[`).Replace(s)
}

// mdAnchor is GitHub's anchor for a heading.
func mdAnchor(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

func mdFlag(f flagSpec) string {
	var names []string
	for _, n := range f.dashed() {
		names = append(names, "`"+n+"`")
	}
	s := strings.Join(names, ", ")
	switch {
	case len(f.choices) > 0:
		s += " *" + strings.Join(f.choices, `\|`) + "*"
	case f.value:
		s += " *VALUE*"
	}
	return s
}

func mdFlagTable(b *strings.Builder, flags []flagSpec) {
	b.WriteString("| flag | meaning |\n| --- | --- |\n")
	for _, f := range flags {
		u := mdCell(f.usage)
		if f.repeat && !strings.Contains(u, "repeat") {
			u += " (may be repeated)"
		}
		fmt.Fprintf(b, "| %s | %s |\n", mdFlag(f), u)
	}
}

func mdParas(b *strings.Builder, text string) {
	for _, p := range paragraphs(text) {
		if p.pre {
			var lines []string
			for _, l := range strings.Split(p.text, "\n") {
				lines = append(lines, strings.TrimLeft(l, " \t"))
			}
			b.WriteString("```\n" + strings.Join(lines, "\n") + "\n```\n\n")
		} else {
			b.WriteString(mdText(p.text) + "\n\n")
		}
	}
}

// Markdown renders the Markdown reference of app; globals name its global
// flags ("verbose").
func Markdown(app *cli.App, exits []Exit, globals []string) string {
	root := specOf(app)
	name := app.Name
	global := globalFlags(globals)
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("# %s command reference\n\n", name)
	p("<!-- Generated by 'make docs' (%s docs man|markdown) from the command definitions in cmd/hull. Do not edit: run make docs. -->\n\n", name)
	p("%s: %s.\n\n", name, mdText(strings.TrimSuffix(app.Usage, ".")))

	p("## Synopsis\n\n```\n")
	p("%s\n", app.UsageText)
	root.walk(func(c *cmdSpec) {
		if len(c.path) > 0 && !minor(c) {
			p("%s\n", synopsis(name, c))
		}
	})
	p("```\n\n")

	p("## Description\n\n")
	mdParas(&b, docsDescription)

	p("## Commands\n\n| command | what it does |\n| --- | --- |\n")
	root.walk(func(c *cmdSpec) {
		if len(c.path) > 0 && !minor(c) {
			t := strings.TrimSpace(name + " " + c.pathString())
			p("| [`%s`](#%s) | %s |\n", t, mdAnchor(t), mdCell(c.usage))
		}
	})
	p("\n")

	root.walk(func(c *cmdSpec) {
		if len(c.path) == 0 || minor(c) {
			return
		}
		t := strings.TrimSpace(name + " " + c.pathString())
		p("### %s\n\n```\n%s\n```\n\n", t, synopsis(name, c))
		p("%s.\n\n", mdText(strings.TrimSuffix(c.usage, ".")))
		if c.desc != "" {
			mdParas(&b, c.desc)
		}
		if len(c.aliases) > 0 {
			p("Aliases: %s.\n\n", mdText(strings.Join(c.aliases, ", ")))
		}
		own, hasGlobal := splitFlags(c.flags, global)
		if len(own) > 0 {
			mdFlagTable(&b, own)
			p("\n")
		}
		if hasGlobal {
			p("It also accepts the other [global flags](#global-flags).\n\n")
		}
	})

	p("## Global flags\n\nEvery command that takes flags accepts these (as sops does); each command lists those that do something for it.\n\n")
	var gl []flagSpec
	for _, f := range root.flags {
		if global[f.dashed()[0]] {
			gl = append(gl, f)
		}
	}
	mdFlagTable(&b, append(gl, helpFlag))
	p("\n")

	p("## The sops legacy form\n\n```\n%s [flags] -e|-d FILE\n```\n\n", name)
	p("Without a command, %s takes the sops mode switches and the flags of the commands:\n\n", name)
	var legacy []flagSpec
	for _, f := range root.flags {
		if !global[f.dashed()[0]] {
			legacy = append(legacy, f)
		}
	}
	mdFlagTable(&b, legacy)
	p("\n")

	p("## Environment\n\n| variable | meaning |\n| --- | --- |\n")
	for _, e := range docEnv(root, name) {
		p("| `%s` | %s |\n", e[0], mdCell(e[1]))
	}
	p("\n")

	p("## Exit status\n\n| code | meaning |\n| --- | --- |\n")
	for _, e := range exits {
		p("| %d | %s |\n", e.Code, mdCell(e.Text))
	}
	p("\n## See also\n\n")
	p("sops(1), age(1), age-keygen(1); the man page [hull.1](hull.1); the file format in [FORMAT.md](FORMAT.md); what hull trusts each input for in [TRUST.md](TRUST.md).\n")
	return b.String()
}
