//go:build !unix

package cli

import "testing"

// TestSignalBinary needs signals and named pipes (signal_unix_test.go).
func TestSignalBinary(t *testing.T) { t.Skip("no POSIX signals on this platform") }
