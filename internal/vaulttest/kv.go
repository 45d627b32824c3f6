package vaulttest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// MountKV adds a KV secrets engine of version 1 or 2 at mount ("secret").
func (v *Server) MountKV(mount string, version int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.kv == nil {
		v.kv = map[string]int{}
		v.secrets = map[string]map[string]any{}
	}
	v.kv[strings.Trim(mount, "/")] = version
}

// Secret is the data of the secret at path in mount (no data/ for v2), nil
// when there is none.
func (v *Server) Secret(mount, path string) map[string]any {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.secrets[strings.Trim(mount, "/")+"/"+path]
}

// serveKV answers the requests for a KV engine: reads (GET) and writes
// (PUT, POST) of secrets, as Vault's API: v1 at /v1/<mount>/<path> with
// the data as the body and the answer's "data"; v2 at
// /v1/<mount>/data/<path> with {"data": …} both ways.
func (v *Server) serveKV(w http.ResponseWriter, r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/")
	if !ok {
		return false
	}
	mount, path, _ := strings.Cut(rest, "/")
	v.mu.Lock()
	version, ok := v.kv[mount]
	v.mu.Unlock()
	if !ok {
		return false
	}
	if r.Header.Get("X-Vault-Token") != v.Token {
		v.errorf(w, 403, "permission denied")
		return true
	}
	if version == 2 {
		p, ok := strings.CutPrefix(path, "data/")
		if !ok {
			v.errorf(w, 404, "no handler for route")
			return true
		}
		path = p
	}
	key := mount + "/" + path
	switch r.Method {
	case http.MethodGet:
		v.mu.Lock()
		data := v.secrets[key]
		v.mu.Unlock()
		if data == nil {
			v.errorf(w, 404, "")
			return true
		}
		var out any = data
		if version == 2 {
			out = map[string]any{"data": data, "metadata": map[string]any{"version": 1}}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"data": out})
	case http.MethodPut, http.MethodPost:
		var in map[string]any
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			v.errorf(w, 400, "failed to parse JSON input")
			return true
		}
		if version == 2 {
			d, ok := in["data"].(map[string]any)
			if !ok {
				v.errorf(w, 400, "no data provided")
				return true
			}
			in = d
		}
		v.mu.Lock()
		v.secrets[key] = in
		v.mu.Unlock()
		v.KVWrites.Add(1)
		w.WriteHeader(http.StatusNoContent)
	default:
		v.errorf(w, 405, "unsupported operation")
	}
	return true
}
