package keyservice

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/hullsecrets/hull/internal/keyservice/pb"
	"github.com/hullsecrets/hull/metadata"
)

// Client sends requests to key services named by their URI
// (unix:///path/to.sock, tcp://host:port), connecting to each once.
type Client struct {
	// Now is the clock for created_at; nil is time.Now.
	Now func() time.Time
	// TLS, when set, gives the TLS settings of tcp services (mutual TLS
	// with hull keyservice; the sops server has none): nil settings keep
	// them in clear, an error fails each request to them. Unix sockets
	// never use TLS.
	TLS func() (*tls.Config, error)

	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
	clear map[string]bool // tcp services this client speaks to without TLS
}

// Close closes the connections.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cc := range c.conns {
		cc.Close()
	}
	c.conns = nil
	return nil
}

// ParseURI checks a key service URI as sops reads it: unix:///path, or
// network://host:port where network is tcp, tcp4 or tcp6. Its errors do
// not repeat the URI.
func ParseURI(uri string) (network, addr string, err error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", "", fmt.Errorf("not a URI: %v", err)
	}
	switch u.Scheme {
	case "unix":
		p := u.Path
		if p == "" {
			p = u.Opaque
		}
		if p == "" {
			return "", "", errors.New("no socket path: use unix:///path/to.sock")
		}
		return "unix", p, nil
	case "tcp", "tcp4", "tcp6":
		if u.Host == "" {
			return "", "", errors.New("no host:port: use tcp://127.0.0.1:5000")
		}
		return u.Scheme, u.Host, nil
	}
	return "", "", fmt.Errorf("unknown scheme %q: use unix:///path/to.sock or tcp://host:port", u.Scheme)
}

func (c *Client) service(uri string) (pb.KeyServiceClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cc := c.conns[uri]; cc != nil {
		return pb.NewKeyServiceClient(cc), nil
	}
	network, addr, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	dial := func(ctx context.Context, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	creds := insecure.NewCredentials()
	inClear := network == "tcp"
	if c.TLS != nil && network != "unix" {
		cfg, err := c.TLS()
		if err != nil {
			return nil, err
		}
		if cfg != nil {
			cfg = cfg.Clone()
			if host, _, err := net.SplitHostPort(addr); err == nil && cfg.ServerName == "" {
				cfg.ServerName = host
			}
			creds = credentials.NewTLS(cfg)
			inClear = false
		}
	}
	// The target is only a name: the dialer connects to addr.
	cc, err := grpc.NewClient("passthrough:///"+addr,
		grpc.WithTransportCredentials(creds),
		grpc.WithContextDialer(dial))
	if err != nil {
		return nil, err
	}
	if c.conns == nil {
		c.conns = map[string]*grpc.ClientConn{}
		c.clear = map[string]bool{}
	}
	c.conns[uri] = cc
	c.clear[uri] = inClear
	return pb.NewKeyServiceClient(cc), nil
}

// ServiceError is the failure of every key service asked.
type ServiceError struct {
	Op       string   // "encrypt" or "decrypt"
	Services []string // the URIs, in the order asked
	Errs     []error  // one per service
}

func (e *ServiceError) Error() string {
	parts := make([]string, len(e.Services))
	for i, s := range e.Services {
		parts[i] = fmt.Sprintf("key service %s: %v", s, e.Errs[i])
	}
	return strings.Join(parts, "; ")
}

// rpcError is the message of a failed call, without gRPC's "rpc error:
// code = … desc =" wrapping.
func rpcError(err error) error {
	if st, ok := status.FromError(err); ok {
		msg := st.Message()
		if i := strings.Index(msg, "Error while dialing: "); i >= 0 {
			msg = "cannot connect: " + strings.TrimSuffix(msg[i+len("Error while dialing: "):], "\"")
		}
		return errors.New(msg)
	}
	return err
}

// callError is rpcError, with a hint when a client in clear gets no
// HTTP/2 preface from a tcp service: that is what gRPC reports when the
// service wants TLS (a hull keyservice with mutual TLS).
func (c *Client) callError(uri string, err error) error {
	err = rpcError(err)
	c.mu.Lock()
	inClear := c.clear[uri]
	c.mu.Unlock()
	if inClear && strings.Contains(err.Error(), "server preface") {
		return fmt.Errorf("%w (if this key service uses mutual TLS, set HULL_KEYSERVICE_CA, HULL_KEYSERVICE_CLIENT_CERT and HULL_KEYSERVICE_CLIENT_KEY)", err)
	}
	return err
}

// Wrap asks the services, in order, to wrap dataKey for key (a stanza
// without enc, see KeyStanza); the first that succeeds answers. The
// stanza returned is key with enc, and created_at for the key types that
// have it.
func (c *Client) Wrap(ctx context.Context, services []string, key metadata.Stanza, dataKey []byte) (metadata.Stanza, error) {
	pk, err := StanzaKey(key)
	if err != nil {
		return metadata.Stanza{}, err
	}
	se := &ServiceError{Op: "encrypt"}
	for _, uri := range services {
		svc, err := c.service(uri)
		if err == nil {
			var rsp *pb.EncryptResponse
			rsp, err = svc.Encrypt(ctx, &pb.EncryptRequest{Key: pk, Plaintext: dataKey})
			if err == nil {
				st := metadata.Stanza{Type: key.Type, Fields: key.Fields.Clone()}
				if key.Type != typeAge {
					now := time.Now
					if c.Now != nil {
						now = c.Now
					}
					st.Set("created_at", now().UTC().Format(time.RFC3339))
				}
				st.Set("enc", string(rsp.GetCiphertext()))
				return st, nil
			}
			err = c.callError(uri, err)
		}
		se.Services = append(se.Services, uri)
		se.Errs = append(se.Errs, err)
	}
	return metadata.Stanza{}, se
}

// Unwrap asks the services, in order, to unwrap the stanza s; the first
// that succeeds answers.
func (c *Client) Unwrap(ctx context.Context, services []string, s metadata.Stanza) ([]byte, error) {
	pk, err := StanzaKey(s)
	if err != nil {
		return nil, err
	}
	se := &ServiceError{Op: "decrypt"}
	for _, uri := range services {
		svc, err := c.service(uri)
		if err == nil {
			var rsp *pb.DecryptResponse
			rsp, err = svc.Decrypt(ctx, &pb.DecryptRequest{Key: pk, Ciphertext: []byte(s.Get("enc"))})
			if err == nil {
				return rsp.GetPlaintext(), nil
			}
			err = c.callError(uri, err)
		}
		se.Services = append(se.Services, uri)
		se.Errs = append(se.Errs, err)
	}
	return nil, se
}
