// cgo-leak: a Go program whose C code, called through cgo, leaks; for
// tests/cgo.sh (built there with Debian's golang-go).
//
//	preempt()   GOMAXPROCS(1), a goroutine spins with no call in its loop
//	            until another one sets a flag: only Go's asynchronous
//	            preemption (SIGURG to the spinning thread) lets the other
//	            run, so a tracer that loses SIGURG hangs it
//	leaks()     GOMAXPROCS(4), 3 goroutines each call C.c_leak(1234) once
//	            and churn the Go heap, with runtime.GC() in between:
//	            c_make_buffer's malloc(1234) is dropped by C each time,
//	            3 x 1234 = 3702 bytes definitely lost, with the stack
//	            c_make_buffer <- c_leak <- cgo wrapper <- runtime.asmcgocall
//	            <- main._Cfunc_c_leak <- main.goLeak <- main.leaks.func1
//
// The C code is built -O2 with its frames kept (noinline) and its pointer
// escaping through a volatile global, so nothing is optimised away.
//
// One wipe is left on purpose: before returning, c_leak zeroes the dead
// frames below its own (c_make_buffer's and malloc's).  The C code runs on
// the g0 stack of a Go thread that stays alive; afterwards the Go runtime
// parks that thread in frames laid over the same addresses, and their
// unwritten slots keep stale copies of the buffer's address.  A scan
// without definedness (leakcheck's, LSan's) takes a live frame whole, so
// one run in four found a buffer still reachable; valgrind, which skips
// undefined words, always says definitely lost.  This test is about cgo
// stacks, profiles and SIGURG, not about that limit, and a test that
// fails one run in four tests nothing.  The registers are not touched.
// It prints "ok" and the sum of what C returned (3 x 'x' = 360).
package main

/*
#cgo CFLAGS: -O2 -g
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

void *volatile c_sink;

NOINLINE static char *c_make_buffer(size_t n)
{
	char *p = malloc(n);
	memset(p, 'x', n);
	return p;
}

// Zero the dead frames below c_leak's, on purpose: see the header.
NOINLINE static void c_clear_below(void)
{
	volatile char buf[16384];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = 0;
}

NOINLINE int c_leak(size_t n)
{
	char *p = c_make_buffer(n);
	int last = p[n - 1];

	c_sink = p;
	c_sink = 0;
	c_clear_below();
	return last;
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync/atomic"
)

var flag int32

// preempt returns once a goroutine that cannot run unless this one is
// preempted asynchronously has run.
func preempt() {
	runtime.GOMAXPROCS(1)
	go atomic.StoreInt32(&flag, 1)
	for atomic.LoadInt32(&flag) == 0 {
	}
}

var sink [][]byte

//go:noinline
func goLeak(n int) int {
	return int(C.c_leak(C.size_t(n)))
}

func leaks() int {
	runtime.GOMAXPROCS(4)
	done := make(chan int)
	for i := 0; i < 3; i++ {
		go func() {
			churn := make([][]byte, 0, 1000)
			for k := 0; k < 1000; k++ {
				churn = append(churn, make([]byte, 512))
			}
			sink = churn[:1]
			done <- goLeak(1234)
		}()
	}
	s := 0
	for i := 0; i < 3; i++ {
		s += <-done
		runtime.GC()
	}
	return s
}

func main() {
	preempt()
	fmt.Println("ok", leaks())
}
