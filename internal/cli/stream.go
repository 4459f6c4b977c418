package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"harborwatch/analysis"
	"harborwatch/sink/jsonl"
)

// streams are the JSON-lines outputs a run writes as it goes: --events,
// --findings, --flows and --observations. Each is an output ("-" is
// standard output) written through a buffer while the capture is read, so
// nothing of it waits in memory for the end of the run; a file is put in
// place when the stream is closed (see outputs).
type streams struct {
	w     *jsonl.Writer
	files []*outFile
	bufs  []*bufio.Writer
	want  streamFiles
}

// streamFiles names the files of the streams; "" is a stream not
// written, "-" standard output.
type streamFiles struct {
	events, findings, flows, observations string
}

// openStreams creates the outputs named, checking their paths (see
// outputs.create). On error, the outputs already created are dropped.
func openStreams(outs *outputs, names streamFiles) (*streams, error) {
	s := &streams{}
	var w jsonl.Streams
	for _, x := range []struct {
		flag, path string
		to         *io.Writer
	}{{"events", names.events, &w.Events}, {"findings", names.findings, &w.Findings}, {"flows", names.flows, &w.Flows}, {"observations", names.observations, &w.Observations}} {
		f, err := outs.create(x.flag, x.path)
		if err != nil {
			for _, f := range s.files {
				f.abort()
			}
			return nil, err
		}
		if f == nil {
			continue
		}
		bw := bufio.NewWriterSize(f, 256<<10)
		s.files = append(s.files, f)
		s.bufs = append(s.bufs, bw)
		*x.to = bw
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

// close flushes every stream and puts its file in place, and returns the
// errors of writing any of them, naming the file. When one stream fails
// the writer stops them all: then none is put in place, and each file
// written before is left as it was.
func (s *streams) close() error {
	var werr error
	if s.w != nil {
		werr = s.w.Err()
	}
	var errs []error
	for i, bw := range s.bufs {
		f := s.files[i]
		bw.Flush() // an error is kept by f
		if werr != nil && f.err == nil {
			f.err = fmt.Errorf("stopped with the other streams: %w", werr)
		}
		if err := f.commit(); err != nil {
			errs = append(errs, err)
		}
	}
	s.bufs, s.files = nil, nil
	return errors.Join(errs...)
}
