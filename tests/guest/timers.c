/* timerfd and pidfd: arming, reading expirations, poll/epoll readiness.
 * Only facts that do not depend on timing precision are printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void check(const char *what, long r) {
    printf("%s: %s\n", what, r < 0 ? strerror(errno) : "ok");
}

static int timerfd(void) {
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    check("timerfd_create", t);
    printf("cloexec: %d nonblock: %d\n", fcntl(t, F_GETFD) & FD_CLOEXEC,
           (fcntl(t, F_GETFL) & O_NONBLOCK) != 0);
    uint64_t n = 0;
    errno = 0;
    printf("read disarmed: %zd %s\n", read(t, &n, 8), strerror(errno));
    errno = 0;
    printf("short read: %zd %s\n", read(t, &n, 4), strerror(errno));

    struct itimerspec its = {.it_value = {.tv_nsec = 200 * 1000 * 1000},
                             .it_interval = {.tv_nsec = 10 * 1000 * 1000}};
    check("settime relative", timerfd_settime(t, 0, &its, NULL));
    struct itimerspec cur;
    timerfd_gettime(t, &cur);
    printf("interval %ld ns, armed: %d\n", cur.it_interval.tv_nsec,
           cur.it_value.tv_sec > 0 || cur.it_value.tv_nsec > 0);
    struct pollfd p = {.fd = t, .events = POLLIN};
    printf("poll before expiry: %d\n", poll(&p, 1, 0));
    printf("poll waits: %d revents=%#x\n", poll(&p, 1, 2000), p.revents);
    printf("read: %zd count>=1: %d\n", read(t, &n, 8), n >= 1);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 77};
    check("epoll_ctl", epoll_ctl(ep, EPOLL_CTL_ADD, t, &ev));
    struct epoll_event out;
    int r = epoll_wait(ep, &out, 1, 2000);
    printf("epoll_wait: %d data=%u\n", r, out.data.u32);
    read(t, &n, 8);

    struct itimerspec zero = {0}, old;
    check("disarm", timerfd_settime(t, 0, &zero, &old));
    printf("old interval %ld ns\n", old.it_interval.tv_nsec);
    timerfd_gettime(t, &cur);
    printf("disarmed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

    /* A blocking read on an absolute deadline 30 ms ahead. */
    int b = timerfd_create(CLOCK_REALTIME, 0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    now.tv_nsec += 30 * 1000 * 1000;
    if (now.tv_nsec >= 1000000000) {
        now.tv_sec++;
        now.tv_nsec -= 1000000000;
    }
    struct itimerspec abs = {.it_value = now};
    check("settime absolute", timerfd_settime(b, TFD_TIMER_ABSTIME, &abs, NULL));
    printf("blocking read: %zd count=%llu\n", read(b, &n, 8), (unsigned long long)n);
    errno = 0;
    printf("bad clock: %d %s\n", timerfd_create(12345, 0), strerror(errno));
    close(t);
    close(b);
    close(ep);
    return 0;
}

static int pidfd(void) {
    pid_t c = fork();
    if (c == 0) {
        usleep(20000);
        _exit(7);
    }
    int fd = (int)syscall(SYS_pidfd_open, c, 0);
    check("pidfd_open", fd);
    printf("cloexec: %d\n", fcntl(fd, F_GETFD) & FD_CLOEXEC);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    printf("poll while running: %d\n", poll(&p, 1, 0));
    printf("poll until exit: %d revents=%#x\n", poll(&p, 1, 5000), p.revents);
    int st;
    waitpid(c, &st, 0);
    printf("child status %d\n", WEXITSTATUS(st));
    errno = 0;
    printf("pidfd_open of a reaped child: %ld %s\n", syscall(SYS_pidfd_open, c, 0),
           strerror(errno));
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "timerfd"))
        return timerfd();
    if (!strcmp(what, "pidfd"))
        return pidfd();
    fprintf(stderr, "usage: timers timerfd|pidfd\n");
    return 2;
}
