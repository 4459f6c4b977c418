package cli

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Every file a command writes goes through outputs. A run first names its
// inputs (captures, site model, imported files) and then creates each of
// its outputs, before any analysis: a target that is a symbolic link, a
// directory, one of the inputs or another output of the run, and a
// directory that is missing or not writable, are found at once (exit 2,
// naming the flag and the path). The data goes to a temporary file beside
// the target (".NAME.tmp-RANDOM", same directory, hence same file system),
// which replaces the target by a rename once written, synced and closed:
// a failed write (a full disk) removes the temporary file and leaves the
// previous file as it was. "-" is standard output. A target that exists
// and is neither a regular file nor a directory (a named pipe, /dev/null)
// is opened and written in place: a rename would replace the device.

// outputs are the files a run reads and writes.
type outputs struct {
	e       *env
	command string     // "analyze", …: the prefix of the messages
	inputs  []string   // files the run reads, never written
	files   []*outFile // created, in order
	dirs    []string   // output directories (--evidence), cleaned
}

// newOutputs starts the outputs of a run of command reading inputs.
func newOutputs(e *env, command string, inputs ...string) *outputs {
	return &outputs{e: e, command: command, inputs: inputs}
}

// input adds files the run reads.
func (o *outputs) input(paths ...string) { o.inputs = append(o.inputs, paths...) }

// stdout is standard output as an output.
func (o *outputs) stdout() *outFile {
	f, _ := o.create("", "-")
	return f
}

// outFile is one output: standard output, a temporary file renamed onto
// the target by commit, or a device written in place.
type outFile struct {
	flag    string // "out", "events", …; "" when no flag names it
	path    string // the target; "-" for standard output
	f       *os.File
	tmp     string    // the temporary file; "" when written in place
	w       io.Writer // where Write goes: f, standard output, or a test's wrapper
	existed bool      // the target existed when the run started
	err     error     // the first write error: commit then fails
	done    bool
}

// Write writes to the output and keeps its first error, so that commit
// refuses to put a file in place after a failed write, whoever ignored
// the error.
func (f *outFile) Write(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.w.Write(p)
	if err != nil {
		f.err = err
	}
	return n, err
}

// name is how messages name the output: "--out report.json", or the path
// alone for a file no flag names.
func (f *outFile) name() string {
	if f.flag == "" {
		return f.path
	}
	return "--" + f.flag + " " + f.path
}

// create checks the target path of flag and opens its temporary file. The
// path "-" is standard output; "" is no output (nil, nil). A bad target is
// a usage error (exit 2).
func (o *outputs) create(flag, path string) (*outFile, error) {
	if path == "" {
		return nil, nil
	}
	if path == "-" {
		f := &outFile{flag: flag, path: path, w: o.e.stdout}
		o.files = append(o.files, f)
		return f, nil
	}
	what := path
	if flag != "" {
		what = "--" + flag + " " + path
	}
	bad := func(format string, args ...any) error {
		return usagef("%s: %s: %s", o.command, what, fmt.Sprintf(format, args...))
	}
	fi, err := os.Lstat(path)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		return nil, bad("is a symbolic link; harborwatch does not write through one (give the path it points to)")
	case err == nil && fi.IsDir():
		return nil, bad("is a directory")
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, bad("%v", unwrapPath(err))
	}
	out := &outFile{flag: flag, path: path, existed: err == nil}
	if !out.existed {
		fi = nil
	}
	if err := o.clash(path, fi, bad); err != nil {
		return nil, err
	}
	if out.existed && !fi.Mode().IsRegular() {
		// A device or a named pipe: written in place.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return nil, bad("%v", unwrapPath(err))
		}
		out.f, out.w = f, f
		o.files = append(o.files, out)
		return out, nil
	}
	dir := filepath.Dir(path)
	if di, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, bad("directory %s does not exist", dir)
		}
		return nil, bad("%v", unwrapPath(err))
	} else if !di.IsDir() {
		return nil, bad("%s is not a directory", dir)
	}
	f, tmp, err := createTemp(dir, filepath.Base(path))
	if err != nil {
		return nil, bad("cannot write in %s: %v", dir, unwrapPath(err))
	}
	if out.existed {
		f.Chmod(fi.Mode().Perm()) // the new file keeps the old one's permissions
	}
	out.f, out.tmp, out.w = f, tmp, f
	if o.e.wrapOutput != nil {
		out.w = o.e.wrapOutput(f)
	}
	o.files = append(o.files, out)
	return out, nil
}

// dir checks an output directory (--evidence DIR) as create checks a file:
// not a symbolic link, not an input, not another output; it creates it
// when missing and checks that it can be written to.
func (o *outputs) dir(flag, path string) error {
	bad := func(format string, args ...any) error {
		return usagef("%s: --%s %s: %s", o.command, flag, path, fmt.Sprintf(format, args...))
	}
	fi, err := os.Lstat(path)
	switch {
	case err == nil && fi.Mode()&fs.ModeSymlink != 0:
		return bad("is a symbolic link; harborwatch does not write through one (give the path it points to)")
	case err == nil && !fi.IsDir():
		return bad("not a directory")
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return bad("%v", unwrapPath(err))
	}
	if err := o.clash(path, fi, bad); err != nil {
		return err
	}
	if fi == nil {
		if err := os.MkdirAll(path, 0o755); err != nil {
			return bad("%v", unwrapPath(err))
		}
	}
	f, tmp, err := createTemp(path, "probe")
	if err != nil {
		return bad("cannot write in it: %v", unwrapPath(err))
	}
	f.Close()
	os.Remove(tmp)
	o.dirs = append(o.dirs, filepath.Clean(path))
	return nil
}

// clash refuses path when it is one of the inputs or already an output
// of the run: the same cleaned path, or the same file (a hard link, or
// another name of it). fi is path's Lstat, nil when it does not exist.
func (o *outputs) clash(path string, fi fs.FileInfo, bad func(string, ...any) error) error {
	same := func(other string) bool {
		if samePath(path, other) {
			return true
		}
		if fi == nil || !fi.Mode().IsRegular() {
			return false
		}
		oi, err := os.Stat(other)
		return err == nil && os.SameFile(fi, oi)
	}
	for _, in := range o.inputs {
		if in != "" && in != "-" && same(in) {
			return bad("is an input of this run (%s); harborwatch does not overwrite its inputs", in)
		}
	}
	for _, f := range o.files {
		if f.path != "-" && f.tmp != "" && same(f.path) { // devices may take several outputs
			return bad("is also the output of %s", f.name())
		}
	}
	for _, d := range o.dirs {
		if samePath(path, d) {
			return bad("is also an output directory")
		}
	}
	return nil
}

// samePath reports whether a and b name the same path once cleaned and
// made absolute.
func samePath(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ab
}

// createTemp creates a new file ".base.tmp-RANDOM" in dir with the
// permissions os.Create gives (0666 less the umask).
func createTemp(dir, base string) (*os.File, string, error) {
	var b [6]byte
	for range 100 {
		rand.Read(b[:])
		p := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, p, err
	}
	return nil, "", fmt.Errorf("no free temporary name in %s", dir)
}

// unwrapPath drops the operation and path of a *fs.PathError, which the
// messages name themselves: "permission denied".
func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// commit puts the written file in place: it syncs and closes the
// temporary file and renames it onto the target. After a failed write, or
// when any of this fails, the temporary file is removed and the error
// says that the previous file is intact. Committing twice, or standard
// output, does nothing more.
func (f *outFile) commit() error {
	if f == nil || f.done {
		return nil
	}
	f.done = true
	if f.f == nil { // standard output
		if f.err != nil {
			return fmt.Errorf("write %s: %w", f.name(), f.err)
		}
		return nil
	}
	if f.tmp == "" { // written in place
		err := f.err
		if cerr := f.f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return f.failed(err)
		}
		return nil
	}
	err := f.err
	if err == nil {
		err = f.f.Sync()
	}
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.tmp, f.path)
	}
	if err != nil {
		os.Remove(f.tmp)
		return f.failed(err)
	}
	return nil
}

// failed is the error of a write that did not replace the target.
func (f *outFile) failed(err error) error {
	kept := "nothing written"
	switch {
	case f.tmp == "":
		return fmt.Errorf("write %s: %v", f.name(), unwrapPath(err))
	case f.existed:
		kept = "the previous " + f.path + " is left as it was"
	}
	return fmt.Errorf("write %s: %v; %s", f.name(), unwrapPath(err), kept)
}

// abort drops an output not committed: its temporary file is removed and
// the target left as it was.
func (f *outFile) abort() {
	if f == nil || f.done {
		return
	}
	f.done = true
	if f.f != nil {
		f.f.Close()
	}
	if f.tmp != "" {
		os.Remove(f.tmp)
	}
}

// abort drops every output not committed; deferred by a command, it
// removes the temporary files of a run that failed.
func (o *outputs) abort() {
	for _, f := range o.files {
		f.abort()
	}
}

// writeOut writes an output with fn through a buffer and commits it; on
// error the output is dropped (the previous file is intact) and the error
// says so.
func writeOut(f *outFile, fn func(io.Writer) error) error {
	bw := bufio.NewWriter(f)
	err := fn(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		if f.f == nil { // standard output
			f.done = true
			return err
		}
		f.abort()
		return f.failed(err)
	}
	return f.commit()
}
