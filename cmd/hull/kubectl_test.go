package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestKubectlAcceptsDecryptStream is the proof of the deploy workflow
// (examples/kubernetes/README.md): the example Secret and ConfigMap are
// encrypted with their .sops.yaml rule, 'hull decrypt secret.yaml
// configmap.yaml' writes them as one stream, and the real kubectl reads
// that stream with 'kubectl apply --dry-run=client -f -'. kubectl talks to
// a minimal API server on loopback (fakeKubeAPI): the discovery documents
// it needs to map the objects to resources, and 404 for the objects
// themselves, so that apply takes its create path and prints the objects
// it would create.
func TestKubectlAcceptsDecryptStream(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("kubectl is not installed, and CI is set: the deploy workflow must be proven on CI (%v)", err)
		}
		t.Skipf("kubectl is not installed (%v); CI runs this test", err)
	}

	tmp := t.TempDir()
	keyFile, err := filepath.Abs("../../testdata/interop/keys/age1.txt")
	if err != nil {
		t.Fatal(err)
	}
	environ := map[string]string{
		"SOPS_AGE_KEY_FILE": keyFile,
		"XDG_CONFIG_HOME":   filepath.Join(tmp, "config"),
		"HOME":              filepath.Join(tmp, "home"),
	}
	lookup := func(k string) (string, bool) { v, ok := environ[k]; return v, ok }
	hull := func(stdin []byte, args ...string) []byte {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := Main(append([]string{"hull"}, args...), bytes.NewReader(stdin), &stdout, &stderr, lookup); code != 0 {
			t.Fatalf("hull %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
		}
		return stdout.Bytes()
	}

	// Encrypt the examples as a user would, with the creation rule of
	// examples/kubernetes/.sops.yaml (only data and stringData).
	dir := filepath.Join(tmp, "k8s")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var encrypted []string
	for _, name := range []string{"secret.yaml", "configmap.yaml"} {
		// .sops.yaml is found from the working directory, as sops finds it.
		enc := hull(nil, "--config", filepath.Join("..", "..", "examples", "kubernetes", ".sops.yaml"), "encrypt", filepath.Join("..", "..", "examples", "kubernetes", name))
		for _, clear := range []string{"fake-password-do-not-use", "ZmFrZS1hcGkta2V5LTAwMDA=", "postgres.payments.svc"} {
			if bytes.Contains(enc, []byte(clear)) {
				t.Fatalf("encrypted %s holds %q in clear:\n%s", name, clear, enc)
			}
		}
		if !bytes.Contains(enc, []byte("encrypted_regex: ^(data|stringData)$")) {
			t.Fatalf("encrypted %s was not encrypted with the rule of examples/kubernetes/.sops.yaml:\n%s", name, enc)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, enc, 0o600); err != nil {
			t.Fatal(err)
		}
		encrypted = append(encrypted, p)
	}
	stream := hull(nil, append([]string{"decrypt"}, encrypted...)...)
	if n := bytes.Count(stream, []byte("\n---\n")); n != 1 {
		t.Fatalf("the stream has %d separators, want 1:\n%s", n, stream)
	}

	api := newFakeKubeAPI(t)
	// A kubeconfig of our own: kubectl must never read the user's, nor
	// write its discovery cache into the user's home.
	kubeconfig := filepath.Join(tmp, "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: `+api.URL+`
contexts:
- name: fake
  context:
    cluster: fake
    user: fake
current-context: fake
users:
- name: fake
  user: {}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectl, "apply", "--dry-run=client", "--validate=false",
		"--kubeconfig", kubeconfig, "--cache-dir", filepath.Join(tmp, "kubecache"),
		"-f", "-", "-o", "yaml")
	cmd.Env = []string{
		"HOME=" + filepath.Join(tmp, "home"),
		"KUBECONFIG=" + kubeconfig,
		"PATH=" + os.Getenv("PATH"),
	}
	cmd.Stdin = bytes.NewReader(stream)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl apply --dry-run=client -f - did not accept the stream: %v\nstderr:\n%s\nrequests: %v\nstream:\n%s", err, stderr.String(), api.seen(), stream)
	}
	out := stdout.String()
	t.Logf("kubectl requests: %v\nkubectl output:\n%s", api.seen(), out)

	// kubectl printed both objects (a List, or two documents), with the
	// decrypted values.
	for _, want := range []string{
		"kind: Secret",
		"name: payments-db",
		"kind: ConfigMap",
		"name: payments-config",
		"password: fake-password-do-not-use",
		"username: payments",
		"api-key: ZmFrZS1hcGkta2V5LTAwMDA=",
		"LOG_LEVEL: info",
		"FEATURE_REFUNDS: \"true\"",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl output lacks %q", want)
		}
	}
	if strings.Contains(out, "ENC[") || strings.Contains(out, "sops:") {
		t.Errorf("kubectl output holds encrypted values or sops metadata")
	}
	if t.Failed() {
		t.Logf("kubectl stderr:\n%s", stderr.String())
	}
	// Both objects were looked up by kubectl: it mapped them to the
	// resources of the discovery documents and found that they do not
	// exist yet.
	for _, p := range []string{"/api/v1/namespaces/payments/secrets/payments-db", "/api/v1/namespaces/payments/configmaps/payments-config"} {
		if !api.requested(p) {
			t.Errorf("kubectl did not look up %s; requests: %v", p, api.seen())
		}
	}
}

// fakeKubeAPI is the smallest Kubernetes API server kubectl apply
// --dry-run=client needs: /version, legacy discovery of the core group
// with secrets and configmaps, an empty list of API groups, and 404
// NotFound for every object.
type fakeKubeAPI struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
}

func newFakeKubeAPI(t *testing.T) *fakeKubeAPI {
	api := &fakeKubeAPI{}
	writeJSON := func(w http.ResponseWriter, code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(v)
	}
	notFound := func(w http.ResponseWriter, r *http.Request, kind, name string) {
		writeJSON(w, http.StatusNotFound, map[string]any{
			"kind": "Status", "apiVersion": "v1", "status": "Failure",
			"message": kind + " \"" + name + "\" not found", "reason": "NotFound",
			"details": map[string]any{"name": name, "kind": kind}, "code": 404,
		})
	}
	resource := func(name, kind string) map[string]any {
		return map[string]any{
			"name": name, "singularName": strings.ToLower(kind), "namespaced": true, "kind": kind,
			"verbs": []string{"create", "delete", "get", "list", "patch", "update", "watch"},
		}
	}
	api.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.mu.Lock()
		api.paths = append(api.paths, r.Method+" "+r.URL.Path)
		api.mu.Unlock()
		if r.Method != http.MethodGet {
			// A client-side dry run sends nothing: a write is a failure.
			t.Errorf("kubectl sent %s %s during a client-side dry run", r.Method, r.URL.Path)
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 405})
			return
		}
		switch p := r.URL.Path; {
		case p == "/version":
			writeJSON(w, 200, map[string]any{"major": "1", "minor": "32", "gitVersion": "v1.32.0", "platform": "linux/amd64"})
		case p == "/api":
			// The legacy discovery document (kubectl asks for the
			// aggregated one first and accepts this instead).
			writeJSON(w, 200, map[string]any{
				"kind": "APIVersions", "versions": []string{"v1"},
				"serverAddressByClientCIDRs": []map[string]string{{"clientCIDR": "0.0.0.0/0", "serverAddress": r.Host}},
			})
		case p == "/apis":
			writeJSON(w, 200, map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{}})
		case p == "/api/v1":
			writeJSON(w, 200, map[string]any{
				"kind": "APIResourceList", "groupVersion": "v1",
				"resources": []any{resource("secrets", "Secret"), resource("configmaps", "ConfigMap"), map[string]any{
					"name": "namespaces", "singularName": "namespace", "namespaced": false, "kind": "Namespace",
					"verbs": []string{"create", "delete", "get", "list", "patch", "update", "watch"},
				}},
			})
		case strings.HasPrefix(p, "/api/v1/namespaces/"):
			parts := strings.Split(strings.TrimPrefix(p, "/api/v1/namespaces/"), "/")
			switch {
			case len(parts) == 3 && parts[1] == "secrets":
				notFound(w, r, "secrets", parts[2])
			case len(parts) == 3 && parts[1] == "configmaps":
				notFound(w, r, "configmaps", parts[2])
			default:
				notFound(w, r, "namespaces", parts[0])
			}
		default:
			// /openapi/v2, /openapi/v3 and anything else: not served.
			notFound(w, r, "", p)
		}
	}))
	t.Cleanup(api.Close)
	return api
}

func (a *fakeKubeAPI) seen() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.paths...)
}

func (a *fakeKubeAPI) requested(path string) bool {
	for _, p := range a.seen() {
		if p == "GET "+path {
			return true
		}
	}
	return false
}
