package keyservice

import (
	"context"
	"errors"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hullsecrets/hull/internal/keyservice/pb"
	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// Server answers the key service's Encrypt and Decrypt requests with the
// key sources and identities it is given.
type Server struct {
	pb.UnimplementedKeyServiceServer
	// Recipient makes the recipient of a key, given as a stanza without
	// enc (see KeyStanza).
	Recipient func(key metadata.Stanza) (keysources.Recipient, error)
	// Identities unwrap the stanzas of Decrypt requests, tried in order.
	Identities []keysources.Identity
	// Log receives one line per request: the operation, the key type and
	// id, and the result (never key material). nil discards.
	Log func(line string)
	// Confirm, if set, is asked before a request is answered (sops's
	// --prompt); false or an error refuses it.
	Confirm func(op string, key string) (bool, error)
}

func (s *Server) log(op string, key metadata.Stanza, err error) {
	if s.Log == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "failed: " + err.Error()
	}
	s.Log(fmt.Sprintf("%s %s: %s", op, describe(key), result))
}

func (s *Server) confirm(op string, key metadata.Stanza) error {
	if s.Confirm == nil {
		return nil
	}
	ok, err := s.Confirm(op, describe(key))
	if err != nil {
		return status.Errorf(codes.PermissionDenied, "confirming the request: %v", err)
	}
	if !ok {
		return status.Error(codes.PermissionDenied, "Request rejected by user")
	}
	return nil
}

// Encrypt wraps the plaintext (a data key or a Shamir share) for the key.
func (s *Server) Encrypt(ctx context.Context, req *pb.EncryptRequest) (*pb.EncryptResponse, error) {
	key, err := KeyStanza(req.GetKey())
	if err != nil {
		s.log("encrypt", metadata.Stanza{Type: "unknown"}, err)
		return nil, status.Error(codes.NotFound, err.Error())
	}
	if err := s.confirm("encrypt", key); err != nil {
		s.log("encrypt", key, err)
		return nil, err
	}
	enc, err := s.encrypt(ctx, key, req.GetPlaintext())
	s.log("encrypt", key, err)
	if err != nil {
		return nil, status.Error(codes.Unknown, err.Error())
	}
	return &pb.EncryptResponse{Ciphertext: []byte(enc)}, nil
}

type contextRecipient interface {
	WrapContext(ctx context.Context, dataKey []byte) (metadata.Stanza, error)
}

func (s *Server) encrypt(ctx context.Context, key metadata.Stanza, plaintext []byte) (string, error) {
	if s.Recipient == nil {
		return "", fmt.Errorf("this key service does not encrypt")
	}
	r, err := s.Recipient(key)
	if err != nil {
		return "", err
	}
	var st metadata.Stanza
	if cr, ok := r.(contextRecipient); ok {
		st, err = cr.WrapContext(ctx, plaintext)
	} else {
		st, err = r.Wrap(plaintext)
	}
	if err != nil {
		return "", err
	}
	return st.Get("enc"), nil
}

// Decrypt unwraps the ciphertext (a stanza's enc) with the first identity
// that holds the key.
func (s *Server) Decrypt(ctx context.Context, req *pb.DecryptRequest) (*pb.DecryptResponse, error) {
	key, err := KeyStanza(req.GetKey())
	if err != nil {
		s.log("decrypt", metadata.Stanza{Type: "unknown"}, err)
		return nil, status.Error(codes.NotFound, err.Error())
	}
	if err := s.confirm("decrypt", key); err != nil {
		s.log("decrypt", key, err)
		return nil, err
	}
	st := metadata.Stanza{Type: key.Type, Fields: key.Fields.Clone()}
	st.Set("enc", string(req.GetCiphertext()))
	plain, err := s.decrypt(ctx, st)
	s.log("decrypt", key, err)
	if err != nil {
		code := codes.Unknown
		if errors.Is(err, errNoIdentity) {
			code = codes.NotFound
		}
		return nil, status.Error(code, err.Error())
	}
	return &pb.DecryptResponse{Plaintext: plain}, nil
}

var errNoIdentity = errors.New("this key service holds no identity for the key")

func (s *Server) decrypt(ctx context.Context, st metadata.Stanza) ([]byte, error) {
	for _, id := range s.Identities {
		var key []byte
		var err error
		if ci, ok := id.(keysources.ContextIdentity); ok {
			key, err = ci.UnwrapContext(ctx, st)
		} else {
			key, err = id.Unwrap(st)
		}
		if errors.Is(err, keysources.ErrIncorrectIdentity) {
			continue
		}
		return key, err
	}
	return nil, fmt.Errorf("%w (%s)", errNoIdentity, describe(st))
}

// Serve answers requests on l until it is closed or ctx is done; it then
// stops the server gracefully.
func Serve(ctx context.Context, l net.Listener, s *Server, opts ...grpc.ServerOption) error {
	g := grpc.NewServer(opts...)
	pb.RegisterKeyServiceServer(g, s)
	stop := context.AfterFunc(ctx, g.GracefulStop)
	defer stop()
	err := g.Serve(l)
	if ctx.Err() != nil || errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}
