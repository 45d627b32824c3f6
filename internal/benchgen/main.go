// Command benchgen writes the deterministic inputs that scripts/bench.sh
// (make bench) measures hull on:
//
//	go run ./internal/benchgen -shape NAME -out FILE
//
// Shapes (the inputs of make bench):
//
//	yaml-10     10 values
//	yaml-10k    10,000 values, about 200 KB of YAML
//	json-10k    10,000 values of JSON, tab-indented as sops writes it
//	yaml-500k   500,000 values, about 10 MB of YAML
//	json-500k   500,000 values, about 14 MB of JSON, tab-indented as sops writes it
//
// The files look like real secrets files: a few top-level settings, a map of
// services (each with ports, images, database credentials, environment lists,
// API tokens), shared credentials at the end, and a few comments in the YAML.
// Every run uses the same seed, so the output is byte-for-byte stable.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
)

// shape describes one generated input.
type shape struct {
	values int  // number of leaf values
	json   bool // JSON instead of YAML
	// long makes string values longer, so the JSON shape reaches the
	// the make bench input size of about 28 bytes per value.
	long bool
}

var shapes = map[string]shape{
	"yaml-10":   {values: 10},
	"yaml-10k":  {values: 10_000},
	"json-10k":  {values: 10_000, json: true, long: true},
	"yaml-500k": {values: 500_000},
	"json-500k": {values: 500_000, json: true, long: true},
}

func shapeNames() []string {
	names := make([]string, 0, len(shapes))
	for n := range shapes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func main() {
	name := flag.String("shape", "", "input shape: "+strings.Join(shapeNames(), ", "))
	out := flag.String("out", "", "output file (default stdout)")
	flag.Parse()
	if err := run(*name, *out); err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
}

func run(name, out string) error {
	s, ok := shapes[name]
	if !ok {
		return fmt.Errorf("unknown shape %q (want one of %s)", name, strings.Join(shapeNames(), ", "))
	}
	if out == "" || out == "-" {
		w := bufio.NewWriterSize(os.Stdout, 1<<16)
		if err := generate(w, name, s); err != nil {
			return err
		}
		return w.Flush()
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	if err := generate(w, name, s); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// generate writes the input of the given shape to w.
func generate(w io.Writer, name string, s shape) error {
	g := &gen{
		rng:    rand.New(rand.NewPCG(0x68756c6c, uint64(s.values))),
		budget: s.values,
		long:   s.long,
	}
	root := g.document(name)
	if g.budget != 0 {
		return fmt.Errorf("internal error: %d values left over", g.budget)
	}
	var b strings.Builder
	if s.json {
		writeJSON(&b, root, 0)
		b.WriteByte('\n')
	} else {
		writeYAMLMap(&b, root, 0, "")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// node is a YAML/JSON value: a scalar, an ordered map or a list.
type node struct {
	scalar   string // rendered YAML scalar; "" for containers
	json     string // rendered JSON scalar
	keys     []string
	vals     []*node
	comments map[int]string // YAML comment lines before the i-th map entry
	list     bool
}

func (n *node) isMap() bool { return n.scalar == "" && !n.list }
func (n *node) empty() bool { return n.scalar == "" && len(n.vals) == 0 }
func newMap() *node         { return &node{} }
func newList() *node        { return &node{list: true} }
func (n *node) comment(c string) {
	if n.comments == nil {
		n.comments = map[int]string{}
	}
	n.comments[len(n.keys)] = c
}

// put appends a map entry unless v is nil or an empty container.
func (n *node) put(k string, v *node) {
	if v == nil || v.empty() {
		return
	}
	n.keys = append(n.keys, k)
	n.vals = append(n.vals, v)
}

// push appends a list item unless v is nil or an empty container.
func (n *node) push(v *node) {
	if v == nil || v.empty() {
		return
	}
	n.vals = append(n.vals, v)
}

// gen builds the document, handing out at most budget leaf values.
type gen struct {
	rng    *rand.Rand
	budget int
	long   bool
}

// leaf returns a scalar node, or nil once the budget is spent.
func (g *gen) leaf(yaml, json string) *node {
	if g.budget == 0 {
		return nil
	}
	g.budget--
	return &node{scalar: yaml, json: json}
}

func (g *gen) str(s string) *node { return g.leaf(quoteIfNeeded(s), strconv.Quote(s)) }
func (g *gen) int(i int) *node    { return g.num(strconv.Itoa(i)) }
func (g *gen) bool(b bool) *node  { return g.num(strconv.FormatBool(b)) }
func (g *gen) float(f float64) *node {
	return g.num(strconv.FormatFloat(f, 'f', -1, 64))
}
func (g *gen) num(s string) *node { return g.leaf(s, s) }

var (
	teams    = []string{"billing", "auth", "search", "checkout", "payments", "inventory", "notify", "reporting", "gateway", "profile", "ledger", "media"}
	roles    = []string{"api", "worker", "cron", "web", "grpc", "sync", "proxy"}
	regions  = []string{"eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-1"}
	logLevel = []string{"debug", "info", "warn", "error"}
	vendors  = []string{"github", "stripe", "sendgrid", "datadog", "sentry", "slack", "twilio", "pagerduty"}
	engines  = []string{"pg", "mysql", "redis", "mongo"}
)

const (
	alnum   = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	symbols = "!#%&*+-=?@^_~$"
	hexdig  = "0123456789abcdef"
)

func (g *gen) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

func (g *gen) randString(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.rng.IntN(len(alphabet))]
	}
	return string(b)
}

// scale lengthens generated strings for the long (JSON) shape.
func (g *gen) scale(n int) int {
	if g.long {
		return n + n/2 + 2
	}
	return n
}

func (g *gen) password() string {
	n := g.scale(8 + g.rng.IntN(7))
	if g.rng.IntN(4) == 0 {
		// Some passwords have symbols, so they end up quoted.
		return g.randString(alnum+symbols, n)
	}
	return g.randString(alnum, n)
}

// document builds the whole file.
func (g *gen) document(name string) *node {
	root := newMap()
	root.comment("Generated by internal/benchgen, shape " + name + ". Not real secrets.")
	root.put("environment", g.str("production"))
	root.put("region", g.str(g.pick(regions)))
	// Keep a few values back for the shared section at the end.
	reserve := min(6, g.budget/3)
	g.budget -= reserve
	root.comment("Per-service configuration and credentials.")
	for i := 1; g.budget > 0; i++ {
		team := teams[(i-1)%len(teams)]
		key := fmt.Sprintf("%s-%s-%04d", team, g.pick(roles), i)
		if i%1000 == 1 && i > 1 {
			root.comment(fmt.Sprintf("Services %d and up are owned by the platform team.", i))
		}
		root.put(key, g.service(team, i))
	}
	g.budget += reserve
	root.comment("Shared credentials; rotate quarterly.")
	root.put("shared", g.shared())
	return root
}

// service builds one service entry of 6 to 30 values.
func (g *gen) service(team string, i int) *node {
	s := newMap()
	s.put("image", g.str(fmt.Sprintf("%s:%d.%d", team, 1+g.rng.IntN(3), g.rng.IntN(20))))
	s.put("port", g.int(8000+g.rng.IntN(1000)))
	s.put("replicas", g.int(1+g.rng.IntN(6)))
	s.put("enabled", g.bool(g.rng.IntN(10) != 0))
	if g.rng.IntN(2) == 0 {
		s.put("timeout", g.int(5*(1+g.rng.IntN(12))))
	}
	if g.rng.IntN(3) == 0 {
		s.put("retries", g.int(g.rng.IntN(6)))
	}
	if g.rng.IntN(2) == 0 {
		s.put("cpu", g.float(float64(1+g.rng.IntN(8))/4))
	}
	if g.rng.IntN(3) != 0 {
		db := newMap()
		engine := g.pick(engines)
		db.put("engine", g.str(engine))
		db.put("host", g.str(fmt.Sprintf("%s-%04d", engine, i)))
		db.put("port", g.int(map[string]int{"pg": 5432, "mysql": 3306, "redis": 6379, "mongo": 27017}[engine]))
		db.put("user", g.str(team+"_rw"))
		db.put("password", g.str(g.password()))
		s.put("database", db)
	}
	if g.rng.IntN(2) == 0 {
		env := newList()
		for range 1 + g.rng.IntN(4) {
			switch g.rng.IntN(3) {
			case 0:
				env.push(g.str("LOG_LEVEL=" + g.pick(logLevel)))
			case 1:
				env.push(g.str("REGION=" + g.pick(regions)))
			default:
				env.push(g.str(fmt.Sprintf("WORKERS=%d", 1+g.rng.IntN(16))))
			}
		}
		s.put("env", env)
	}
	if g.rng.IntN(4) == 0 {
		tokens := newList()
		for range 1 + g.rng.IntN(3) {
			t := newMap()
			v := g.pick(vendors)
			t.put("name", g.str(v))
			t.put("token", g.str(v[:3]+"_"+g.randString(alnum, g.scale(12))))
			tokens.push(t)
		}
		s.put("tokens", tokens)
	}
	s.put("api_key", g.str(g.randString(hexdig, g.scale(10))))
	if g.rng.IntN(16) == 0 {
		s.put("note", g.str(fmt.Sprintf("owner: %s team\nrotated \"%d-%02d\"", team, 2020+g.rng.IntN(6), 1+g.rng.IntN(12))))
	}
	return s
}

func (g *gen) shared() *node {
	s := newMap()
	s.put("smtp_password", g.str(g.password()))
	s.put("jwt_secret", g.str(g.randString(alnum, g.scale(32))))
	s.put("s3_access_key", g.str("AKIA"+g.randString("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)))
	s.put("s3_secret_key", g.str(g.randString(alnum, g.scale(30))))
	s.put("ldap_bind_password", g.str(g.password()))
	s.put("sentry_dsn", g.str("https://"+g.randString(hexdig, 32)+"@sentry.internal/"+strconv.Itoa(1+g.rng.IntN(99))))
	return s
}

// quoteIfNeeded renders a string scalar: plain when that is unambiguous in
// YAML, double-quoted otherwise. All generated strings are printable ASCII
// (plus \n), so strconv.Quote yields valid YAML and JSON.
func quoteIfNeeded(s string) string {
	if plainOK(s) {
		return s
	}
	return strconv.Quote(s)
}

func plainOK(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~":
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("_-./=@", c) >= 0:
		case c == ':' && i+1 < len(s) && s[i+1] != ' ':
		default:
			return false
		}
	}
	return true
}

// writeYAMLMap writes the entries of map n at the given indent. The first
// line starts with first instead of the indent when first is not "" (a map
// inside a list: "- key: value").
func writeYAMLMap(b *strings.Builder, n *node, indent int, first string) {
	pad := strings.Repeat(" ", indent)
	for i, k := range n.keys {
		prefix := pad
		if i == 0 && first != "" {
			prefix = first
		}
		if c, ok := n.comments[i]; ok {
			b.WriteString(prefix)
			b.WriteString("# ")
			b.WriteString(c)
			b.WriteByte('\n')
			prefix = pad
		}
		v := n.vals[i]
		b.WriteString(prefix)
		b.WriteString(k)
		b.WriteByte(':')
		switch {
		case v.scalar != "":
			b.WriteByte(' ')
			b.WriteString(v.scalar)
			b.WriteByte('\n')
		case v.list:
			b.WriteByte('\n')
			writeYAMLList(b, v, indent+2)
		default:
			b.WriteByte('\n')
			writeYAMLMap(b, v, indent+2, "")
		}
	}
}

func writeYAMLList(b *strings.Builder, n *node, indent int) {
	pad := strings.Repeat(" ", indent)
	for _, v := range n.vals {
		switch {
		case v.scalar != "":
			b.WriteString(pad)
			b.WriteString("- ")
			b.WriteString(v.scalar)
			b.WriteByte('\n')
		case v.list:
			b.WriteString(pad)
			b.WriteString("-\n")
			writeYAMLList(b, v, indent+2)
		default:
			writeYAMLMap(b, v, indent+2, pad+"- ")
		}
	}
}

// writeJSON writes n the way sops does (json.MarshalIndent with a tab).
func writeJSON(b *strings.Builder, n *node, depth int) {
	if n.scalar != "" {
		b.WriteString(n.json)
		return
	}
	open, close := byte('{'), byte('}')
	if n.list {
		open, close = '[', ']'
	}
	b.WriteByte(open)
	b.WriteByte('\n')
	inner := strings.Repeat("\t", depth+1)
	for i, v := range n.vals {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(inner)
		if n.isMap() {
			b.WriteString(strconv.Quote(n.keys[i]))
			b.WriteString(": ")
		}
		writeJSON(b, v, depth+1)
	}
	b.WriteByte('\n')
	b.WriteString(strings.Repeat("\t", depth))
	b.WriteByte(close)
}
