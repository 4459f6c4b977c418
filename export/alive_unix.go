//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package export

import (
	"crypto/tls"
	"errors"
	"net"
	"syscall"
)

// alive tells whether the server has not closed c or sent anything on it.
// A syslog server sends nothing, so pending bytes (a TLS alert) or the end
// of the stream both mean the connection is done; a peek that would block
// means it is still up. The peek does not wait.
func alive(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	up := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, rerr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		up = errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK)
		return true
	})
	return err == nil && up
}
