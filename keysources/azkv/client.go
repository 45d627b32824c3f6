package azkv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azkeys"

	"github.com/hullsecrets/hull/keysources"
)

// setups counts the credentials and clients made by this process.
var setups atomic.Int64

// ClientsCreated returns how many Azure credentials and Key Vault clients
// this process has made. It is 0 until an azure_kv key is used; tests use
// it to show that files without azure_kv stanzas never set up the SDK.
func ClientsCreated() int64 { return setups.Load() }

// provider makes the credential and one client per vault lazily, and
// shares them between the recipients of one parse or one identity.
type provider struct {
	opts Options

	mu      sync.Mutex
	cred    azcore.TokenCredential
	clients map[string]*azkeys.Client
}

func newProvider(o Options) *provider {
	return &provider{opts: o, clients: map[string]*azkeys.Client{}}
}

// client returns the client of a vault, making it (and the credential) on
// first use. A failed set-up is not remembered.
func (p *provider) client(vaultURL string) (*azkeys.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.clients[vaultURL]; c != nil {
		return c, nil
	}
	if p.cred == nil {
		cred := p.opts.Credential
		if cred == nil {
			setups.Add(1)
			dc, err := azidentity.NewDefaultAzureCredential(nil)
			if err != nil {
				return nil, &credError{err}
			}
			cred = dc
		}
		p.cred = credTag{cred}
	}
	setups.Add(1)
	attempts := p.opts.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	retries := int32(attempts - 1)
	if retries == 0 {
		retries = -1 // azcore: 0 is its default (3), -1 is none
	}
	co := &azkeys.ClientOptions{
		ClientOptions: azcore.ClientOptions{
			Retry: policy.RetryOptions{
				MaxRetries:    retries,
				RetryDelay:    200 * time.Millisecond,
				MaxRetryDelay: 2 * time.Second,
			},
			Telemetry: policy.TelemetryOptions{Disabled: true},
		},
		DisableChallengeResourceVerification: p.opts.DisableChallengeResourceVerification,
	}
	if p.opts.HTTPClient != nil {
		co.Transport = p.opts.HTTPClient
	}
	c, err := azkeys.NewClient(vaultURL, p.cred, co)
	if err != nil {
		return nil, fmt.Errorf("setting up the Key Vault client: %w", err)
	}
	p.clients[vaultURL] = c
	return c, nil
}

// credTag marks the errors of the credential, so that they are classified
// as "no credentials".
type credTag struct{ c azcore.TokenCredential }

func (t credTag) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := t.c.GetToken(ctx, o)
	if err != nil {
		return tok, &credError{err}
	}
	return tok, nil
}

type credError struct{ err error }

func (e *credError) Error() string { return "getting an Azure token: " + e.err.Error() }
func (e *credError) Unwrap() error { return e.err }

var rsaOAEP256 = azkeys.EncryptionAlgorithmRSAOAEP256

// latest returns the latest version of a key.
func (p *provider) latest(ctx context.Context, vaultURL, name string) (string, error) {
	c, err := p.client(vaultURL)
	if err != nil {
		return "", err
	}
	resp, err := c.GetKey(ctx, name, "", nil)
	if err != nil {
		return "", err
	}
	if resp.Key == nil || resp.Key.KID == nil || resp.Key.KID.Version() == "" {
		return "", errors.New("the service returned no key version")
	}
	return resp.Key.KID.Version(), nil
}

// encrypt encrypts with Encrypt, or with Wrap Key when Encrypt is refused.
func (p *provider) encrypt(ctx context.Context, vaultURL, name, version string, plaintext []byte) ([]byte, error) {
	c, err := p.client(vaultURL)
	if err != nil {
		return nil, err
	}
	params := azkeys.KeyOperationParameters{Algorithm: &rsaOAEP256, Value: plaintext}
	resp, err := c.Encrypt(ctx, name, version, params, nil)
	if forbidden(err) {
		w, werr := c.WrapKey(ctx, name, version, params, nil)
		if werr != nil {
			return nil, err // the Encrypt error
		}
		resp.KeyOperationResult, err = w.KeyOperationResult, nil
	}
	if err != nil {
		return nil, err
	}
	if len(resp.Result) == 0 {
		return nil, errors.New("the service returned an empty ciphertext")
	}
	return resp.Result, nil
}

// decrypt decrypts with Decrypt, or with Unwrap Key when Decrypt is
// refused.
func (p *provider) decrypt(ctx context.Context, vaultURL, name, version string, ciphertext []byte) ([]byte, error) {
	c, err := p.client(vaultURL)
	if err != nil {
		return nil, err
	}
	params := azkeys.KeyOperationParameters{Algorithm: &rsaOAEP256, Value: ciphertext}
	resp, err := c.Decrypt(ctx, name, version, params, nil)
	if forbidden(err) {
		u, uerr := c.UnwrapKey(ctx, name, version, params, nil)
		if uerr != nil {
			return nil, err // the Decrypt error
		}
		resp.KeyOperationResult, err = u.KeyOperationResult, nil
	}
	if err != nil {
		return nil, err
	}
	return resp.Result, nil
}

func forbidden(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusForbidden
}

// keyError classifies err into a *keysources.KeyError for the key.
func keyError(kid, op string, err error) error {
	var ke *keysources.KeyError
	if errors.As(err, &ke) {
		return err
	}
	class, cause := classify(op, err)
	return &keysources.KeyError{Type: Type, Key: kid, Op: op, Class: class, Err: cause}
}

// classify returns the class of err and a short cause: the HTTP status, the
// Key Vault error code and message when there are some, else the error
// text (never the SDK's dump of the whole response).
func classify(op string, err error) (error, error) {
	var cred *credError
	var re *azcore.ResponseError
	switch {
	case errors.As(err, &cred):
		if errors.Is(err, context.DeadlineExceeded) {
			return keysources.ErrUnreachable, errors.New(firstLine(err))
		}
		return keysources.ErrNoCredentials, errors.New(firstLine(err))
	case errors.As(err, &re):
		cause := responseCause(re)
		switch c := re.StatusCode; {
		case c == http.StatusUnauthorized:
			return keysources.ErrNoCredentials, cause
		case c == http.StatusForbidden:
			return keysources.ErrAccessDenied, cause
		case c == http.StatusNotFound:
			return keysources.ErrKeyNotFound, cause
		case c == http.StatusTooManyRequests:
			return keysources.ErrThrottled, cause
		case c >= 500:
			return keysources.ErrUnreachable, cause
		case c == http.StatusBadRequest && op == "unwrap":
			return keysources.ErrInvalidCiphertext, cause
		}
		return nil, cause
	}
	if strings.Contains(err.Error(), "doesn't match the requested domain") {
		// The SDK refused the vault's authentication challenge: it names a
		// resource outside the vault's domain, so no token was sent.
		return keysources.ErrEndpointNotAllowed, errors.New(firstLine(err))
	}
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.As(err, &netErr) {
		return keysources.ErrUnreachable, errors.New(firstLine(err))
	}
	return nil, errors.New(firstLine(err))
}

// responseCause is "HTTP <status>: <code>: <message>" from a Key Vault
// error response ({"error": {"code": …, "message": …}}).
func responseCause(re *azcore.ResponseError) error {
	s := fmt.Sprintf("HTTP %d", re.StatusCode)
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if re.RawResponse != nil {
		if b, err := runtime.Payload(re.RawResponse); err == nil {
			_ = json.Unmarshal(b, &body)
		}
	}
	code := body.Error.Code
	if code == "" {
		code = re.ErrorCode
	}
	if code != "" {
		s += ": " + code
	}
	if m := body.Error.Message; m != "" {
		s += ": " + firstLine(errors.New(m))
	}
	return errors.New(s)
}

// firstLine is the first line of an error's text: the SDK's errors can be
// multi-line dumps.
func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}
