//go:build !linux

package upload

import "net"

// sendQueue is not available here: only the body reads show movement.
func sendQueue(net.Conn) (int, bool) { return 0, false }
