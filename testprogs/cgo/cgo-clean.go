// cgo-clean: a Go program whose C code frees everything it allocates,
// from four goroutines at once (so on several of Go's threads), for
// tests/cgo.sh.  Its C heap holds nothing of the program's at exit: only
// glibc's per-thread memory (the DTVs of Go's threads), which is never a
// leak, so --error-exitcode must not fire.  Go exits with exit_group
// directly, so no freeres runs: the DTVs show as still reachable.
package main

/*
#include <stdlib.h>
#include <string.h>

static int roundtrip(int n)
{
	char *p = malloc(n);
	memset(p, 1, n);
	int r = p[n - 1];
	free(p);
	return r;
}
*/
import "C"

import (
	"fmt"
	"sync"
)

func main() {
	var wg sync.WaitGroup
	sum := make([]int, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				sum[i] += int(C.roundtrip(C.int(16 + j)))
			}
		}(i)
	}
	wg.Wait()
	fmt.Println("clean", sum[0]+sum[1]+sum[2]+sum[3])
}
