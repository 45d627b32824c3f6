package gcpkms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	kms "cloud.google.com/go/kms/apiv1"
	"cloud.google.com/go/kms/apiv1/kmspb"
	"github.com/googleapis/gax-go/v2"
	"github.com/googleapis/gax-go/v2/apierror"
	"golang.org/x/oauth2"
	"google.golang.org/api/option"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/hullsecrets/hull/keysources"
)

// clientsCreated counts the Cloud KMS clients built by this process.
var clientsCreated atomic.Int64

// ClientsCreated returns how many Cloud KMS clients this process has
// built. It is 0 until a gcp_kms key is used; tests use it to show that
// files without gcp_kms stanzas never set up the SDK.
func ClientsCreated() int64 { return clientsCreated.Load() }

// provider builds the Cloud KMS client lazily, once, and shares it between
// the recipients of one parse or one identity.
type provider struct {
	opts Options
	mu   sync.Mutex
	c    *kms.KeyManagementClient
}

func newProvider(o Options) *provider { return &provider{opts: o} }

// client returns the client, building it on first use. A failed set-up
// is not remembered: the next call tries again.
func (p *provider) client(ctx context.Context) (*kms.KeyManagementClient, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c != nil {
		return p.c, nil
	}
	c, err := p.newClient(ctx)
	if err != nil {
		return nil, err
	}
	p.c = c
	return c, nil
}

func (p *provider) newClient(ctx context.Context) (*kms.KeyManagementClient, error) {
	if err := p.opts.Validate(); err != nil {
		return nil, err
	}
	clientsCreated.Add(1)
	var opts []option.ClientOption
	creds, err := credentialOptions(p.opts)
	if err != nil {
		return nil, &setupError{err}
	}
	opts = append(opts, creds...)
	if p.opts.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(p.opts.Endpoint))
	}
	if p.opts.UniverseDomain != "" {
		opts = append(opts, option.WithUniverseDomain(p.opts.UniverseDomain))
	}
	opts = append(opts, p.opts.ClientOptions...)
	var c *kms.KeyManagementClient
	if p.opts.ClientType == "rest" {
		c, err = kms.NewKeyManagementRESTClient(ctx, opts...)
	} else {
		c, err = kms.NewKeyManagementClient(ctx, opts...)
	}
	if err != nil {
		return nil, &setupError{fmt.Errorf("setting up the Cloud KMS client: %w", err)}
	}
	return c, nil
}

// credentialOptions returns the client options for the credentials of o:
// the credentials JSON (or file), else a static access token, else none
// (the SDK's Application Default Credentials).
func credentialOptions(o Options) ([]option.ClientOption, error) {
	switch {
	case o.Credentials != "":
		data, err := readCredentials(o.Credentials)
		if err != nil {
			return nil, err
		}
		t, err := credentialsType(data)
		if err != nil {
			return nil, err
		}
		return []option.ClientOption{option.WithAuthCredentialsJSON(t, data)}, nil
	case o.AccessToken != "":
		ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: o.AccessToken, TokenType: "Bearer"})
		return []option.ClientOption{option.WithTokenSource(ts)}, nil
	}
	return nil, nil
}

// readCredentials reads the credentials file named by s, or takes s as the
// JSON itself, as sops does with GOOGLE_CREDENTIALS. Errors never show s:
// it may be a secret.
func readCredentials(s string) ([]byte, error) {
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		data, err := os.ReadFile(s)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("the GCP credentials are neither JSON nor a readable file (value not shown): %v", err)
		}
		return data, nil
	}
	return []byte(s), nil
}

// knownCredentialTypes are the "type" values of Google credentials JSON.
var knownCredentialTypes = []option.CredentialsType{
	option.ServiceAccount, option.AuthorizedUser, option.ImpersonatedServiceAccount, option.ExternalAccount,
	"gdc_service_account", "external_account_authorized_user",
}

// credentialsType returns the type of a Google credentials JSON.
func credentialsType(data []byte) (option.CredentialsType, error) {
	var f struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return "", errors.New("the GCP credentials are not valid JSON (content not shown)")
	}
	for _, t := range knownCredentialTypes {
		if string(t) == f.Type {
			return t, nil
		}
	}
	return "", fmt.Errorf("the GCP credentials have an unknown type %q", f.Type)
}

// setupError is a failure to set up the client (credentials that cannot
// be read or found): classified as "no credentials".
type setupError struct{ err error }

func (e *setupError) Error() string { return e.err.Error() }
func (e *setupError) Unwrap() error { return e.err }

// retryCodes are the status codes on which a call is tried again.
var retryCodes = []codes.Code{codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded}

// bounded stops a gax.Retryer after a number of retries.
type bounded struct {
	r    gax.Retryer
	left int
}

func (b *bounded) Retry(err error) (time.Duration, bool) {
	if b.left <= 0 {
		return 0, false
	}
	b.left--
	return b.r.Retry(err)
}

func (p *provider) retry() gax.CallOption {
	n := p.opts.attempts() - 1
	return gax.WithRetry(func() gax.Retryer {
		return &bounded{
			r:    gax.OnCodes(retryCodes, gax.Backoff{Initial: 100 * time.Millisecond, Max: 2 * time.Second, Multiplier: 2}),
			left: n,
		}
	})
}

// crcTable is made on first use: the table costs startup time.
var crcTable = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

func crc(b []byte) *wrapperspb.Int64Value {
	return wrapperspb.Int64(int64(crc32.Checksum(b, crcTable())))
}

// errIntegrity is a response whose CRC32C does not match its data.
var errIntegrity = errors.New("the response failed its CRC32C integrity check")

func (p *provider) encrypt(ctx context.Context, name string, plaintext []byte) ([]byte, error) {
	c, err := p.client(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := c.Encrypt(ctx, &kmspb.EncryptRequest{Name: name, Plaintext: plaintext, PlaintextCrc32C: crc(plaintext)}, p.retry())
	if err != nil {
		return nil, err
	}
	if len(resp.GetCiphertext()) == 0 {
		return nil, errors.New("the service returned an empty ciphertext")
	}
	if want := resp.GetCiphertextCrc32C(); want != nil && want.GetValue() != crc(resp.GetCiphertext()).GetValue() {
		return nil, errIntegrity
	}
	return resp.GetCiphertext(), nil
}

func (p *provider) decrypt(ctx context.Context, name string, ciphertext []byte) ([]byte, error) {
	c, err := p.client(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := c.Decrypt(ctx, &kmspb.DecryptRequest{Name: name, Ciphertext: ciphertext, CiphertextCrc32C: crc(ciphertext)}, p.retry())
	if err != nil {
		return nil, err
	}
	pt := resp.GetPlaintext()
	if want := resp.GetPlaintextCrc32C(); want != nil && want.GetValue() != crc(pt).GetValue() {
		clear(pt)
		return nil, errIntegrity
	}
	return pt, nil
}

// keyError classifies err into a *keysources.KeyError for the key.
func keyError(id, op string, err error) error {
	var ke *keysources.KeyError
	if errors.As(err, &ke) {
		return err
	}
	class, cause := classify(op, err)
	return &keysources.KeyError{Type: Type, Key: id, Op: op, Class: class, Err: cause}
}

// classify returns the class of err and a short cause: the status code and
// the service's message when there is one, else the error text.
func classify(op string, err error) (error, error) {
	var setup *setupError
	if errors.As(err, &setup) {
		return keysources.ErrNoCredentials, err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return keysources.ErrUnreachable, err
	}
	if st, ok := status.FromError(err); ok {
		cause := fmt.Errorf("%s: %s", st.Code(), st.Message())
		switch st.Code() {
		case codes.Unauthenticated:
			return keysources.ErrNoCredentials, cause
		case codes.PermissionDenied:
			return keysources.ErrAccessDenied, cause
		case codes.NotFound, codes.FailedPrecondition:
			return keysources.ErrKeyNotFound, cause
		case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
			return keysources.ErrUnreachable, cause
		case codes.ResourceExhausted:
			return keysources.ErrThrottled, cause
		case codes.InvalidArgument:
			if op == "unwrap" {
				return keysources.ErrInvalidCiphertext, cause
			}
		}
		return nil, cause
	}
	var ae *apierror.APIError
	if errors.As(err, &ae) && ae.HTTPCode() > 0 {
		cause := fmt.Errorf("HTTP %d: %s", ae.HTTPCode(), ae.Reason())
		if ae.Reason() == "" {
			cause = fmt.Errorf("HTTP %d", ae.HTTPCode())
		}
		switch c := ae.HTTPCode(); {
		case c == 401:
			return keysources.ErrNoCredentials, cause
		case c == 403:
			return keysources.ErrAccessDenied, cause
		case c == 404:
			return keysources.ErrKeyNotFound, cause
		case c == 429:
			return keysources.ErrThrottled, cause
		case c >= 500:
			return keysources.ErrUnreachable, cause
		case c == 400 && op == "unwrap":
			return keysources.ErrInvalidCiphertext, cause
		}
		return nil, cause
	}
	return nil, err
}
