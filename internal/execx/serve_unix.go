//go:build unix

package execx

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Served is a plaintext offered to a child at Path, inside the private
// directory Dir.
type Served struct {
	Dir  string
	Path string

	fifo    bool
	name    string
	content []byte
	owner   *Credential

	mu      sync.Mutex
	stopped bool
	cur     *os.File // the pipe being written, if any
	err     error    // the first serving failure
	done    chan struct{}
}

// closeWait bounds how long Close waits for the writer goroutine;
// lateOpenGrace is how long it keeps a write end open for a process that
// was opening the pipe as the child exited.
const (
	closeWait     = 5 * time.Second
	lateOpenGrace = 20 * time.Millisecond
)

// Serve makes a fresh private directory (mode 0700) under base and puts
// content at name in it: a named pipe (mode 0600) when fifo is true, else a
// regular file (mode 0600). The pipe is written once per open, so a child
// that reads the path twice gets the content twice; each open gets a fresh
// pipe, so a reader never sees two copies. Two opens at the very same
// moment may share one copy (or, in a window of microseconds, leave the
// second waiting for a writer until it is interrupted); a process that
// opens the pipe after the child exited reads nothing. name must pass
// [CheckFileName].
func Serve(base, name string, content []byte, opts ServeOptions) (*Served, error) {
	fifo := opts.FIFO
	if err := CheckFileName(name); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(base, ".hull-exec-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Served{Dir: dir, Path: filepath.Join(dir, name), fifo: fifo, name: name, content: content, owner: opts.Owner, done: make(chan struct{})}
	if err := s.chown(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if !fifo {
		close(s.done)
		if err := writeFile(s.Path, content); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	} else if err := syscall.Mkfifo(s.Path, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, &os.PathError{Op: "mkfifo", Path: s.Path, Err: err}
	}
	if err := s.chown(s.Path); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if fifo {
		go s.serve()
	}
	return s, nil
}

func writeFile(path string, content []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// serve writes the content to each reader of the pipe until Close.
func (s *Served) serve() {
	defer close(s.done)
	for {
		s.mu.Lock()
		stopped := s.stopped
		s.mu.Unlock()
		if stopped {
			return
		}
		// Blocks until a reader opens the pipe; Close opens it to end this.
		f, err := os.OpenFile(s.Path, os.O_WRONLY, 0)
		if err != nil {
			s.fail(err)
			return
		}
		s.mu.Lock()
		if s.stopped {
			s.mu.Unlock()
			f.Close()
			return
		}
		s.cur = f
		s.mu.Unlock()
		// Later opens get a new pipe, so that this reader sees EOF after
		// one copy even if it has not closed the pipe when we open again.
		rerr := s.renew()
		// A write error means the reader went away early, or Close
		// stopped a reader that does not read: neither is a failure.
		_, _ = f.Write(s.content)
		s.mu.Lock()
		s.cur = nil
		s.mu.Unlock()
		f.Close()
		if rerr != nil {
			s.fail(rerr)
			return
		}
	}
}

// renew replaces the pipe at Path with a new one.
func (s *Served) renew() error {
	tmp := filepath.Join(s.Dir, ".hull-next")
	if s.name == ".hull-next" {
		tmp += "-"
	}
	if err := syscall.Mkfifo(tmp, 0o600); err != nil {
		return &os.PathError{Op: "mkfifo", Path: tmp, Err: err}
	}
	if err := s.chown(tmp); err != nil {
		return err
	}
	return os.Rename(tmp, s.Path)
}

func (s *Served) chown(path string) error {
	if s.owner == nil {
		return nil
	}
	return os.Lchown(path, int(s.owner.UID), int(s.owner.GID))
}

// fail records a serving error and removes the pipe, so that a later open
// by the child fails at once instead of waiting for a writer forever.
func (s *Served) fail(err error) {
	s.mu.Lock()
	if s.err == nil && !s.stopped {
		s.err = err
	}
	s.mu.Unlock()
	os.Remove(s.Path)
}

// Close stops serving, without blocking on a child that holds the pipe
// open, and removes the directory. It returns a serving failure, if there
// was one, or the failure to remove the directory.
func (s *Served) Close() error {
	var rd *os.File
	if s.fifo {
		s.mu.Lock()
		s.stopped = true
		if s.cur != nil {
			s.cur.SetWriteDeadline(time.Now())
		}
		s.mu.Unlock()
		// Opening the pipe for reading (without blocking) releases a
		// writer waiting in open; it then sees stopped and returns.
		rd, _ = os.OpenFile(s.Path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		select {
		case <-s.done:
		case <-time.After(closeWait):
		}
		// A process that outlives the child may be opening the pipe now:
		// with no writer it would wait forever. Hold a write end (it gets
		// EOF), remove the path (later opens fail), then let go.
		var wr *os.File
		if rd != nil {
			wr, _ = os.OpenFile(s.Path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		}
		os.Remove(s.Path)
		if wr != nil {
			time.Sleep(lateOpenGrace)
			wr.Close()
		}
		if rd != nil {
			rd.Close()
		}
	}
	rmErr := os.RemoveAll(s.Dir)
	s.mu.Lock()
	err := s.err
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("serving %s: %w", s.name, err)
	}
	return rmErr
}
