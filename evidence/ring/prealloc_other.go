//go:build !linux

package ring

import "os"

// preallocate extends the file to its size.
func preallocate(f *os.File, size int64) error { return f.Truncate(size) }
