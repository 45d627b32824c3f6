package companion

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"time"

	"github.com/hullsecrets/hull/keysources"
	"github.com/hullsecrets/hull/metadata"
)

// HandshakeTimeout bounds the wait for the companion's answer to the
// handshake, which it sends before anything of the cloud SDKs is set up.
var HandshakeTimeout = 10 * time.Second

// Name is the companion's executable name.
const Name = "hull-kms"

// ErrNotInstalled: the companion could not be found or started.
var ErrNotInstalled = keysources.Classed("hull-kms is not installed", keysources.ErrHelperUnavailable)

// ErrMismatch: the companion is of another version or speaks another
// protocol.
var ErrMismatch = keysources.Classed("hull-kms does not match this hull", keysources.ErrHelperUnavailable)

// Config says how to start the companion.
type Config struct {
	// Find returns the path of the companion; it runs when the companion
	// is first needed. nil looks Name up in PATH.
	Find func() (string, error)
	// Env is the companion's environment; nil is the process's.
	Env []string
	// Version is hull's version, sent in the handshake; the companion must
	// be of the same version. "" accepts any version of the protocol.
	Version string
	// Hint ends the errors that ask to install the companion (", or …").
	Hint string
	// Stderr receives the companion's standard error; nil discards it.
	Stderr io.Writer
}

// Client starts the companion on its first request, at most once, and
// sends it requests, concurrently. The zero value is not usable: call New.
type Client struct {
	// config returns the configuration; it is called once, when the
	// companion is first started, and its result is kept in cfg.
	config func() Config
	cfg    Config

	once     sync.Once
	startErr error
	path     string
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	done     chan struct{} // closed when the reader stops
	readErr  error
	// uploadVersion is the version of the upload requests the
	// companion takes (its hello's "upload").
	uploadVersion int

	wmu sync.Mutex // serialises writes to stdin

	mu      sync.Mutex
	nextID  uint64
	pending map[uint64]chan response
	closed  bool
}

// New returns a client; nothing is started until a request.
func New(cfg Config) *Client {
	return NewLazy(func() Config { return cfg })
}

// NewLazy returns a client whose configuration is made by config when the
// companion is first started, so that a run that needs no cloud key
// source pays nothing for it (finding the executable, reading the build
// information, filtering the environment).
func NewLazy(config func() Config) *Client {
	return &Client{config: config, pending: map[uint64]chan response{}}
}

// Started reports whether the companion was started (or tried to be).
func (c *Client) Started() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.path != "" || c.startErr != nil
}

func (c *Client) start() error {
	c.once.Do(func() {
		err := c.doStart()
		c.mu.Lock()
		c.startErr = err
		c.mu.Unlock()
	})
	return c.startErr
}

func (c *Client) doStart() error {
	c.cfg = c.config()
	find := c.cfg.Find
	if find == nil {
		find = func() (string, error) { return exec.LookPath(Name) }
	}
	path, err := find()
	if err != nil {
		return fmt.Errorf("%w: %v%s", ErrNotInstalled, err, c.cfg.Hint)
	}
	cmd := exec.Command(path)
	cmd.Env = c.cfg.Env
	cmd.Stderr = c.cfg.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: starting %s: %v%s", ErrNotInstalled, path, err, c.cfg.Hint)
	}
	c.mu.Lock()
	c.path, c.cmd, c.stdin = path, cmd, stdin
	c.mu.Unlock()
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	fail := func(err error) error {
		stdin.Close()
		cmd.Wait()
		return err
	}
	if err := writeLine(stdin, hello{Protocol: ProtocolVersion, Hull: c.cfg.Version}); err != nil {
		// A program that exits at once closes its end before or after
		// the hello is written: either way it did not answer.
		return fail(fmt.Errorf("%w: %s did not answer the handshake (%v); is it hull-kms?%s", ErrMismatch, path, err, c.cfg.Hint))
	}
	var h hello
	scanned := make(chan bool, 1)
	go func() { scanned <- sc.Scan() }()
	var ok bool
	select {
	case ok = <-scanned:
	case <-time.After(HandshakeTimeout):
		cmd.Process.Kill()
		<-scanned
		return fail(fmt.Errorf("%w: %s did not answer the handshake within %v; is it hull-kms?%s", ErrMismatch, path, HandshakeTimeout, c.cfg.Hint))
	}
	if !ok {
		err := sc.Err()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return fail(fmt.Errorf("%w: %s did not answer the handshake (%v); is it hull-kms?%s", ErrMismatch, path, err, c.cfg.Hint))
	}
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Protocol == 0 {
		return fail(fmt.Errorf("%w: %s answered the handshake with something else than hull-kms's hello; is it hull-kms?%s", ErrMismatch, path, c.cfg.Hint))
	}
	if h.Protocol != ProtocolVersion || (c.cfg.Version != "" && h.HullKMS != c.cfg.Version) {
		return fail(versionError(path, h, ProtocolVersion, c.cfg.Version, c.cfg.Hint))
	}
	c.uploadVersion = max(h.Upload, 1)
	c.done = make(chan struct{})
	go c.read(sc)
	return nil
}

// read dispatches the responses until the companion's stdout ends.
func (c *Client) read(sc *bufio.Scanner) {
	defer close(c.done)
	for sc.Scan() {
		var r response
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			c.readErr = fmt.Errorf("hull-kms sent a malformed response: %v", err)
			break
		}
		c.mu.Lock()
		ch := c.pending[r.ID]
		delete(c.pending, r.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
	if c.readErr == nil {
		c.readErr = sc.Err()
	}
	if c.readErr == nil {
		c.readErr = errors.New("hull-kms exited")
	}
	c.mu.Lock()
	for id, ch := range c.pending {
		close(ch)
		delete(c.pending, id)
	}
	c.closed = true
	c.mu.Unlock()
}

// call sends a request and waits for its response or ctx.
func (c *Client) call(ctx context.Context, req request) (response, error) {
	if err := c.start(); err != nil {
		return response{}, err
	}
	ch := make(chan response, 1)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return response{}, c.readErr
	}
	c.nextID++
	req.ID = c.nextID
	c.pending[req.ID] = ch
	c.mu.Unlock()
	if err := c.write(req); err != nil {
		c.mu.Lock()
		delete(c.pending, req.ID)
		c.mu.Unlock()
		return response{}, fmt.Errorf("sending to hull-kms: %v", err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return response{}, c.readErr
		}
		return r, nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, req.ID)
		c.mu.Unlock()
		c.write(request{Op: "cancel", Cancel: req.ID})
		return response{}, ctx.Err()
	}
}

// send sends a request whose answer nobody waits for.
func (c *Client) send(req request) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.nextID++
	req.ID = c.nextID
	c.mu.Unlock()
	c.write(req)
}

func (c *Client) write(req request) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return writeLine(c.stdin, req)
}

func writeLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Close ends the companion, if it was started: it closes its stdin and
// waits for it to exit.
func (c *Client) Close() error {
	c.mu.Lock()
	cmd, stdin := c.cmd, c.stdin
	c.cmd = nil
	c.mu.Unlock()
	if cmd == nil {
		return nil
	}
	stdin.Close()
	if c.done != nil {
		<-c.done
	}
	return cmd.Wait()
}

// wrap asks the companion to wrap dataKey for key (of type typ).
func (c *Client) wrap(ctx context.Context, typ, name string, key any, dataKey []byte) (metadata.Stanza, error) {
	raw, err := json.Marshal(key)
	if err != nil {
		return metadata.Stanza{}, err
	}
	r, err := c.call(ctx, request{Op: "wrap", Type: typ, RawKey: raw, DataKey: dataKey})
	if err != nil {
		return metadata.Stanza{}, &keysources.KeyError{Type: typ, Key: name, Op: "wrap", Err: err}
	}
	if r.Error != nil {
		return metadata.Stanza{}, errorFromWire(r.Error, typ, name, "wrap")
	}
	if r.Stanza == nil || r.Stanza.Type != typ {
		return metadata.Stanza{}, &keysources.KeyError{Type: typ, Key: name, Op: "wrap", Err: errors.New("hull-kms answered without a stanza of this type")}
	}
	return stanzaFromWire(r.Stanza), nil
}

// unwrap asks the companion to unwrap s; name names the key in errors.
func (c *Client) unwrap(ctx context.Context, s metadata.Stanza, name string) ([]byte, error) {
	r, err := c.call(ctx, request{Op: "unwrap", Stanza: stanzaToWire(s)})
	if err != nil {
		return nil, &keysources.KeyError{Type: s.Type, Key: name, Op: "unwrap", Err: err}
	}
	if r.Error != nil {
		return nil, errorFromWire(r.Error, s.Type, name, "unwrap")
	}
	if len(r.DataKey) == 0 {
		return nil, &keysources.KeyError{Type: s.Type, Key: name, Op: "unwrap", Err: errors.New("hull-kms answered without a data key")}
	}
	return r.DataKey, nil
}
