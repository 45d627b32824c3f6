package vault

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hullsecrets/hull/keysources"
)

// HTTPDoer sends HTTP requests; a *http.Client is one.
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// maxResponse bounds what is read of a Vault answer.
const maxResponse = 1 << 20

type client struct {
	opts Options
	http HTTPDoer
}

func newClient(o Options) *client {
	c := &client{opts: o}
	hc, _ := o.HTTPClient.(*http.Client)
	switch {
	case o.HTTPClient == nil:
		c.http = &http.Client{CheckRedirect: noRedirect}
	case hc != nil:
		cp := *hc
		cp.CheckRedirect = noRedirect
		c.http = &cp
	default:
		c.http = o.HTTPClient
	}
	return c
}

// noRedirect stops at a redirect: the token must only go to the address
// that was checked.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// statusError is a Vault answer other than 200.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string {
	if e.msg == "" {
		return fmt.Sprintf("HTTP %d", e.code)
	}
	return fmt.Sprintf("HTTP %d: %s", e.code, e.msg)
}

func (c *client) encrypt(k Key, dataKey []byte) (string, error) {
	var out struct {
		Data struct {
			Ciphertext string `json:"ciphertext"`
		} `json:"data"`
	}
	body := map[string]string{"plaintext": base64.StdEncoding.EncodeToString(dataKey)}
	if err := c.call(k, "encrypt", body, &out); err != nil {
		return "", err
	}
	if !strings.HasPrefix(out.Data.Ciphertext, "vault:") {
		return "", errors.New("the answer has no ciphertext")
	}
	return out.Data.Ciphertext, nil
}

func (c *client) decrypt(k Key, enc string) ([]byte, error) {
	var out struct {
		Data struct {
			Plaintext string `json:"plaintext"`
		} `json:"data"`
	}
	if err := c.call(k, "decrypt", map[string]string{"ciphertext": enc}, &out); err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(out.Data.Plaintext)
	if err != nil || len(key) == 0 {
		return nil, errors.New("the answer has no base64 plaintext")
	}
	return key, nil
}

// call POSTs body to <address>/v1/<engine>/<op>/<key> and decodes the
// answer into out, retrying connection failures, 429 and 5xx.
func (c *client) call(k Key, op string, body any, out any) error {
	timeout := c.opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	attempts := c.opts.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	backoff := c.opts.Backoff
	if backoff <= 0 {
		backoff = 200 * time.Millisecond
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	u := k.Address + "/v1/" + k.EnginePath + "/" + op + "/" + k.Name
	var last error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("%w (after %d attempts; last: %v)", ctx.Err(), i, last)
			case <-time.After(backoff << (i - 1)):
			}
		}
		retry, err := c.once(ctx, u, payload, out)
		if err == nil {
			return nil
		}
		last = err
		if !retry {
			return err
		}
	}
	if attempts > 1 {
		return fmt.Errorf("%w (after %d attempts)", last, attempts)
	}
	return last
}

func (c *client) once(ctx context.Context, u string, payload []byte, out any) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(payload))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Vault-Request", "true")
	if c.opts.Token != "" {
		req.Header.Set("X-Vault-Token", c.opts.Token)
	}
	if c.opts.Namespace != "" {
		req.Header.Set("X-Vault-Namespace", c.opts.Namespace)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return ctx.Err() == nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return ctx.Err() == nil, err
	}
	if resp.StatusCode != http.StatusOK {
		se := &statusError{code: resp.StatusCode, msg: vaultMessage(data)}
		return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500, se
	}
	if err := json.Unmarshal(data, out); err != nil {
		return false, errors.New("the answer is not Vault JSON")
	}
	return false, nil
}

// vaultMessage returns Vault's "errors" list, shortened.
func vaultMessage(data []byte) string {
	var e struct {
		Errors []string `json:"errors"`
	}
	if json.Unmarshal(data, &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	msg := strings.Join(e.Errors, "; ")
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

// keyError classifies err and makes sure the token is not in its text.
func (c *client) keyError(k Key, op string, err error) error {
	var class error
	var se *statusError
	var netErr net.Error
	switch {
	case errors.As(err, &se):
		switch {
		case (se.code == 401 || se.code == 403) && c.opts.Token == "":
			class = keysources.ErrNoCredentials
		case se.code == 401 || se.code == 403:
			class = keysources.ErrAccessDenied
		case se.code == 404:
			class = keysources.ErrKeyNotFound
		case se.code == 429:
			class = keysources.ErrThrottled
		case se.code >= 500:
			class = keysources.ErrUnreachable
		case se.code == 400 && strings.Contains(se.msg, "not found"):
			class = keysources.ErrKeyNotFound
		case se.code == 400 && op == "unwrap":
			class = keysources.ErrInvalidCiphertext
		case se.code >= 300 && se.code < 400:
			err = fmt.Errorf("%w (redirects are not followed)", err)
		}
	case errors.As(err, &netErr), errors.Is(err, context.DeadlineExceeded):
		class = keysources.ErrUnreachable
	}
	cause := err
	if tok := c.opts.Token; tok != "" && strings.Contains(err.Error(), tok) {
		cause = errors.New(strings.ReplaceAll(err.Error(), tok, "[token]"))
	}
	return &keysources.KeyError{Type: Type, Key: k.String(), Op: op, Class: class, Err: cause}
}
