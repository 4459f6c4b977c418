package ring

import (
	"errors"
	"os"
	"syscall"
)

// preallocate reserves the file's blocks on disk (fallocate), so that a
// full disk fails at Open and not while packets come; where the file
// system cannot, the file is only extended.
func preallocate(f *os.File, size int64) error {
	err := syscall.Fallocate(int(f.Fd()), 0, 0, size)
	if errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.ENOSYS) {
		return f.Truncate(size)
	}
	return err
}
