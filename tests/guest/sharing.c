/* Memory and files shared between processes, one scenario per argv[1]:
 * MAP_SHARED memory across fork (with a process-shared semaphore), files
 * that stay usable after unlink, O_TMPFILE, /dev/fd/N reopening a pipe,
 * nanosecond file times, sendfile into a pipe that fills up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
    sem_t ready;
    int counter;
    char msg[32];
};

static int mapshared(void) {
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED || priv == MAP_FAILED) {
        printf("mmap: %s\n", strerror(errno));
        return 1;
    }
    sem_init(&s->ready, 1, 0);
    *priv = 1;
    pid_t c = fork();
    if (c == 0) {
        for (int i = 0; i < 1000; i++)
            __atomic_add_fetch(&s->counter, 1, __ATOMIC_SEQ_CST);
        strcpy(s->msg, "written by the child");
        *priv = 2;
        sem_post(&s->ready);
        _exit(0);
    }
    sem_wait(&s->ready);
    printf("after sem_wait: counter=%d msg=%s private=%d\n", s->counter, s->msg, *priv);
    int st;
    waitpid(c, &st, 0);
    /* Several children hammering one shared counter under a shared semaphore. */
    sem_t *lock = &s->ready;
    sem_post(lock);
    s->counter = 0;
    for (int k = 0; k < 3; k++) {
        if (fork() == 0) {
            for (int i = 0; i < 200; i++) {
                sem_wait(lock);
                int v = s->counter;
                sched_yield();
                s->counter = v + 1;
                sem_post(lock);
            }
            _exit(0);
        }
    }
    while (wait(NULL) > 0)
        ;
    printf("locked increments: %d\n", s->counter);
    munmap(s, sizeof *s);
    return 0;
}

static int unlinked(void) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/friscy-unlinked-%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    printf("unlink: %d\n", unlink(path));
    printf("write: %zd\n", write(fd, "still here", 10));
    printf("ftruncate: %d\n", ftruncate(fd, 64));
    struct stat st;
    fstat(fd, &st);
    printf("size %lld nlink %ld\n", (long long)st.st_size, (long)st.st_nlink);
    char buf[16] = {0};
    printf("pread: %zd %s\n", pread(fd, buf, 10, 0), buf);
    printf("path gone: %d\n", access(path, F_OK) != 0 && errno == ENOENT);
    pid_t c = fork();
    if (c == 0) {
        char b[16] = {0};
        pread(fd, b, 10, 0);
        printf("child reads the unlinked file: %s\n", b);
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    close(fd);

    fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
    printf("O_TMPFILE: %s\n", fd >= 0 ? "ok" : strerror(errno));
    write(fd, "anonymous", 9);
    lseek(fd, 0, SEEK_SET);
    memset(buf, 0, sizeof buf);
    printf("read back: %zd %s\n", read(fd, buf, sizeof buf - 1), buf);
    fstat(fd, &st);
    printf("regular: %d nlink %ld\n", S_ISREG(st.st_mode), (long)st.st_nlink);
    close(fd);
    return 0;
}

static int devfd(void) {
    int p[2];
    pipe(p);
    write(p[1], "through /dev/fd", 15);
    close(p[1]);
    char path[32];
    snprintf(path, sizeof path, "/dev/fd/%d", p[0]);
    int fd = open(path, O_RDONLY);
    char buf[32] = {0};
    printf("open %s: %s\n", "/dev/fd/N", fd >= 0 ? "ok" : strerror(errno));
    printf("read: %zd %s\n", read(fd, buf, sizeof buf - 1), buf);
    struct stat st;
    printf("stat is fifo: %d\n", stat(path, &st) == 0 && S_ISFIFO(st.st_mode));
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    printf("proc fd exists: %d\n", access(path, F_OK) == 0);
    close(fd);
    close(p[0]);
    errno = 0;
    printf("closed fd: %d %s\n", open(path, O_RDONLY), strerror(errno));
    return 0;
}

static int file_times(void) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/friscy-times-%d", (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    struct timespec ts[2] = {{.tv_sec = 1000000000, .tv_nsec = 123456789},
                             {.tv_sec = 1234567890, .tv_nsec = 987654321}};
    printf("futimens: %d\n", futimens(fd, ts));
    struct stat st;
    fstat(fd, &st);
    printf("mtime %lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec before;
    clock_gettime(CLOCK_REALTIME, &before);
    write(fd, "x", 1);
    fstat(fd, &st);
    printf("write updates mtime: %d\n", st.st_mtim.tv_sec >= before.tv_sec - 1);
    close(fd);
    unlink(path);
    return 0;
}

/* sendfile of 1 MiB into a pipe whose reader is slow: the pipe fills, the
 * call blocks or copies part, and no byte may be lost or repeated; once
 * through the file offset and once through an offset pointer. */
static int sendfile_pipe(void) {
    /* Per process: the oracle's runs share the fixture tree's /tmp. */
    char path[64];
    snprintf(path, sizeof path, "/tmp/friscy-sendfile-%d", (int)getpid());
    const size_t size = 1 << 20;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror("open"); return 1; }
    unsigned char *buf = malloc(size);
    for (size_t i = 0; i < size; i++) buf[i] = (unsigned char)(i * 7 + i / 4096);
    if (write(fd, buf, size) != (ssize_t)size) { perror("write"); return 1; }
    for (int pass = 0; pass < 2; pass++) {
        int p[2];
        if (pipe(p)) { perror("pipe"); return 1; }
        pid_t child = fork();
        if (child == 0) {
            close(p[1]);
            struct timespec slow = {0, 20 * 1000 * 1000};
            nanosleep(&slow, NULL);
            unsigned long sum = 0, n = 0, bad = 0;
            unsigned char chunk[3000];
            ssize_t r;
            while ((r = read(p[0], chunk, sizeof chunk)) > 0) {
                for (ssize_t i = 0; i < r; i++, n++) {
                    if (n < size && chunk[i] != buf[n]) bad++;
                    sum = sum * 31 + chunk[i];
                }
            }
            printf("pass %d: reader got %lu bytes, %lu wrong, sum %lx\n", pass, n, bad, sum);
            _exit(0);
        }
        close(p[0]);
        off_t off = 0;
        size_t total = 0;
        lseek(fd, 0, SEEK_SET);
        while (total < size) {
            ssize_t w = pass == 0 ? sendfile(p[1], fd, NULL, size - total)
                                  : sendfile(p[1], fd, &off, size - total);
            if (w <= 0) { printf("sendfile returned %zd (%s)\n", w, strerror(errno)); break; }
            total += w;
        }
        printf("pass %d: sent %zu bytes; offset now %ld\n", pass, total,
               pass == 0 ? (long)lseek(fd, 0, SEEK_CUR) : (long)off);
        close(p[1]);
        int st;
        waitpid(child, &st, 0);
    }
    close(fd);
    unlink(path);
    free(buf);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "mapshared"))
        return mapshared();
    if (!strcmp(what, "unlinked"))
        return unlinked();
    if (!strcmp(what, "devfd"))
        return devfd();
    if (!strcmp(what, "times"))
        return file_times();
    if (!strcmp(what, "sendfile"))
        return sendfile_pipe();
    fprintf(stderr, "usage: sharing mapshared|unlinked|devfd|times|sendfile\n");
    return 2;
}
