/* Memory and files shared between processes, one scenario per argv[1]:
 * MAP_SHARED memory across fork (with a process-shared semaphore), files
 * that stay usable after unlink, O_TMPFILE, /dev/fd/N reopening a pipe,
 * nanosecond file times, sendfile into a pipe that fills up, MAP_SHARED
 * file mappings (coherent with read/write, across fork, after mremap). */
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

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

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

/* MAP_SHARED file mappings: stores are the file's bytes (read() sees them
 * at once, as Linux's page cache makes them), write() is seen by the
 * mappings, forks and other mappings of the file share the pages; private
 * mappings do not write back. */
static int mapfile(void) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/friscy-mapfile-%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror("open"); return 1; }
    write(fd, "0123456789abcdef", 16);
    ftruncate(fd, 8192);
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) { perror("mmap"); return 1; }
    printf("mapping shows the file: %.16s\n", m);
    memcpy(m, "MAPPED", 6);
    memcpy(m + 4096, "second page", 11);
    char buf[64] = {0};
    pread(fd, buf, 16, 0);
    printf("pread right after the store: %s\n", buf);
    printf("msync: %d\n", msync(m, 8192, MS_SYNC));
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 11, 4096);
    printf("pread of page 2: %s\n", buf);
    lseek(fd, 0, SEEK_SET);
    memset(buf, 0, sizeof buf);
    read(fd, buf, 16);
    printf("read: %s\n", buf);
    pwrite(fd, "WRITE", 5, 10);
    printf("mapping after pwrite: %.16s\n", m);

    /* A second mapping of the same page is the same memory. */
    char *m2 = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
    printf("second mapping of page 2: %.11s\n", m2);
    m[4096] = 'S';
    printf("second mapping sees the store: %c\n", m2[0]);
    munmap(m2, 4096);

    /* A child's stores through the inherited mapping reach the file. */
    pid_t c = fork();
    if (c == 0) {
        memcpy(m + 100, "from the child", 14);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 14, 100);
    printf("parent reads the child's store: %s\n", buf);
    /* A child that maps the file itself shares the pages too. */
    c = fork();
    if (c == 0) {
        char *cm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        memcpy(cm + 200, "child's own map", 15);
        munmap(cm, 4096);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    printf("parent mapping sees it: %.15s\n", m + 200);

    /* Private mappings are copies. */
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("private mapping: %.6s\n", p);
    p[0] = 'p';
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 1, 0);
    printf("file after a private store: %s, shared mapping: %c\n", buf, m[0]);
    munmap(p, 4096);

    /* After munmap and close, the file keeps everything. */
    munmap(m, 8192);
    close(fd);
    fd = open(path, O_RDONLY);
    memset(buf, 0, sizeof buf);
    read(fd, buf, 16);
    printf("reopened: %s\n", buf);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 15, 200);
    printf("reopened at 200: %s\n", buf);
    struct stat st;
    fstat(fd, &st);
    printf("size %lld\n", (long long)st.st_size);
    errno = 0;
    void *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("writable shared map of a read-only fd: %s\n",
           ro == MAP_FAILED ? strerror(errno) : "mapped");
    close(fd);
    unlink(path);
    return 0;
}

/* Shared mappings that grow or move: a file grown by ftruncate and its
 * mapping by mremap (moved, the pages stay the file's), truncation zeroing
 * the tail of the last page, shared anonymous memory moved by mremap. */
static int mapgrow(void) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/friscy-mapgrow-%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror("open"); return 1; }
    ftruncate(fd, 4096);
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    strcpy(m, "first page");
    ftruncate(fd, 3 * 4096);
    /* Something right after the mapping forces mremap to move it. */
    void *block = mmap(m + 4096, 4096, PROT_READ,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    char *g = mremap(m, 4096, 3 * 4096, MREMAP_MAYMOVE);
    if (g == MAP_FAILED) { perror("mremap"); return 1; }
    printf("moved: %d, keeps: %s\n", block != MAP_FAILED ? g != m : 1, g);
    strcpy(g + 2 * 4096, "third page");
    char buf[32] = {0};
    pread(fd, buf, 10, 2 * 4096);
    printf("pread of page 3 after mremap: %s\n", buf);
    pwrite(fd, "FIRST", 5, 0);
    printf("moved mapping sees pwrite: %.10s\n", g);
    pid_t c = fork();
    if (c == 0) {
        memcpy(g + 4096, "child", 5);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 5, 4096);
    printf("child's store in the grown part: %s\n", buf);

    /* Shrinking the file zeroes the rest of its last page. */
    ftruncate(fd, 5);
    printf("after truncate to 5: %.5s, byte 6 is %d\n", g, g[6]);
    munmap(g, 3 * 4096);
    if (block != MAP_FAILED)
        munmap(block, 4096);
    struct stat st;
    fstat(fd, &st);
    printf("size %lld\n", (long long)st.st_size);
    close(fd);
    unlink(path);

    /* Shared anonymous memory moved by mremap stays shared. (Growing it
     * is not portable: on Linux the pages past the original size are past
     * the end of its shmem object and give SIGBUS.) */
    char *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    strcpy(s, "anon");
    char *to = mmap(NULL, 3 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *s2 = mremap(s, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, to + 4096);
    printf("moved to the given address: %d, keeps: %s\n", s2 == to + 4096, s2);
    c = fork();
    if (c == 0) {
        strcpy(s2, "ANON");
        _exit(0);
    }
    waitpid(c, NULL, 0);
    printf("shared anon after mremap: %s\n", s2);
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
    if (!strcmp(what, "mapfile"))
        return mapfile();
    if (!strcmp(what, "mapgrow"))
        return mapgrow();
    fprintf(stderr, "usage: sharing mapshared|unlinked|devfd|times|sendfile|mapfile|mapgrow\n");
    return 2;
}
