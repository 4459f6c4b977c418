package export

import (
	"context"
	"errors"
	"os"
	"sync"
)

// fileSink appends ECS JSON lines to a file.
//
// Each line is written with one write(2) on a file opened O_APPEND, so
// it does not interleave with the lines of another process appending to
// the same file. Durability: the file is fsynced whenever
// the queue runs empty after writes, and at Close; a crash may lose the
// lines of the burst being written, never corrupt earlier ones. A failed
// write reopens the file (by its path, so a file rotated by renaming is
// followed at the next failure, not at once) and writes the line again.
type fileSink struct {
	path string

	mu sync.Mutex
	f  *os.File
}

// openFileSink opens path for appending, creating it (mode 0640).
func openFileSink(path string) (*fileSink, error) {
	s := &fileSink{path: path}
	if err := s.connect(context.Background()); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *fileSink) String() string { return s.path }

func (s *fileSink) connect(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f != nil {
		return nil
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return err
	}
	s.f = f
	return nil
}

func (s *fileSink) file() (*os.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil, errors.New("file not open")
	}
	return s.f, nil
}

func (s *fileSink) write(b []byte) error {
	f, err := s.file()
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	return err
}

func (s *fileSink) flush() error {
	f, err := s.file()
	if err != nil {
		return err
	}
	return f.Sync()
}

func (s *fileSink) disconnect() {
	s.mu.Lock()
	f := s.f
	s.f = nil
	s.mu.Unlock()
	if f != nil {
		f.Close()
	}
}

func (s *fileSink) close() error {
	s.mu.Lock()
	f := s.f
	s.f = nil
	s.mu.Unlock()
	if f == nil {
		return nil
	}
	err := f.Sync()
	return errors.Join(err, f.Close())
}
