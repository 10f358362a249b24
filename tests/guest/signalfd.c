/* signalfd, one scenario per argv[1]: creating and updating the mask,
 * the siginfo records (kill, tgkill, sigqueue, SIGCHLD), non-blocking and
 * blocking reads, readiness in poll/select/epoll, thread-directed signals
 * and fork. The signals are blocked with sigprocmask first, the usual
 * pattern. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void block(int a, int b, int c) {
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, a);
    if (b)
        sigaddset(&m, b);
    if (c)
        sigaddset(&m, c);
    sigprocmask(SIG_BLOCK, &m, NULL);
}

static sigset_t set_of(int a, int b) {
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, a);
    if (b)
        sigaddset(&m, b);
    return m;
}

/* One record, fields that do not depend on timing or pids. */
static void show(const char *what, const struct signalfd_siginfo *si) {
    printf("%s: signo=%u code=%d from_self=%d int=%d\n", what, si->ssi_signo, si->ssi_code,
           si->ssi_pid == (uint32_t)getpid(), si->ssi_int);
}

static void read_all(const char *what, int fd) {
    struct signalfd_siginfo si[4];
    ssize_t n = read(fd, si, sizeof si);
    if (n < 0) {
        printf("%s: read: %s\n", what, strerror(errno));
        return;
    }
    printf("%s: read %zd bytes (%zd records)\n", what, n, n / (ssize_t)sizeof si[0]);
    for (ssize_t i = 0; i < n / (ssize_t)sizeof si[0]; i++)
        show(what, &si[i]);
}

static int basic(void) {
    printf("record size %zu\n", sizeof(struct signalfd_siginfo));
    block(SIGUSR1, SIGUSR2, SIGHUP);
    sigset_t m = set_of(SIGUSR1, SIGUSR2);
    int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
    printf("signalfd: %s\n", fd >= 0 ? "ok" : strerror(errno));
    printf("cloexec %d nonblock %d\n", fcntl(fd, F_GETFD) & FD_CLOEXEC,
           (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    read_all("empty", fd);

    /* raise() is thread-directed (tgkill), kill() process-directed: the
     * thread's own signals come first. */
    kill(getpid(), SIGUSR2);
    raise(SIGUSR1);
    read_all("two", fd);

    union sigval v = {.sival_int = 77};
    sigqueue(getpid(), SIGUSR2, v);
    struct signalfd_siginfo small[1];
    errno = 0;
    printf("short buffer: %zd %s\n", read(fd, small, 64), strerror(errno));
    read_all("queued", fd);

    /* A signal outside the mask stays pending; a new mask takes it. */
    kill(getpid(), SIGHUP);
    read_all("hup outside the mask", fd);
    sigset_t pend;
    sigpending(&pend);
    printf("hup pending: %d\n", sigismember(&pend, SIGHUP));
    sigset_t hup = set_of(SIGHUP, 0);
    printf("update returns the same fd: %d\n", signalfd(fd, &hup, 0) == fd);
    read_all("hup after update", fd);
    sigpending(&pend);
    printf("hup pending after read: %d\n", sigismember(&pend, SIGHUP));

    /* Errors. */
    int p[2];
    pipe(p);
    errno = 0;
    printf("not a signalfd: %d %s\n", signalfd(p[0], &m, 0), strerror(errno));
    errno = 0;
    printf("bad fd: %d %s\n", signalfd(99, &m, 0), strerror(errno));
    errno = 0;
    printf("bad flags: %d %s\n", signalfd(-1, &m, 0x1), strerror(errno));
    errno = 0;
    printf("write: %zd %s\n", write(fd, small, sizeof small), strerror(errno));

    /* SIGKILL and SIGSTOP are silently dropped from the mask. */
    sigset_t all;
    sigfillset(&all);
    int fd2 = signalfd(-1, &all, SFD_NONBLOCK);
    read_all("full mask, nothing pending", fd2);
    close(fd2);
    close(fd);
    return 0;
}

static int waiting(void) {
    block(SIGUSR1, SIGCHLD, 0);
    sigset_t m = set_of(SIGUSR1, SIGCHLD);
    int fd = signalfd(-1, &m, 0);
    pid_t parent = getpid();
    struct timespec delay = {0, 30 * 1000 * 1000};

    /* poll */
    pid_t c = fork();
    if (c == 0) {
        nanosleep(&delay, NULL);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    printf("poll before: %d\n", poll(&pfd, 1, 0));
    int r = poll(&pfd, 1, 10000);
    printf("poll: %d revents %#x\n", r, pfd.revents);
    struct signalfd_siginfo si;
    /* SIGUSR1 (10) before SIGCHLD (17) even if the child is gone by now. */
    read(fd, &si, sizeof si);
    printf("after poll: signo=%u code=%d\n", si.ssi_signo, si.ssi_code);
    waitpid(c, NULL, 0);
    /* The child's exit left SIGCHLD pending: a blocking read returns it. */
    read(fd, &si, sizeof si);
    printf("sigchld: signo=%u code=%d child=%d status=%d\n", si.ssi_signo, si.ssi_code,
           si.ssi_pid == (uint32_t)c, si.ssi_status);

    /* select */
    c = fork();
    if (c == 0) {
        nanosleep(&delay, NULL);
        kill(parent, SIGUSR1);
        _exit(5);
    }
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(fd, &rd);
    r = select(fd + 1, &rd, NULL, NULL, NULL);
    printf("select: %d set %d\n", r, FD_ISSET(fd, &rd));
    read(fd, &si, sizeof si);
    printf("after select: signo=%u\n", si.ssi_signo);
    waitpid(c, NULL, 0);
    read(fd, &si, sizeof si);
    printf("sigchld: signo=%u status=%d\n", si.ssi_signo, si.ssi_status);

    /* epoll */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1234};
    printf("epoll_ctl: %d\n", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
    c = fork();
    if (c == 0) {
        nanosleep(&delay, NULL);
        kill(parent, SIGUSR1);
        pause();
        _exit(0);
    }
    struct epoll_event out;
    r = epoll_wait(ep, &out, 1, 10000);
    printf("epoll_wait: %d data %u events %#x\n", r, out.data.u32, out.events);
    read(fd, &si, sizeof si);
    printf("after epoll: signo=%u\n", si.ssi_signo);
    printf("epoll_wait when drained: %d\n", epoll_wait(ep, &out, 1, 0));

    /* A plain blocking read waits for the signal. */
    kill(c, SIGTERM);
    read(fd, &si, sizeof si);
    printf("blocking read: signo=%u code=%d status=%d\n", si.ssi_signo, si.ssi_code,
           si.ssi_status);
    waitpid(c, NULL, 0);
    return 0;
}

static int sfd;
static pthread_t main_thread;

static void *worker(void *arg) {
    (void)arg;
    struct pollfd pfd = {.fd = sfd, .events = POLLIN};
    /* Wait for the signal sent to this thread only. */
    int r = poll(&pfd, 1, 10000);
    struct signalfd_siginfo si;
    ssize_t n = read(sfd, &si, sizeof si);
    printf("worker: poll %d read %zd signo=%u code=%d\n", r, n, si.ssi_signo, si.ssi_code);
    return NULL;
}

static int threads(void) {
    block(SIGUSR1, SIGUSR2, 0);
    sigset_t m = set_of(SIGUSR1, SIGUSR2);
    sfd = signalfd(-1, &m, SFD_NONBLOCK);
    main_thread = pthread_self();
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_kill(t, SIGUSR1);
    pthread_join(t, NULL);
    /* Another thread's signal is not the main thread's. */
    pthread_create(&t, NULL, worker, NULL);
    pthread_kill(t, SIGUSR2);
    pthread_join(t, NULL);
    read_all("main after the workers", sfd);
    /* A process-directed signal is readable by any thread. */
    kill(getpid(), SIGUSR2);
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);

    /* fork: the child has no pending signals of its own; it reads its own. */
    kill(getpid(), SIGUSR1);
    pid_t c = fork();
    if (c == 0) {
        read_all("child before", sfd);
        raise(SIGUSR2);
        read_all("child after raise", sfd);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    read_all("parent", sfd);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "basic"))
        return basic();
    if (!strcmp(what, "waiting"))
        return waiting();
    if (!strcmp(what, "threads"))
        return threads();
    fprintf(stderr, "usage: signalfd basic|waiting|threads\n");
    return 2;
}
