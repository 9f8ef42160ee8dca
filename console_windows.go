package main

import (
	"os"
	"syscall"
)

// attachParentConsole makes the command line usable from cmd.exe and
// PowerShell. The Windows exe is a GUI-subsystem program (so no console
// window flashes up when the app is opened from Explorer), and Windows gives
// such a program no standard output: `GradeVault.exe --version` typed in a
// console would print nothing. When the command line runs, this attaches to
// the console of the process that started it (if there is one) and points
// every standard stream that has nowhere to go at that console. Streams the
// user redirected (`> out.txt`, `| more`) are left alone. Without a parent
// console (started from Explorer or a shortcut) nothing changes.
//
// Note: cmd.exe and PowerShell do not wait for a GUI-subsystem program, so
// the prompt can come back before the output; `start /wait /b GradeVault.exe
// ...` (cmd) or `GradeVault.exe ... | Out-Host` (PowerShell) waits for it
// and keeps the exit code (see README, Windows).
func attachParentConsole() {
	const attachParentProcess = ^uint32(0) // ATTACH_PARENT_PROCESS, (DWORD)-1
	attach := syscall.NewLazyDLL("kernel32.dll").NewProc("AttachConsole")
	if attach.Find() != nil {
		return
	}
	if r, _, _ := attach.Call(uintptr(attachParentProcess)); r == 0 {
		return // no parent console, or this process has one already
	}
	reopen := func(f **os.File, name string, flag int) {
		if usable(*f) {
			return
		}
		if c, err := os.OpenFile(name, flag, 0); err == nil {
			*f = c
		}
	}
	reopen(&os.Stdin, "CONIN$", os.O_RDONLY)
	reopen(&os.Stdout, "CONOUT$", os.O_WRONLY)
	reopen(&os.Stderr, "CONOUT$", os.O_WRONLY)
}

// usable reports whether f is an open handle (a file, pipe or console the
// parent gave this process).
func usable(f *os.File) bool {
	if f == nil {
		return false
	}
	h := syscall.Handle(f.Fd())
	if h == 0 || h == syscall.InvalidHandle {
		return false
	}
	t, err := syscall.GetFileType(h)
	return err == nil && t != 0 // FILE_TYPE_UNKNOWN: not a usable handle
}
