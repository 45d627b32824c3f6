// Package companion runs the cloud key sources (AWS KMS, GCP Cloud KMS,
// Azure Key Vault) in a separate executable, hull-kms, so that hull itself
// links none of their SDKs: an age or PGP run starts in a fraction of the
// time. hull starts the companion only when a file's stanza, a creation
// rule or a flag names a cloud key, at most once per Client, the way age
// runs its plugins.
//
// The client side (Client, and its proxy Recipient and Identity) is what
// hull links; the server side (Serve) is what hull-kms runs, with the real
// key sources as Backends. Both sides are in this package so that the
// protocol is one piece of code, tested end to end over a pipe.
//
// # Protocol
//
// Version 1 (ProtocolVersion). The companion reads requests on its stdin
// and writes responses on its stdout, one JSON object per line (at most
// MaxLine bytes, "\n"-terminated). Credentials are never on the command
// line: the companion reads the cloud environment (AWS_*, GOOGLE_*,
// SOPS_GCP_KMS_*, AZURE_*) itself. A data key appears only in the pipe,
// base64-encoded.
//
//  1. Handshake. hull writes {"protocol":1,"hull":"<hull version>"}; the
//     companion answers {"protocol":1,"hull_kms":"<its version>",
//     "types":["kms","gcp_kms","azure_kv"]}. Both sides compare: a
//     different protocol, or (when hull gives one) a different version, is
//     an error naming both; the companion exits after answering when the
//     protocol differs.
//  2. Requests, each with an id unique in the session, answered in any
//     order (the companion serves them concurrently):
//     {"id":1,"op":"wrap","type":"kms","key":{…},"data_key":"<base64>"}
//     → {"id":1,"stanza":{"type":"kms","fields":[…]}}
//     {"id":2,"op":"unwrap","stanza":{"type":"kms","fields":[…]}}
//     → {"id":2,"data_key":"<base64>"}
//     {"id":3,"op":"cancel","cancel":2} cancels request 2 (no answer).
//     {"id":4,"op":"keyservice_wrap","services":["unix:///…"],
//     "stanza":{"type":"age","fields":[{"k":"recipient","v":"age1…"}]},
//     "data_key":"<base64>"} → {"id":4,"stanza":{…with enc}} and
//     {"id":5,"op":"keyservice_unwrap","services":[…],"stanza":{…}} →
//     {"id":5,"data_key":"<base64>"} go through sops key services (gRPC),
//     asked in order until one answers.
//     {"id":6,"op":"upload","type":"s3","bucket":"b","object":"k",
//     "data":"<base64>"} → {"id":6} stores a file in an S3 or GCS bucket
//     (hull publish). A file larger than one line carries goes in parts
//     (hull-kms's hello says "upload":2): {"id":7,"op":"upload_open",
//     "type":"s3","bucket":"b","object":"k","size":N} → {"id":7}, then
//     {"id":8,"op":"upload_part","upload":7,"offset":0,"data":"<base64>"}
//     → {"id":8} for each part in order, then {"id":9,"op":"upload_close",
//     "upload":7} → {"id":9} once the object is stored;
//     {"op":"upload_abort","upload":7} gives up.
//     A failure is {"id":N,"error":{"class":…,"type":…,"key":…,"op":…,
//     "message":…}}; class is one of the Class… constants ("" when the
//     failure has none); "incorrect_identity" means "not my stanza".
//  3. hull closes the companion's stdin; the companion finishes the
//     requests in flight and exits 0.
//
// The key of a wrap request is the key's JSON as cloudkey writes it:
// kms {"arn","role","context","aws_profile"}, gcp_kms {"resource_id"},
// azure_kv {"vault_url","name","version"}. Stanza fields are an ordered
// list of {"k":name,"v":string} or {"k":name,"m":[…]} for a nested
// mapping (the kms encryption context).
//
// Adding a request type is one more op; adding a key type is one more
// Backend in hull-kms.
package companion

import (
	"errors"
	"fmt"

	"github.com/hullsecrets/hull/formats"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// ProtocolVersion is the version of the protocol this package speaks.
const ProtocolVersion = 1

// Env lists the variables hull-kms reads itself (the SDKs read more: the
// AWS credentials chain and Azure's DefaultAzureCredential read the
// process environment). hull passes its own values of these.
var Env = []string{
	"GOOGLE_CREDENTIALS", "GOOGLE_OAUTH_ACCESS_TOKEN",
	"SOPS_GCP_KMS_ENDPOINT", "SOPS_GCP_KMS_UNIVERSE_DOMAIN", "SOPS_GCP_KMS_CLIENT_TYPE",
	EnvTLSCA, EnvTLSClientCert, EnvTLSClientKey,
}

// The files of mutual TLS between hull and hull keyservice on tcp (PEM).
// The client (hull-kms for hull): the CA of the server's certificate, and
// its own certificate and key. The server (hull keyservice): its
// certificate and key, and the CA of the clients' certificates.
const (
	EnvTLSCA         = "HULL_KEYSERVICE_CA"
	EnvTLSClientCert = "HULL_KEYSERVICE_CLIENT_CERT"
	EnvTLSClientKey  = "HULL_KEYSERVICE_CLIENT_KEY"
	EnvTLSCert       = "HULL_KEYSERVICE_CERT"
	EnvTLSKey        = "HULL_KEYSERVICE_KEY"
	EnvTLSClientCA   = "HULL_KEYSERVICE_CLIENT_CA"
)

// MaxLine bounds one message (a line of JSON).
const MaxLine = 1 << 20

// hello is the handshake, both ways.
type hello struct {
	Protocol int      `json:"protocol"`
	Hull     string   `json:"hull,omitempty"`
	HullKMS  string   `json:"hull_kms,omitempty"`
	Types    []string `json:"types,omitempty"`
	// Upload is the version of the upload requests hull-kms takes
	// (UploadVersion); absent, 1.
	Upload int `json:"upload,omitempty"`
}

// request is one message from hull to the companion.
type request struct {
	ID      uint64      `json:"id"`
	Op      string      `json:"op"`
	Type    string      `json:"type,omitempty"`
	RawKey  rawJSON     `json:"key,omitempty"`
	DataKey []byte      `json:"data_key,omitempty"`
	Stanza  *wireStanza `json:"stanza,omitempty"`
	Cancel  uint64      `json:"cancel,omitempty"`
	// Services are the key service URIs of a keyservice_* request.
	Services []string `json:"services,omitempty"`
	// Bucket, Object and Data are an upload request's (Type is s3 or gcs);
	// Size an upload_open's; Upload (the id of the upload_open) and
	// Offset an upload_part's, upload_close's and upload_abort's.
	Bucket string `json:"bucket,omitempty"`
	Object string `json:"object,omitempty"`
	Data   []byte `json:"data,omitempty"`
	Size   int64  `json:"size,omitempty"`
	Upload uint64 `json:"upload,omitempty"`
	Offset int64  `json:"offset,omitempty"`
}

// The ops of the key service requests.
const (
	opKeyServiceWrap   = "keyservice_wrap"
	opKeyServiceUnwrap = "keyservice_unwrap"
)

// response is one message from the companion to hull.
type response struct {
	ID      uint64      `json:"id"`
	Stanza  *wireStanza `json:"stanza,omitempty"`
	DataKey []byte      `json:"data_key,omitempty"`
	Error   *wireError  `json:"error,omitempty"`
}

// rawJSON is a JSON value kept as is.
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

func (r *rawJSON) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}

type wireStanza struct {
	Type   string      `json:"type"`
	Fields []wireField `json:"fields"`
}

type wireField struct {
	K string      `json:"k"`
	V string      `json:"v,omitempty"`
	M []wireField `json:"m,omitempty"`
	// IsMap tells an empty nested mapping from an empty string.
	IsMap bool `json:"map,omitempty"`
}

func fieldsToWire(n *formats.Node) []wireField {
	if n == nil {
		return nil
	}
	out := make([]wireField, 0, len(n.Children))
	for _, c := range n.Children {
		switch c.Kind {
		case formats.Scalar:
			out = append(out, wireField{K: c.Key, V: c.Value})
		case formats.Mapping:
			out = append(out, wireField{K: c.Key, M: fieldsToWire(c), IsMap: true})
		}
	}
	return out
}

func fieldsFromWire(fs []wireField) *formats.Node {
	n := formats.NewMapping()
	for _, f := range fs {
		if f.IsMap || f.M != nil {
			m := fieldsFromWire(f.M)
			m.Key = f.K
			n.Children = append(n.Children, m)
			continue
		}
		n.Children = append(n.Children, formats.NewString(f.K, f.V))
	}
	return n
}

func stanzaToWire(s metadata.Stanza) *wireStanza {
	return &wireStanza{Type: s.Type, Fields: fieldsToWire(s.Fields)}
}

func stanzaFromWire(w *wireStanza) metadata.Stanza {
	return metadata.Stanza{Type: w.Type, Fields: fieldsFromWire(w.Fields)}
}

// The failure classes on the wire, one per class of package keysources.
const (
	ClassIncorrectIdentity  = "incorrect_identity"
	ClassNoCredentials      = "no_credentials"
	ClassAccessDenied       = "access_denied"
	ClassKeyNotFound        = "key_not_found"
	ClassUnreachable        = "unreachable"
	ClassThrottled          = "throttled"
	ClassInvalidCiphertext  = "invalid_ciphertext"
	ClassEndpointNotAllowed = "endpoint_not_allowed"
)

var classes = []struct {
	name string
	err  error
}{
	{ClassIncorrectIdentity, keysources.ErrIncorrectIdentity},
	{ClassNoCredentials, keysources.ErrNoCredentials},
	{ClassAccessDenied, keysources.ErrAccessDenied},
	{ClassKeyNotFound, keysources.ErrKeyNotFound},
	{ClassUnreachable, keysources.ErrUnreachable},
	{ClassThrottled, keysources.ErrThrottled},
	{ClassInvalidCiphertext, keysources.ErrInvalidCiphertext},
	{ClassEndpointNotAllowed, keysources.ErrEndpointNotAllowed},
}

func classErr(name string) error {
	for _, c := range classes {
		if c.name == name {
			return c.err
		}
	}
	return nil
}

func className(err error) string {
	for _, c := range classes {
		if err == c.err {
			return c.name
		}
	}
	return ""
}

type wireError struct {
	Class   string `json:"class,omitempty"`
	Type    string `json:"type,omitempty"`
	Key     string `json:"key,omitempty"`
	Op      string `json:"op,omitempty"`
	Message string `json:"message,omitempty"`
}

// errorToWire turns an error of a key source into its wire form: a
// *keysources.KeyError keeps its fields, ErrIncorrectIdentity its class.
func errorToWire(err error) *wireError {
	if errors.Is(err, keysources.ErrIncorrectIdentity) {
		return &wireError{Class: ClassIncorrectIdentity}
	}
	var ke *keysources.KeyError
	if errors.As(err, &ke) {
		w := &wireError{Class: className(ke.Class), Type: ke.Type, Key: ke.Key, Op: ke.Op}
		if ke.Err != nil {
			w.Message = ke.Err.Error()
		}
		return w
	}
	return &wireError{Message: err.Error()}
}

// remoteError is the cause of a failure the companion reported.
type remoteError struct{ msg string }

func (e *remoteError) Error() string { return e.msg }

// errorFromWire rebuilds the error: a *keysources.KeyError when the
// companion sent one, with the same text and class.
func errorFromWire(w *wireError, typ, key, op string) error {
	class := classErr(w.Class)
	if class == keysources.ErrIncorrectIdentity {
		return keysources.ErrIncorrectIdentity
	}
	var cause error
	if w.Message != "" {
		cause = &remoteError{w.Message}
	}
	if w.Type == "" && w.Key == "" && class == nil {
		// Not a KeyError in the companion: name the key here.
		return &keysources.KeyError{Type: typ, Key: key, Op: op, Err: cause}
	}
	return &keysources.KeyError{Type: w.Type, Key: w.Key, Op: w.Op, Class: class, Err: cause}
}

// versionError is a companion that speaks another protocol or is of
// another version.
func versionError(path string, theirs hello, ourProtocol int, ourVersion, hint string) error {
	return fmt.Errorf("%w: %s is hull-kms %s (protocol %d), this hull is %s (protocol %d)%s",
		ErrMismatch, path, orUnknown(theirs.HullKMS), theirs.Protocol, orUnknown(ourVersion), ourProtocol, hint)
}

func orUnknown(v string) string {
	if v == "" {
		return "of unknown version"
	}
	return v
}
