package upload

import (
	"net"
	"syscall"
	"unsafe"
)

// sendQueue returns the bytes of c's socket send queue (written by us, not
// yet acknowledged by the peer), read with the TIOCOUTQ ioctl. ok is false
// when c is not a TCP socket or the call fails.
func sendQueue(c net.Conn) (n int, ok bool) {
	tc, isTCP := c.(*net.TCPConn)
	if !isTCP {
		return 0, false
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return 0, false
	}
	var v int32
	var errno syscall.Errno
	if err := raw.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(syscall.TIOCOUTQ), uintptr(unsafe.Pointer(&v)))
	}); err != nil || errno != 0 {
		return 0, false
	}
	return int(v), true
}
