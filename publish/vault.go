package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
)

// VaultClient writes Vault KV secrets over Vault's HTTP API.
type VaultClient struct {
	// Address is the default server (VAULT_ADDR), for targets without one.
	Address string
	// Token and Namespace authenticate (VAULT_TOKEN or ~/.vault-token,
	// VAULT_NAMESPACE).
	Token, Namespace string
	// HTTP is the client; nil means http.DefaultClient.
	HTTP *http.Client
}

// Address is the server of t: the rule's, else c.Address, else Vault's
// default (https://127.0.0.1:8200).
func (c *VaultClient) address(t Target) string {
	for _, a := range []string{t.Address, c.Address} {
		if a != "" {
			return strings.TrimSuffix(a, "/")
		}
	}
	return "https://127.0.0.1:8200"
}

// Resolve fills in t's server, for messages.
func (c *VaultClient) Resolve(t Target) Target {
	t.Address = c.address(t)
	return t
}

// Put writes data as the secret t, as sops publish does: when the secret
// already holds exactly data, nothing is written (a KV v2 engine would
// make a new version) and changed is false.
func (c *VaultClient) Put(ctx context.Context, t Target, data map[string]any) (changed bool, err error) {
	url := c.address(t) + "/v1/" + t.APIPath()
	var cur struct {
		Data map[string]any `json:"data"`
	}
	code, err := c.do(ctx, http.MethodGet, url, nil, &cur)
	if err == nil && code == http.StatusOK {
		existing := cur.Data
		if t.Version != 1 {
			existing, _ = cur.Data["data"].(map[string]any)
		}
		if sameJSON(existing, data) {
			return false, nil
		}
	}
	var body any = data
	if t.Version != 1 {
		body = map[string]any{"data": data}
	}
	if _, err := c.do(ctx, http.MethodPut, url, body, nil); err != nil {
		return false, err
	}
	return true, nil
}

// sameJSON compares as JSON values (numbers read back are float64).
func sameJSON(a, b map[string]any) bool {
	if a == nil {
		return false
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	var va, vb any
	json.Unmarshal(ja, &va)
	json.Unmarshal(jb, &vb)
	return reflect.DeepEqual(va, vb)
}

// do sends one request; a status other than 2xx is an error with Vault's
// message, except 404 on GET (no secret yet), returned as the code.
func (c *VaultClient) do(ctx context.Context, method, url string, in, out any) (int, error) {
	var rd io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, fmt.Errorf("vault %s: %v", url, err)
	}
	if c.Token != "" {
		req.Header.Set("X-Vault-Token", c.Token)
	}
	if c.Namespace != "" {
		req.Header.Set("X-Vault-Namespace", c.Namespace)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("vault %s: cannot connect: %v", url, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if method == http.MethodGet && resp.StatusCode == http.StatusNotFound {
		return resp.StatusCode, nil
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Errors []string `json:"errors"`
		}
		json.Unmarshal(b, &e)
		msg := strings.Join(e.Errors, "; ")
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
		if resp.StatusCode == http.StatusForbidden {
			msg += " (is VAULT_TOKEN set, and may it write " + url + "?)"
		}
		return resp.StatusCode, fmt.Errorf("vault %s %s: %d: %s", method, url, resp.StatusCode, msg)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("vault %s: malformed answer: %v", url, err)
		}
	}
	return resp.StatusCode, nil
}
