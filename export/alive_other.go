//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package export

import "net"

// alive cannot peek at the connection on this system: a closed connection
// is found when a write to it fails.
func alive(net.Conn) bool { return true }
