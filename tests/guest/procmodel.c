/* The Linux process model's hard cases, one per argv[1]. Output is
 * deterministic: no pids or times, only what the program observed. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *fork_thread(void *arg) {
    (void)arg;
    pid_t c = fork();
    if (c == 0) {
        printf("child of thread: threads in child see one thread\n");
        fflush(stdout);
        _exit(5);
    }
    int st = 0;
    waitpid(c, &st, 0);
    printf("thread reaped child: exited=%d status=%d\n", WIFEXITED(st), WEXITSTATUS(st));
    return NULL;
}

static int fork_in_thread(void) {
    pthread_t t;
    pthread_create(&t, NULL, fork_thread, NULL);
    pthread_join(t, NULL);
    return 0;
}

/* five processes: gen | x2 | x2 | x2 | sum, each a fork connected by pipes */
static int pipeline(void) {
    int in = -1;
    pid_t pids[5];
    for (int stage = 0; stage < 5; stage++) {
        int p[2] = {-1, -1};
        if (stage < 4 && pipe(p) != 0) return 1;
        pid_t c = fork();
        if (c == 0) {
            if (in >= 0) { dup2(in, 0); close(in); }
            if (stage < 4) { dup2(p[1], 1); close(p[0]); close(p[1]); }
            if (stage == 0) {
                for (int i = 1; i <= 1000; i++) printf("%d\n", i);
            } else if (stage < 4) {
                long v;
                while (scanf("%ld", &v) == 1) printf("%ld\n", v * 2);
            } else {
                long v, sum = 0, n = 0;
                while (scanf("%ld", &v) == 1) { sum += v; n++; }
                printf("pipeline: %ld numbers, sum %ld\n", n, sum);
            }
            fflush(stdout);
            _exit(stage);
        }
        pids[stage] = c;
        if (in >= 0) close(in);
        if (stage < 4) { close(p[1]); in = p[0]; }
    }
    int st[5];
    for (int i = 0; i < 5; i++) waitpid(pids[i], &st[i], 0);
    for (int i = 0; i < 5; i++) printf("stage %d exit %d\n", i, WEXITSTATUS(st[i]));
    return 0;
}

static int zombie(void) {
    pid_t c = fork();
    if (c == 0) _exit(42);
    /* let it die and stay a zombie for a while */
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    int st;
    pid_t r = waitpid(c, &st, WNOHANG);
    printf("reaped late: same pid=%d exited=%d status=%d\n", r == c, WIFEXITED(st), WEXITSTATUS(st));
    printf("no more children: %d\n", waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD);
    return 0;
}

static const char *self_path;

static int vfork_exec(void) {
    pid_t c = vfork();
    if (c == 0) {
        execl(self_path, "procmodel", "child-hello", (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(c, &st, 0);
    printf("vfork child exit %d\n", WEXITSTATUS(st));
    return 0;
}

static sigjmp_buf jb;
static volatile sig_atomic_t segv_seen;
static void on_segv(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    segv_seen = sig;
    printf("SIGSEGV at %p code %d\n", si->si_addr, si->si_code);
    siglongjmp(jb, 1);
}

static int segv_longjmp(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    for (int i = 0; i < 3; i++) {
        if (sigsetjmp(jb, 1) == 0) {
            *(volatile int *)(uintptr_t)(0x1000 * (i + 1)) = i;
            printf("not reached\n");
        } else {
            printf("recovered %d (sig %d)\n", i, (int)segv_seen);
        }
    }
    return 0;
}

/* Misaligned atomics raise SIGBUS/BUS_ADRALN at the address; plain
 * misaligned loads and stores just work. (SC is left out: qemu fails it
 * without an access when there is no reservation.) */
static volatile void *bus_want;
static void on_bus(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    printf("%s code %d at the address: %s\n",
           sig == SIGBUS ? "SIGBUS" : sig == SIGSEGV ? "SIGSEGV" : "other", si->si_code,
           si->si_addr == bus_want ? "yes" : "no");
    siglongjmp(jb, 1);
}

static int bus_misaligned_atomic(void) {
    static uint64_t buf[4];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_bus;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    char *p = (char *)buf;
    *(volatile uint64_t *)(p + 3) = 0x1122334455667788ull;
    printf("misaligned load/store: %llx\n", (unsigned long long)*(volatile uint64_t *)(p + 3));
    for (int i = 0; i < 2; i++) {
        char *a = p + 2 + 8 * i;
        bus_want = a;
        if (sigsetjmp(jb, 1) == 0) {
            long r = 0;
            if (i == 0)
                __asm__ volatile("amoadd.w %0, %1, (%2)" : "=r"(r) : "r"(1L), "r"(a) : "memory");
            else
                __asm__ volatile("lr.d %0, (%1)" : "=r"(r) : "r"(a) : "memory");
            printf("atomic %d did not fault (%ld)\n", i, r);
        }
    }
    return 0;
}

static long counter;
static int futex_word;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready_count;
static void *contend(void *arg) {
    (void)arg;
    pthread_mutex_lock(&mu);
    ready_count++;
    pthread_cond_broadcast(&cv);
    while (ready_count < 8) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
        __atomic_fetch_add(&futex_word, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static int futex_contention(void) {
    pthread_t t[8];
    for (int i = 0; i < 8; i++) pthread_create(&t[i], NULL, contend, NULL);
    for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
    printf("counter %ld atomic %d\n", counter, futex_word);
    return 0;
}

static volatile sig_atomic_t alarms;
static void on_alarm(int s) { (void)s; alarms++; }

static int select_pipe_timer(void) {
    int p[2];
    pipe(p);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = {0, 30000};
    int n = select(p[0] + 1, &rd, NULL, NULL, &tv);
    printf("select timeout: n=%d\n", n);
    pid_t c = fork();
    if (c == 0) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        write(p[1], "go", 2);
        _exit(0);
    }
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    tv.tv_sec = 5;
    tv.tv_usec = 0;
    n = select(p[0] + 1, &rd, NULL, NULL, &tv);
    printf("select pipe: n=%d readable=%d\n", n, FD_ISSET(p[0], &rd) != 0);
    char buf[4] = {0};
    read(p[0], buf, 2);
    printf("read %s\n", buf);
    waitpid(c, NULL, 0);
    return 0;
}

static int signal_during_read(void) {
    int p[2];
    pipe(p);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: read fails with EINTR */
    struct itimerval it = {{0, 0}, {0, 30000}};
    setitimer(ITIMER_REAL, &it, NULL);
    char b;
    ssize_t r = read(p[0], &b, 1);
    printf("read=%zd errno=EINTR:%d alarms=%d\n", r, errno == EINTR, (int)alarms);
    sa.sa_flags = SA_RESTART; /* now the read restarts and gets the data */
    sigaction(SIGALRM, &sa, NULL);
    pid_t c = fork();
    if (c == 0) {
        struct timespec ts = {0, 80 * 1000 * 1000};
        nanosleep(&ts, NULL);
        write(p[1], "z", 1);
        _exit(0);
    }
    setitimer(ITIMER_REAL, &it, NULL);
    r = read(p[0], &b, 1);
    printf("restarted read=%zd byte=%c alarms=%d\n", r, b, (int)alarms);
    waitpid(c, NULL, 0);
    return 0;
}

static int sigchld_and_kill(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    pid_t c = fork();
    if (c == 0) { pause(); _exit(0); }
    kill(c, SIGTERM);
    siginfo_t si;
    int s = sigwaitinfo(&set, &si);
    printf("sigwaitinfo=%d code_killed=%d status=%d same=%d\n", s, si.si_code == CLD_KILLED, si.si_status, si.si_pid == c);
    int st;
    waitpid(c, &st, 0);
    printf("signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
    return 0;
}

static int sigpipe(void) {
    int p[2];
    pipe(p);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    ssize_t r = write(p[1], "x", 1);
    printf("write to closed pipe: %zd EPIPE=%d\n", r, errno == EPIPE);
    signal(SIGPIPE, SIG_DFL);
    pid_t c = fork();
    if (c == 0) { write(p[1], "x", 1); _exit(0); }
    int st;
    waitpid(c, &st, 0);
    printf("child killed by SIGPIPE: %d\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE);
    return 0;
}

/* Calls interrupted by a stop signal restart once the process is
 * continued (no handler ran): poll, a pipe read and nanosleep never see
 * EINTR. A child stops and continues its parent while it waits. */
static int stop_restart(void) {
    int p[2];
    pipe(p);
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        struct timespec d = {0, 40 * 1000 * 1000};
        for (int round = 0; round < 3; round++) {
            nanosleep(&d, NULL);
            kill(parent, SIGSTOP);
            nanosleep(&d, NULL);
            kill(parent, SIGCONT);
            nanosleep(&d, NULL);
            write(p[1], "x", 1);
        }
        _exit(0);
    }
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    int r = poll(&pfd, 1, 10000);
    printf("poll across a stop: %d %s\n", r, r < 0 ? strerror(errno) : "");
    char ch;
    read(p[0], &ch, 1);
    ssize_t n = read(p[0], &ch, 1);
    printf("read across a stop: %zd %s\n", n, n < 0 ? strerror(errno) : "");
    struct timespec longer = {0, 400 * 1000 * 1000};
    r = nanosleep(&longer, NULL);
    printf("nanosleep across a stop: %d %s\n", r, r < 0 ? strerror(errno) : "");
    int st;
    waitpid(c, &st, 0);
    printf("child exited: %d\n", WIFEXITED(st));
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    self_path = argv[0];
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "child-hello")) { printf("hello from the exec'd child\n"); return 9; }
    if (!strcmp(what, "fork-in-thread")) return fork_in_thread();
    if (!strcmp(what, "pipeline")) return pipeline();
    if (!strcmp(what, "zombie")) return zombie();
    if (!strcmp(what, "vfork-exec")) return vfork_exec();
    if (!strcmp(what, "segv-longjmp")) return segv_longjmp();
    if (!strcmp(what, "bus-atomic")) return bus_misaligned_atomic();
    if (!strcmp(what, "futex")) return futex_contention();
    if (!strcmp(what, "select")) return select_pipe_timer();
    if (!strcmp(what, "signal-read")) return signal_during_read();
    if (!strcmp(what, "sigchld")) return sigchld_and_kill();
    if (!strcmp(what, "sigpipe")) return sigpipe();
    if (!strcmp(what, "stop-restart")) return stop_restart();
    fprintf(stderr, "usage: procmodel CASE\n");
    return 2;
}
