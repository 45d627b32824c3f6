package clidoc

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// Shell completion: 'hull completion bash|zsh|fish' prints a script
// generated from the CLI definitions (see cliwalk.go). It is a small
// generator of its own rather than urfave/cli's shell-completion mode,
// which needs a hidden flag at every completion request and runs hull to
// answer it; these scripts are static and run nothing.

// Shells are the shells with a generator, in the order they are
// documented.
var Shells = []struct {
	Name string
	Gen  func(*cli.App) string
	Load string
}{
	{"bash", bashCompletion, "source <(hull completion bash)   # in ~/.bashrc"},
	{"zsh", zshCompletion, "source <(hull completion zsh)   # in ~/.zshrc, after compinit"},
	{"fish", fishCompletion, "hull completion fish | source   # or save it as ~/.config/fish/completions/hull.fish"},
}

// ShellNames lists the shells, for messages.
func ShellNames() string {
	var n []string
	for _, s := range Shells {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}

// shellIdent turns the program name into a shell function name part.
func shellIdent(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, name)
}

// shQuote quotes s for sh, bash and zsh.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fishQuote quotes s for fish.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// cmdCases is the body of a case statement that maps "PATH/WORD" (PATH is
// the command path so far, WORD a command name or alias) to the new path.
// pattern formats one case pattern; result formats the action.
func cmdCases(root *cmdSpec, pattern func(string) string, result func(string) string) string {
	var b strings.Builder
	root.walk(func(c *cmdSpec) {
		if len(c.path) == 0 {
			return
		}
		parent := strings.Join(c.path[:len(c.path)-1], " ")
		var pats []string
		for _, n := range append([]string{c.path[len(c.path)-1]}, c.aliases...) {
			pats = append(pats, pattern(parent+"/"+n))
		}
		b.WriteString(result(strings.Join(pats, "|")+"|"+c.pathString()) + "\n")
	})
	return b.String()
}

// flagWords lists a command's flags with dashes (and --help, -h).
func flagWords(c *cmdSpec) []string {
	var out []string
	for _, f := range append(append([]flagSpec(nil), c.flags...), helpFlag) {
		out = append(out, f.dashed()...)
	}
	return out
}

func subWords(c *cmdSpec) []string {
	var out []string
	for _, s := range c.subs {
		out = append(out, s.path[len(s.path)-1])
	}
	return out
}

func bashCompletion(app *cli.App) string {
	root := specOf(app)
	name := app.Name
	fn := "_" + shellIdent(name)
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("# bash completion for %s, generated from its command definitions by '%s completion bash'.\n", name, name)
	p("# Load it with: source <(%s completion bash)\n\n", name)

	p("%s_takes_value() {\n\tcase $1 in\n", fn)
	p("\t%s) return 0 ;;\n", strings.Join(valueFlags(root), "|"))
	p("\tesac\n\treturn 1\n}\n\n")

	p("# %s_cmd PATH WORD: the command path after WORD, if WORD is a subcommand.\n", fn)
	p("%s_cmd() {\n\tcase \"$1/$2\" in\n", fn)
	b.WriteString(cmdCases(root, shQuote, func(s string) string {
		i := strings.LastIndex(s, "|")
		return "\t" + s[:i] + ") REPLY=" + shQuote(s[i+1:]) + " ;;"
	}))
	p("\t*) return 1 ;;\n\tesac\n}\n\n")

	p("%s() {\n", fn)
	p("\tlocal cur=${COMP_WORDS[COMP_CWORD]} cmdpath='' npos=0 i=1 w flag='' REPLY\n")
	p("\tlocal subs='' flags='' files=0\n")
	p("\twhile ((i < COMP_CWORD)); do\n")
	p("\t\tw=${COMP_WORDS[i]}\n")
	p("\t\tcase $w in\n")
	p("\t\t--) npos=$((npos + 1)) ;;\n")
	p("\t\t-?*)\n")
	p("\t\t\tif %s_takes_value \"$w\"; then\n", fn)
	p("\t\t\t\t# --flag=value is split into three words when COMP_WORDBREAKS has '='\n")
	p("\t\t\t\tif [[ ${COMP_WORDS[i + 1]} == = ]]; then i=$((i + 1)); fi\n")
	p("\t\t\t\ti=$((i + 1))\n")
	p("\t\t\tfi ;;\n")
	p("\t\t=) i=$((i + 1)) ;;\n")
	p("\t\t*)\n")
	p("\t\t\tif ((npos == 0)) && %s_cmd \"$cmdpath\" \"$w\"; then\n", fn)
	p("\t\t\t\tcmdpath=$REPLY\n")
	p("\t\t\telse\n")
	p("\t\t\t\tnpos=$((npos + 1))\n")
	p("\t\t\tfi ;;\n")
	p("\t\tesac\n")
	p("\t\ti=$((i + 1))\n")
	p("\tdone\n\n")

	p("\tcase $cmdpath in\n")
	root.walk(func(c *cmdSpec) {
		files := 0
		if c.files {
			files = 1
		}
		p("\t%s) subs=%s flags=%s files=%d ;;\n", shQuote(c.pathString()),
			shQuote(strings.Join(subWords(c), " ")), shQuote(strings.Join(flagWords(c), " ")), files)
	})
	p("\tesac\n\n")

	p("\t# the value of a flag: --flag VALUE, --flag=VALUE\n")
	p("\tif [[ $cur == = ]]; then\n\t\tflag=${COMP_WORDS[COMP_CWORD - 1]} cur=''\n")
	p("\telif ((COMP_CWORD > 1)) && [[ ${COMP_WORDS[COMP_CWORD - 1]} == = ]]; then\n\t\tflag=${COMP_WORDS[COMP_CWORD - 2]}\n")
	p("\telif ((COMP_CWORD > 1)); then\n\t\tflag=${COMP_WORDS[COMP_CWORD - 1]}\n\tfi\n")
	p("\tif [[ -n $flag ]] && %s_takes_value \"$flag\"; then\n", fn)
	p("\t\tcase $flag in\n")
	for _, f := range valueFlagSpecs(root) {
		switch {
		case len(f.choices) > 0:
			p("\t\t%s) COMPREPLY=($(compgen -W %s -- \"$cur\")) ;;\n", strings.Join(f.dashed(), "|"), shQuote(strings.Join(f.choices, " ")))
		case f.fileValue:
			p("\t\t%s) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n", strings.Join(f.dashed(), "|"))
		}
	}
	p("\t\t*) COMPREPLY=() ;;\n")
	p("\t\tesac\n")
	p("\t\tcompopt +o default 2>/dev/null\n")
	p("\t\treturn 0\n\tfi\n\n")

	p("\tif [[ $cur == -* ]]; then\n")
	p("\t\tCOMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n")
	p("\telif ((npos == 0)) && [[ -n $subs ]]; then\n")
	p("\t\tCOMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n")
	p("\tfi\n")
	p("\t# nothing matched: file names where the command takes files, else nothing\n")
	p("\tif ((${#COMPREPLY[@]} == 0 && !files)); then\n\t\tcompopt +o default 2>/dev/null\n\tfi\n")
	p("\treturn 0\n}\n\n")
	p("complete -o default -F %s %s\n", fn, name)
	return b.String()
}

// zshDescribe formats a _describe entry "word:description".
func zshDescribe(word, desc string) string {
	desc = strings.ReplaceAll(desc, "\n", " ")
	return shQuote(strings.ReplaceAll(word, ":", `\:`) + ":" + desc)
}

func zshCompletion(app *cli.App) string {
	root := specOf(app)
	name := app.Name
	fn := "_" + shellIdent(name)
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("#compdef %s\n", name)
	p("# zsh completion for %s, generated from its command definitions by '%s completion zsh'.\n", name, name)
	p("# Load it with: source <(%s completion zsh), after compinit; or save it as %s\n", name, fn)
	p("# in a directory on $fpath.\n\n")

	p("%s_takes_value() {\n\tcase $1 in\n", fn)
	p("\t%s) return 0 ;;\n", strings.Join(valueFlags(root), "|"))
	p("\tesac\n\treturn 1\n}\n\n")

	p("%s_cmd() {\n\tcase \"$1/$2\" in\n", fn)
	b.WriteString(cmdCases(root, shQuote, func(s string) string {
		i := strings.LastIndex(s, "|")
		return "\t" + s[:i] + ") REPLY=" + shQuote(s[i+1:]) + " ;;"
	}))
	p("\t*) return 1 ;;\n\tesac\n}\n\n")

	p("%s_value() {\n\tcase $1 in\n", fn)
	for _, f := range valueFlagSpecs(root) {
		switch {
		case len(f.choices) > 0:
			p("\t%s) compadd -- %s ;;\n", strings.Join(f.dashed(), "|"), strings.Join(f.choices, " "))
		case f.fileValue:
			p("\t%s) _files ;;\n", strings.Join(f.dashed(), "|"))
		}
	}
	p("\t*) _message value ;;\n\tesac\n}\n\n")

	p("%s() {\n", fn)
	p("\tlocal cmdpath='' npos=0 i=2 w REPLY files=0\n")
	p("\tlocal -a subs flags\n")
	p("\twhile ((i < CURRENT)); do\n")
	p("\t\tw=${words[i]}\n")
	p("\t\tcase $w in\n")
	p("\t\t--) npos=$((npos + 1)) ;;\n")
	p("\t\t-*=*) ;;\n")
	p("\t\t-?*) %s_takes_value \"$w\" && i=$((i + 1)) ;;\n", fn)
	p("\t\t*)\n")
	p("\t\t\tif ((npos == 0)) && %s_cmd \"$cmdpath\" \"$w\"; then\n", fn)
	p("\t\t\t\tcmdpath=$REPLY\n")
	p("\t\t\telse\n")
	p("\t\t\t\tnpos=$((npos + 1))\n")
	p("\t\t\tfi ;;\n")
	p("\t\tesac\n")
	p("\t\ti=$((i + 1))\n")
	p("\tdone\n\n")

	p("\tcase $cmdpath in\n")
	root.walk(func(c *cmdSpec) {
		p("\t%s)\n", shQuote(c.pathString()))
		var subs, flags []string
		for _, s := range c.subs {
			subs = append(subs, zshDescribe(s.path[len(s.path)-1], s.usage))
		}
		for _, f := range append(append([]flagSpec(nil), c.flags...), helpFlag) {
			for _, n := range f.dashed() {
				flags = append(flags, zshDescribe(n, f.usage))
			}
		}
		p("\t\tsubs=(\n")
		for _, s := range subs {
			p("\t\t\t%s\n", s)
		}
		p("\t\t)\n\t\tflags=(\n")
		for _, f := range flags {
			p("\t\t\t%s\n", f)
		}
		p("\t\t)\n")
		if c.files {
			p("\t\tfiles=1\n")
		}
		p("\t\t;;\n")
	})
	p("\tesac\n\n")

	p("\tlocal cur=${words[CURRENT]} prev=${words[CURRENT - 1]}\n")
	p("\tif [[ $cur == -*=* ]] && %s_takes_value \"${cur%%%%=*}\"; then\n", fn)
	p("\t\tw=${cur%%%%=*}\n\t\tcompset -P '*='\n\t\t%s_value \"$w\"\n\t\treturn\n\tfi\n", fn)
	p("\tif ((CURRENT > 2)) && %s_takes_value \"$prev\"; then\n", fn)
	p("\t\t%s_value \"$prev\"\n\t\treturn\n\tfi\n", fn)
	p("\tif [[ $cur == -* ]]; then\n")
	p("\t\t_describe -t options option flags\n")
	p("\t\treturn\n\tfi\n")
	p("\tif ((npos == 0 && ${#subs} > 0)); then\n")
	p("\t\t_describe -t commands command subs && return\n\tfi\n")
	p("\tif ((files)); then\n\t\t_files\n\tfi\n")
	p("}\n\n")
	p("# autoloaded from $fpath, the file is the body of %s: complete now;\n", fn)
	p("# sourced, register the function\n")
	p("if [[ $funcstack[1] == %s ]]; then\n", fn)
	p("\t%s \"$@\"\nelse\n\tcompdef %s %s\nfi\n", fn, fn, name)
	return b.String()
}

func fishCompletion(app *cli.App) string {
	root := specOf(app)
	name := app.Name
	fn := "__" + shellIdent(name)
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	p("# fish completion for %s, generated from its command definitions by '%s completion fish'.\n", name, name)
	p("# Load it with: %s completion fish | source\n", name)
	p("# or save it as ~/.config/fish/completions/%s.fish\n\n", name)

	var quoted []string
	for _, f := range valueFlags(root) {
		quoted = append(quoted, fishQuote(f))
	}
	p("function %s_takes_value\n\tcontains -- $argv[1] %s\nend\n\n", fn, strings.Join(quoted, " "))

	p("function %s_cmd\n\tswitch \"$argv[1]/$argv[2]\"\n", fn)
	b.WriteString(cmdCases(root, fishQuote, func(s string) string {
		i := strings.LastIndex(s, "|")
		return "\t\tcase " + strings.ReplaceAll(s[:i], "|", " ") + "\n\t\t\techo " + fishQuote(s[i+1:])
	}))
	p("\t\tcase '*'\n\t\t\treturn 1\n\tend\nend\n\n")

	p("# %s_path: the command path of the command line so far.\n", fn)
	p("function %s_path\n", fn)
	p("\tset -l tokens (commandline -opc)\n")
	p("\tset -e tokens[1]\n")
	p("\tset -l p ''\n\tset -l skip 0\n\tset -l npos 0\n\tset -l next\n")
	p("\tfor t in $tokens\n")
	p("\t\tif test $skip = 1\n\t\t\tset skip 0\n\t\t\tcontinue\n\t\tend\n")
	p("\t\tif contains -- $t -- -\n\t\t\tset npos 1\n")
	p("\t\telse if string match -q -- '-*=*' $t\n\t\t\tcontinue\n")
	p("\t\telse if string match -q -- '-*' $t\n")
	p("\t\t\tif %s_takes_value $t\n\t\t\t\tset skip 1\n\t\t\tend\n", fn)
	p("\t\telse\n")
	p("\t\t\tset next (%s_cmd \"$p\" $t)\n", fn)
	p("\t\t\tif test $npos = 0; and test -n \"$next\"\n\t\t\t\tset p $next\n")
	p("\t\t\telse\n\t\t\t\tset npos 1\n\t\t\tend\n")
	p("\t\tend\n\tend\n\techo $p\nend\n\n")

	p("function %s_at\n\tset -l p (%s_path)\n\ttest \"$p\" = \"$argv[1]\"\nend\n\n", fn, fn)

	p("complete -c %s -e\n", name)
	root.walk(func(c *cmdSpec) {
		cond := fishQuote(fn + "_at " + fishQuote(c.pathString()))
		p("\n# %s\n", strings.TrimSpace(name+" "+c.pathString()))
		if !c.files {
			p("complete -c %s -n %s -f\n", name, cond)
		}
		for _, s := range c.subs {
			// no -f where the command also takes files (the legacy form):
			// fish would then offer no file names at all
			nf := " -f"
			if c.files {
				nf = ""
			}
			p("complete -c %s -n %s%s -a %s -d %s\n", name, cond, nf, fishQuote(s.path[len(s.path)-1]), fishQuote(firstLine(s.usage)))
		}
		for _, f := range append(append([]flagSpec(nil), c.flags...), helpFlag) {
			var parts []string
			for _, n := range f.long {
				parts = append(parts, "-l "+n)
			}
			for _, n := range f.short {
				parts = append(parts, "-s "+n)
			}
			switch {
			case len(f.choices) > 0:
				parts = append(parts, "-x -a "+fishQuote(strings.Join(f.choices, " ")))
			case f.fileValue:
				parts = append(parts, "-r -F")
			case f.value:
				parts = append(parts, "-x")
			}
			p("complete -c %s -n %s %s -d %s\n", name, cond, strings.Join(parts, " "), fishQuote(firstLine(f.usage)))
		}
	})
	return b.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
