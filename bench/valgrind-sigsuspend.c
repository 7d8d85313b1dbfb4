// Lets valgrind 3.19 (Debian 12) run portcullis: its rt_sigsuspend wrapper writes the sanitized signal mask back into
// the caller's sigset, and libdispatch's signal thread passes a read-only one, so valgrind itself faults at start.
// This copy of sigsuspend passes a writable copy instead. Build and use (docs/benchmarks.md, "Loading the dataset"):
//   gcc -shared -fPIC -O2 -o /tmp/sigsuspend.so bench/valgrind-sigsuspend.c
//   objcopy --strip-debug .build-release/release/portcullis /tmp/portcullis-nodebug   # valgrind 3.19 reads no DWARF 5
//   LD_PRELOAD=/tmp/sigsuspend.so valgrind --tool=callgrind /tmp/portcullis-nodebug import --data-dir DIR FILE
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, 8);
}
