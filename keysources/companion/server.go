package companion

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// Backend is one key type as the companion runs it.
type Backend struct {
	// Recipient makes the recipient of a key given as its JSON (see the
	// protocol in the package documentation).
	Recipient func(key []byte) (keysources.Recipient, error)
	// Identity unwraps the stanzas of the type.
	Identity keysources.Identity
}

type contextRecipient interface {
	WrapContext(ctx context.Context, dataKey []byte) (metadata.Stanza, error)
}

// KeyServices does the requests of hull's --keyservice in the companion:
// wrapping and unwrapping through sops key services, asked in order.
type KeyServices interface {
	// Wrap wraps dataKey for key (a stanza without enc) and returns the
	// stanza with enc (and created_at).
	Wrap(ctx context.Context, services []string, key metadata.Stanza, dataKey []byte) (metadata.Stanza, error)
	// Unwrap unwraps the stanza s.
	Unwrap(ctx context.Context, services []string, s metadata.Stanza) ([]byte, error)
}

// Serve answers hull's requests read from in on out until in ends, with
// backends by stanza type; version is the companion's version. It returns
// nil at the end of in, after the requests in flight are answered.
func Serve(in io.Reader, out io.Writer, version string, backends map[string]Backend) error {
	return ServeWith(in, out, version, backends, nil)
}

// ServeWith is Serve that also answers the key service requests with ks
// (nil: they fail).
func ServeWith(in io.Reader, out io.Writer, version string, backends map[string]Backend, ks KeyServices) error {
	return ServeUploads(in, out, version, backends, ks, nil)
}

// ServeUploads is ServeWith that also answers upload requests with up
// (nil: they fail).
func ServeUploads(in io.Reader, out io.Writer, version string, backends map[string]Backend, ks KeyServices, up Uploader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	if !sc.Scan() {
		return sc.Err()
	}
	var h hello
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
		return fmt.Errorf("reading the handshake: %v", err)
	}
	types := make([]string, 0, len(backends))
	for t := range backends {
		types = append(types, t)
	}
	sort.Strings(types)
	var wmu sync.Mutex
	send := func(v any) error {
		wmu.Lock()
		defer wmu.Unlock()
		return writeLine(out, v)
	}
	hi := hello{Protocol: ProtocolVersion, HullKMS: version, Types: types}
	if up != nil {
		hi.Upload = UploadVersion
	}
	if err := send(hi); err != nil {
		return err
	}
	if h.Protocol != ProtocolVersion {
		return fmt.Errorf("hull speaks protocol %d, this hull-kms %d", h.Protocol, ProtocolVersion)
	}

	s := &server{backends: backends, ks: ks, up: up, recipients: map[string]keysources.Recipient{}, cancels: map[uint64]context.CancelFunc{}, uploads: map[uint64]*openUpload{}}
	var wg sync.WaitGroup
	for sc.Scan() {
		var req request
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			wg.Wait()
			return fmt.Errorf("malformed request: %v", err)
		}
		if req.Op == "cancel" {
			s.cancel(req.Cancel)
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		s.mu.Lock()
		s.cancels[req.ID] = cancel
		s.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := s.handle(ctx, req)
			s.mu.Lock()
			delete(s.cancels, req.ID)
			s.mu.Unlock()
			cancel()
			send(resp)
			clear(resp.DataKey)
		}()
	}
	wg.Wait()
	return sc.Err()
}

type server struct {
	backends map[string]Backend
	ks       KeyServices
	up       Uploader

	mu         sync.Mutex
	recipients map[string]keysources.Recipient // by type and key JSON: clients are reused
	cancels    map[uint64]context.CancelFunc
	uploads    map[uint64]*openUpload // by the id of their upload_open
	held       int                    // the bytes the open uploads reserved
}

func (s *server) cancel(id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cancels[id]; c != nil {
		c()
	}
}

func (s *server) handle(ctx context.Context, req request) response {
	defer clear(req.DataKey)
	fail := func(err error) response { return response{ID: req.ID, Error: errorToWire(err)} }
	switch req.Op {
	case opUpload, opUploadOpen, opUploadPart, opUploadClose, opUploadAbort:
		return s.upload(ctx, req)
	case "wrap":
		b, ok := s.backends[req.Type]
		if !ok {
			return fail(fmt.Errorf("hull-kms does not run %q keys", req.Type))
		}
		r, err := s.recipient(b, req.Type, req.RawKey)
		if err != nil {
			return fail(err)
		}
		var st metadata.Stanza
		if cr, ok := r.(contextRecipient); ok {
			st, err = cr.WrapContext(ctx, req.DataKey)
		} else {
			st, err = r.Wrap(req.DataKey)
		}
		if err != nil {
			return fail(err)
		}
		return response{ID: req.ID, Stanza: stanzaToWire(st)}
	case "unwrap":
		if req.Stanza == nil {
			return fail(errors.New("unwrap request without a stanza"))
		}
		b, ok := s.backends[req.Stanza.Type]
		if !ok {
			return fail(keysources.ErrIncorrectIdentity)
		}
		st := stanzaFromWire(req.Stanza)
		var key []byte
		var err error
		if ci, ok := b.Identity.(keysources.ContextIdentity); ok {
			key, err = ci.UnwrapContext(ctx, st)
		} else {
			key, err = b.Identity.Unwrap(st)
		}
		if err != nil {
			return fail(err)
		}
		return response{ID: req.ID, DataKey: key}
	case opKeyServiceWrap, opKeyServiceUnwrap:
		if s.ks == nil {
			return fail(errors.New("this hull-kms has no key service client"))
		}
		if req.Stanza == nil || len(req.Services) == 0 {
			return fail(errors.New("key service request without a stanza or a service"))
		}
		st := stanzaFromWire(req.Stanza)
		if req.Op == opKeyServiceWrap {
			w, err := s.ks.Wrap(ctx, req.Services, st, req.DataKey)
			if err != nil {
				return fail(err)
			}
			return response{ID: req.ID, Stanza: stanzaToWire(w)}
		}
		key, err := s.ks.Unwrap(ctx, req.Services, st)
		if err != nil {
			return fail(err)
		}
		return response{ID: req.ID, DataKey: key}
	}
	return fail(fmt.Errorf("unknown request %q: this hull-kms speaks protocol %d", req.Op, ProtocolVersion))
}

func (s *server) recipient(b Backend, typ string, key []byte) (keysources.Recipient, error) {
	k := typ + "\x00" + string(key)
	s.mu.Lock()
	r := s.recipients[k]
	s.mu.Unlock()
	if r != nil {
		return r, nil
	}
	r, err := b.Recipient(key)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.recipients[k] = r
	s.mu.Unlock()
	return r, nil
}
