package chdb

import (
	"syscall"
	"unsafe"
)

// kernelSigaction is struct sigaction as the rt_sigaction system call takes it on Linux.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// saveSignals records the process's signal handlers (Go's) so they can be put back after
// libchdb installs its own: with libchdb's SIGSEGV handler in place a Go nil dereference
// hangs and crashes instead of panicking, and Ctrl-C no longer reaches signal.Notify.
func saveSignals() []kernelSigaction {
	saved := make([]kernelSigaction, 65)
	for sig := 1; sig < len(saved); sig++ {
		if sig == int(syscall.SIGKILL) || sig == int(syscall.SIGSTOP) {
			continue
		}
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&saved[sig])), 8, 0, 0)
	}
	return saved
}

func restoreSignals(saved []kernelSigaction) {
	for sig := 1; sig < len(saved); sig++ {
		if sig == int(syscall.SIGKILL) || sig == int(syscall.SIGSTOP) {
			continue
		}
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&saved[sig])), 0, 8, 0, 0)
	}
}
