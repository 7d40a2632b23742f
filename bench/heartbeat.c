/* Preloaded into a fixture by bench/snapshot.py and tests/e2e/test_snapshot.py
 * (LD_PRELOAD, so no fixture changes): a thread that wakes every 200 us and
 * records the largest gap between two wake-ups, which is how long the
 * process was held (a snapshot, gcore) as seen from inside it.
 *
 * $CGOSTACK_HEARTBEAT names a file of 4 64-bit words shared with the
 * measuring side: [0] reset counter (written by the measurer: the thread
 * then starts a new window), [1] largest gap in ns in the current window,
 * [2] monotonic time of the last beat, [3] beats in the window. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t *shared;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *beat(void *arg) {
    (void)arg;
    uint64_t seen = shared[0], last = now_ns();
    const struct timespec tick = {0, 200000};
    for (;;) {
        nanosleep(&tick, NULL);
        uint64_t t = now_ns();
        if (shared[0] != seen) {
            seen = shared[0];
            shared[1] = 0;
            shared[3] = 0;
        } else if (t - last > shared[1]) {
            shared[1] = t - last;
        }
        shared[2] = t;
        shared[3]++;
        last = t;
    }
    return NULL;
}

__attribute__((constructor)) static void start(void) {
    const char *path = getenv("CGOSTACK_HEARTBEAT");
    if (!path) return;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return;
    void *p = mmap(NULL, 32, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return;
    shared = p;
    /* Signals are the Go runtime's business: this thread takes none. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    pthread_t t;
    pthread_create(&t, NULL, beat, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}
