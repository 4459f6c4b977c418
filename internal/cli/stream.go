package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"harborwatch/analysis"
	"harborwatch/sink/jsonl"
)

// streams are the JSON-lines outputs a run writes as it goes: --events,
// --findings and --flows. Each is a file ("-" is standard output) written
// through a buffer while the capture is read, so nothing of it waits in
// memory for the end of the run.
type streams struct {
	w     *jsonl.Writer
	files []*os.File
	bufs  []*bufio.Writer
	names []string
	want  streamFiles
}

// streamFiles names the files of the streams; "" is a stream not
// written, "-" standard output.
type streamFiles struct {
	events, findings, flows, observations string
}

// openStreams creates the files named. On error, the files already
// created are closed.
func openStreams(e *env, names streamFiles) (*streams, error) {
	s := &streams{}
	open := func(path string) (io.Writer, error) {
		if path == "" {
			return nil, nil
		}
		var out io.Writer = e.stdout
		var f *os.File
		if path != "-" {
			var err error
			if f, err = os.Create(path); err != nil {
				return nil, err
			}
			out = f
		}
		bw := bufio.NewWriterSize(out, 256<<10)
		s.files = append(s.files, f)
		s.bufs = append(s.bufs, bw)
		s.names = append(s.names, path)
		return bw, nil
	}
	var w jsonl.Streams
	for _, x := range []struct {
		path string
		to   *io.Writer
	}{{names.events, &w.Events}, {names.findings, &w.Findings}, {names.flows, &w.Flows}, {names.observations, &w.Observations}} {
		out, err := open(x.path)
		if err != nil {
			s.close()
			return nil, err
		}
		*x.to = out
	}
	if len(s.bufs) > 0 {
		s.w = jsonl.New(w)
	}
	s.want = names
	return s, nil
}

// options sets the run's Sink and what it asks for.
func (s *streams) options(o *analysis.Options, files []string) {
	if s.w == nil {
		return
	}
	s.w.Captures(files)
	o.Sink = s.w
	o.Events, o.Findings = s.want.events != "", s.want.findings != ""
	o.Flows, o.Observations = s.want.flows != "", s.want.observations != ""
}

// close flushes and closes every stream, and returns the first error of
// writing any of them, naming the file.
func (s *streams) close() error {
	var errs []error
	if s.w != nil && s.w.Err() != nil {
		errs = append(errs, fmt.Errorf("write %s: %w", joinNames(s.names), s.w.Err()))
	}
	for i, bw := range s.bufs {
		if err := bw.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("write %s: %w", s.names[i], err))
		}
		if f := s.files[i]; f != nil {
			if err := f.Close(); err != nil {
				errs = append(errs, fmt.Errorf("write %s: %w", s.names[i], err))
			}
		}
	}
	s.bufs, s.files = nil, nil
	return errors.Join(errs...)
}

func joinNames(names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}
