package awskms

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/hullsecrets/hull/keysources"
)

// configsLoaded counts the AWS configurations loaded by this process.
var configsLoaded atomic.Int64

// ConfigsLoaded returns how many times this process has set up the AWS
// SDK (loaded a configuration and built a client). It is 0 until a kms key
// is used; tests use it to show that files without kms stanzas never touch
// the SDK.
func ConfigsLoaded() int64 { return configsLoaded.Load() }

// provider builds KMS clients lazily, one per (region, profile, role), and
// shares them between the recipients of one parse or one identity.
type provider struct {
	opts    Options
	mu      sync.Mutex
	clients map[clientKey]*clientEntry
}

type clientKey struct{ region, profile, role string }

type clientEntry struct {
	once sync.Once
	c    *kms.Client
	err  error
}

func newProvider(o Options) *provider {
	return &provider{opts: o, clients: map[clientKey]*clientEntry{}}
}

func (p *provider) client(ctx context.Context, arn, role, profile string) (*kms.Client, error) {
	region, err := Region(arn)
	if err != nil {
		return nil, err
	}
	k := clientKey{region, profile, role}
	p.mu.Lock()
	e := p.clients[k]
	if e == nil {
		e = &clientEntry{}
		p.clients[k] = e
	}
	p.mu.Unlock()
	e.once.Do(func() { e.c, e.err = p.newClient(ctx, k) })
	if e.err != nil {
		// A failed set-up (no profile yet, a timeout) may work next time.
		p.mu.Lock()
		if p.clients[k] == e {
			delete(p.clients, k)
		}
		p.mu.Unlock()
	}
	return e.c, e.err
}

func (p *provider) newClient(ctx context.Context, k clientKey) (*kms.Client, error) {
	configsLoaded.Add(1)
	attempts := p.opts.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(k.region),
		config.WithRetryMaxAttempts(attempts),
	}
	if k.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(k.profile))
	}
	if p.opts.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(p.opts.Credentials))
	}
	if p.opts.HTTPClient != nil {
		opts = append(opts, config.WithHTTPClient(p.opts.HTTPClient))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, &setupError{fmt.Errorf("loading the AWS configuration: %w", err)}
	}
	if k.role != "" {
		name, err := sessionName(p.opts.Hostname)
		if err != nil {
			return nil, &setupError{err}
		}
		stsClient := sts.NewFromConfig(cfg)
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, k.role, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = name
		}))
	}
	if cfg.Credentials != nil {
		cfg.Credentials = credTag{cfg.Credentials}
	}
	return kms.NewFromConfig(cfg, func(o *kms.Options) {
		if p.opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(p.opts.Endpoint)
		}
	}), nil
}

// credTag marks the errors of the credentials chain, which the SDK
// returns untyped, so that they are classified as "no credentials".
type credTag struct{ p aws.CredentialsProvider }

func (c credTag) Retrieve(ctx context.Context) (aws.Credentials, error) {
	v, err := c.p.Retrieve(ctx)
	if err != nil {
		return v, &credError{err}
	}
	return v, nil
}

type credError struct{ err error }

func (e *credError) Error() string { return "getting credentials: " + e.err.Error() }
func (e *credError) Unwrap() error { return e.err }

// setupError is a failure to load the configuration (an unknown profile, a
// malformed config file): classified as "no credentials".
type setupError struct{ err error }

func (e *setupError) Error() string { return e.err.Error() }
func (e *setupError) Unwrap() error { return e.err }

func (p *provider) encrypt(ctx context.Context, arn, role, profile string, kctx map[string]string, plaintext []byte) ([]byte, error) {
	c, err := p.client(ctx, arn, role, profile)
	if err != nil {
		return nil, err
	}
	out, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(arn), Plaintext: plaintext, EncryptionContext: kctx})
	if err != nil {
		return nil, err
	}
	return out.CiphertextBlob, nil
}

func (p *provider) decrypt(ctx context.Context, arn, role, profile string, kctx map[string]string, blob []byte) ([]byte, error) {
	c, err := p.client(ctx, arn, role, profile)
	if err != nil {
		return nil, err
	}
	out, err := c.Decrypt(ctx, &kms.DecryptInput{KeyId: aws.String(arn), CiphertextBlob: blob, EncryptionContext: kctx})
	if err != nil {
		return nil, err
	}
	return out.Plaintext, nil
}

// sessionRE is sops's: characters outside it are removed from the host
// name in the STS session name. ("@-_" is a range, as in sops.)
var sessionRE = regexp.MustCompile("[^a-zA-Z0-9=,.@-_]+")

// sessionName is "sops@<host name>", sanitized and cut to 64 characters,
// as sops names its STS sessions (so that audit trails look the same).
func sessionName(hostname func() (string, error)) (string, error) {
	if hostname == nil {
		hostname = os.Hostname
	}
	h, err := hostname()
	if err != nil {
		return "", fmt.Errorf("naming the STS session: %v", err)
	}
	name := "sops@" + sessionRE.ReplaceAllString(h, "")
	if len(name) > 64 {
		name = name[:64]
	}
	return name, nil
}

// keyError classifies err into a *keysources.KeyError for arn.
func keyError(arn, op string, err error) error {
	var ke *keysources.KeyError
	if errors.As(err, &ke) {
		return err
	}
	class, cause := classify(err)
	return &keysources.KeyError{Type: Type, Key: arn, Op: op, Class: class, Err: cause}
}

// Error codes of the KMS and STS APIs, by class.
var (
	accessDeniedCodes = []string{"AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignature", "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredTokenException", "ExpiredToken", "InvalidGrantTokenException", "KMSInvalidSignatureException", "InvalidKeyUsageException"}
	notFoundCodes     = []string{"NotFoundException", "DisabledException", "KMSInvalidStateException"}
	throttleCodes     = []string{"ThrottlingException", "Throttling", "LimitExceededException", "RequestLimitExceeded", "TooManyRequestsException"}
	unavailableCodes  = []string{"KMSInternalException", "DependencyTimeoutException", "InternalFailure", "ServiceUnavailable", "InternalError"}
	ciphertextCodes   = []string{"InvalidCiphertextException", "IncorrectKeyException"}
)

// classify returns the class of err and a short cause: the API's code and
// message when there is one, else the error text.
func classify(err error) (error, error) {
	var setup *setupError
	var cred *credError
	var apiErr smithy.APIError
	switch {
	case errors.As(err, &cred):
		switch {
		case errors.As(err, &apiErr) && has(accessDeniedCodes, apiErr.ErrorCode()):
			// AssumeRole refused.
			return keysources.ErrAccessDenied, fmt.Errorf("%s: %s", apiErr.ErrorCode(), apiErr.ErrorMessage())
		case unreachable(cred.err):
			return keysources.ErrUnreachable, errors.New(shorten(err))
		}
		return keysources.ErrNoCredentials, errors.New(shorten(err))
	case errors.As(err, &apiErr):
		cause := fmt.Errorf("%s: %s", apiErr.ErrorCode(), apiErr.ErrorMessage())
		code := apiErr.ErrorCode()
		switch {
		case has(accessDeniedCodes, code):
			return keysources.ErrAccessDenied, cause
		case has(notFoundCodes, code):
			return keysources.ErrKeyNotFound, cause
		case has(throttleCodes, code):
			return keysources.ErrThrottled, cause
		case has(unavailableCodes, code):
			return keysources.ErrUnreachable, cause
		case has(ciphertextCodes, code):
			return keysources.ErrInvalidCiphertext, cause
		}
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
			return keysources.ErrUnreachable, cause
		}
		return nil, cause
	case errors.As(err, &setup):
		return keysources.ErrNoCredentials, err
	}
	var sign *v4.SigningError
	if errors.As(err, &sign) {
		if unreachable(err) {
			return keysources.ErrUnreachable, errors.New(shorten(err))
		}
		return keysources.ErrNoCredentials, errors.New(shorten(err))
	}
	if unreachable(err) {
		return keysources.ErrUnreachable, errors.New(shorten(err))
	}
	return nil, err
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func unreachable(err error) bool {
	var send *smithyhttp.RequestSendError
	var netErr net.Error
	var canceled *aws.RequestCanceledError
	var maxAttempts *retry.MaxAttemptsError
	return errors.As(err, &send) || errors.As(err, &netErr) || errors.As(err, &canceled) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		(errors.As(err, &maxAttempts) && !errors.As(err, new(smithy.APIError)))
}

// shorten drops the SDK's "operation error KMS: Decrypt, " prefix.
func shorten(err error) string {
	s := err.Error()
	if i := strings.Index(s, ", "); strings.HasPrefix(s, "operation error ") && i > 0 {
		s = s[i+2:]
	}
	return s
}
