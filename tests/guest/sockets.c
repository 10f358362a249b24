/* AF_UNIX sockets, one scenario per argv[1]. Output is deterministic:
 * names that must be unique on the oracle's host carry the pid, and only
 * whether they round-trip is printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/uio.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(const char *what, int r) {
    printf("%s: %s\n", what, r < 0 ? strerror(errno) : "ok");
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *tag) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "friscy-%s-%d", tag, (int)getpid());
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static int pair(void) {
    int sv[2];
    check("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    struct stat st;
    fstat(sv[0], &st);
    printf("fstat is socket: %d\n", S_ISSOCK(st.st_mode));
    int type = 0;
    socklen_t len = sizeof type;
    getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len);
    printf("SO_TYPE=%d len=%u\n", type, (unsigned)len);
    struct sockaddr_un peer;
    len = sizeof peer;
    check("getpeername", getpeername(sv[0], (struct sockaddr *)&peer, &len));
    printf("peer family=%d len=%u\n", peer.sun_family, (unsigned)len);

    struct pollfd p = {.fd = sv[1], .events = POLLIN | POLLOUT};
    printf("poll before write: %d revents=%#x\n", poll(&p, 1, 0), p.revents);
    write(sv[0], "hello ", 6);
    write(sv[0], "world", 5);
    printf("poll after write: %d revents=%#x\n", poll(&p, 1, 0), p.revents);
    char buf[64] = {0};
    ssize_t n = read(sv[1], buf, sizeof buf);
    printf("stream read %zd: %.*s\n", n, (int)n, buf);
    write(sv[1], "back", 4);
    n = recv(sv[0], buf, sizeof buf, 0);
    printf("reverse read %zd: %.*s\n", n, (int)n, buf);

    check("shutdown SHUT_WR", shutdown(sv[0], SHUT_WR));
    n = read(sv[1], buf, sizeof buf);
    printf("read after peer shutdown: %zd\n", n);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    n = write(sv[0], "x", 1);
    printf("write after own shutdown: %zd %s\n", n, strerror(errno));
    close(sv[1]);
    n = read(sv[0], buf, sizeof buf);
    printf("read after peer close: %zd\n", n);
    close(sv[0]);

    check("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
    printf("cloexec: %d\n", fcntl(sv[0], F_GETFD) & FD_CLOEXEC);
    send(sv[0], "one", 3, 0);
    send(sv[0], "second", 6, 0);
    n = recv(sv[1], buf, 2, 0);
    printf("dgram truncated read %zd: %.*s\n", n, (int)n, buf);
    n = recv(sv[1], buf, sizeof buf, 0);
    printf("dgram next read %zd: %.*s\n", n, (int)n, buf);
    close(sv[0]);
    close(sv[1]);

    check("socketpair seqpacket nonblock",
          socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv));
    errno = 0;
    n = recv(sv[1], buf, sizeof buf, 0);
    printf("empty nonblocking read: %zd %s\n", n, strerror(errno));
    send(sv[0], "abc", 3, 0);
    send(sv[0], "defg", 4, 0);
    n = recv(sv[1], buf, sizeof buf, MSG_PEEK);
    printf("peek %zd: %.*s\n", n, (int)n, buf);
    n = recv(sv[1], buf, sizeof buf, 0);
    printf("seqpacket read %zd: %.*s\n", n, (int)n, buf);
    n = recv(sv[1], buf, sizeof buf, 0);
    printf("seqpacket read %zd: %.*s\n", n, (int)n, buf);
    close(sv[0]);
    close(sv[1]);
    return 0;
}

/* A listening socket, then a forked client per name kind: an abstract
 * name and a path in /tmp. The server echoes each line in upper case. */
static int serve_one(int ls) {
    int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
        printf("accept: %s\n", strerror(errno));
        return 1;
    }
    char buf[128];
    ssize_t n;
    while ((n = read(c, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] >= 'a' && buf[i] <= 'z')
                buf[i] -= 32;
        write(c, buf, n);
    }
    close(c);
    return 0;
}

static void client(const struct sockaddr_un *a, socklen_t len) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(s, (const struct sockaddr *)a, len) < 0) {
        printf("child connect: %s\n", strerror(errno));
        _exit(1);
    }
    const char *msgs[] = {"ping one", "ping two", "last"};
    for (int i = 0; i < 3; i++) {
        char buf[64];
        write(s, msgs[i], strlen(msgs[i]));
        ssize_t n = read(s, buf, sizeof buf);
        printf("child got %zd: %.*s\n", n, (int)n, buf);
        fflush(stdout);
    }
    struct sockaddr_un peer;
    socklen_t plen = sizeof peer;
    getpeername(s, (struct sockaddr *)&peer, &plen);
    printf("child peername matches: %d\n", plen == len && memcmp(&peer, a, len) == 0);
    fflush(stdout);
    close(s);
    _exit(0);
}

static int echo_over(const struct sockaddr_un *a, socklen_t len, const char *kind) {
    printf("-- %s name\n", kind);
    fflush(stdout);
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    check("bind", bind(ls, (const struct sockaddr *)a, len));
    check("listen", listen(ls, 4));
    struct sockaddr_un got;
    socklen_t glen = sizeof got;
    getsockname(ls, (struct sockaddr *)&got, &glen);
    printf("sockname matches: %d\n", glen == len && memcmp(&got, a, len) == 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        client(a, len);
    serve_one(ls);
    int st = 0;
    waitpid(pid, &st, 0);
    printf("client exit %d\n", WEXITSTATUS(st));
    close(ls);
    return 0;
}

static int echo(void) {
    struct sockaddr_un a;
    socklen_t len = abstract_addr(&a, "echo");
    echo_over(&a, len, "abstract");

    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "/tmp/friscy-echo-%d.sock", (int)getpid());
    unlink(a.sun_path);
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a.sun_path) + 1);
    echo_over(&a, len, "path");
    struct stat st;
    printf("path is socket: %d\n", stat(a.sun_path, &st) == 0 && S_ISSOCK(st.st_mode));
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    check("bind to an existing path", bind(s, (struct sockaddr *)&a, len));
    check("connect to a closed name", connect(s, (struct sockaddr *)&a, len));
    errno = 0;
    int fd = open(a.sun_path, O_RDONLY);
    printf("open a socket file: %d %s\n", fd < 0 ? -1 : 0, strerror(errno));
    unlink(a.sun_path);
    close(s);
    return 0;
}

static int errors(void) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, "/nonexistent-friscy/socket");
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check("connect to a missing path", connect(s, (struct sockaddr *)&a, sizeof a));
    strcpy(a.sun_path, "/tmp");
    check("connect to a directory", connect(s, (struct sockaddr *)&a, sizeof a));
    socklen_t len = abstract_addr(&a, "nobody");
    check("connect to an unbound abstract name", connect(s, (struct sockaddr *)&a, len));
    check("listen unbound", listen(s, 1));
    char c;
    check("recv unconnected", (int)recv(s, &c, 1, 0));
    struct sockaddr_un peer;
    socklen_t plen = sizeof peer;
    check("getpeername unconnected", getpeername(s, (struct sockaddr *)&peer, &plen));
    check("socket bad protocol", socket(AF_UNIX, SOCK_STREAM, 7));
    /* A pipe of our own: fd 1 may itself be a socket (node's child stdio). */
    int pp[2];
    if (pipe(pp) == 0) {
        check("getsockopt on a pipe", getsockopt(pp[0], SOL_SOCKET, SO_TYPE, &c, &plen));
        close(pp[0]);
        close(pp[1]);
    }
    close(s);

    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    len = abstract_addr(&a, "nb");
    bind(ls, (struct sockaddr *)&a, len);
    listen(ls, 1);
    check("nonblocking accept", accept(ls, NULL, NULL));
    struct pollfd p = {.fd = ls, .events = POLLIN};
    printf("poll listener: %d\n", poll(&p, 1, 0));
    int c1 = socket(AF_UNIX, SOCK_STREAM, 0);
    check("connect", connect(c1, (struct sockaddr *)&a, len));
    printf("poll listener: %d revents=%#x\n", poll(&p, 1, 0), p.revents);
    int c2 = accept(ls, NULL, NULL);
    printf("accepted: %d\n", c2 >= 0);
    struct ucred cr;
    socklen_t crl = sizeof cr;
    getsockopt(c2, SOL_SOCKET, SO_PEERCRED, &cr, &crl);
    printf("peercred pid matches: %d\n", cr.pid == getpid());
    close(c1);
    close(c2);
    close(ls);
    return 0;
}

static int rights(void) {
    int sv[2], pfd[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(pfd);
    write(pfd[1], "through the pipe", 16);
    close(pfd[1]);
    char data = 'x';
    struct iovec iov = {.iov_base = &data, .iov_len = 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pfd[0], sizeof(int));
    printf("sendmsg: %zd\n", sendmsg(sv[0], &m, 0));
    close(pfd[0]);

    pid_t pid = fork();
    if (pid == 0) {
        char got;
        struct iovec riov = {.iov_base = &got, .iov_len = 1};
        memset(&u, 0, sizeof u);
        struct msghdr r = {.msg_iov = &riov, .msg_iovlen = 1, .msg_control = u.buf,
                           .msg_controllen = sizeof u.buf};
        ssize_t n = recvmsg(sv[1], &r, MSG_CMSG_CLOEXEC);
        struct cmsghdr *rc = CMSG_FIRSTHDR(&r);
        printf("child recvmsg %zd '%c' flags=%d cmsg=%d\n", n, got, r.msg_flags,
               rc && rc->cmsg_type == SCM_RIGHTS && rc->cmsg_len == CMSG_LEN(sizeof(int)));
        int fd;
        memcpy(&fd, CMSG_DATA(rc), sizeof fd);
        printf("passed fd cloexec: %d\n", fcntl(fd, F_GETFD) & FD_CLOEXEC);
        char buf[64];
        n = read(fd, buf, sizeof buf);
        printf("read from passed fd %zd: %.*s\n", n, (int)n, buf);
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("child exit %d\n", WEXITSTATUS(st));
    return 0;
}

static int dgram(void) {
    struct sockaddr_un a, b, from;
    socklen_t alen = abstract_addr(&a, "dga"), blen = abstract_addr(&b, "dgb");
    int sa = socket(AF_UNIX, SOCK_DGRAM, 0), sb = socket(AF_UNIX, SOCK_DGRAM, 0);
    check("bind a", bind(sa, (struct sockaddr *)&a, alen));
    check("bind b", bind(sb, (struct sockaddr *)&b, blen));
    printf("sendto: %zd\n", sendto(sa, "to b", 4, 0, (struct sockaddr *)&b, blen));
    char buf[32];
    socklen_t flen = sizeof from;
    ssize_t n = recvfrom(sb, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    printf("recvfrom %zd: %.*s, sender matches: %d\n", n, (int)n, buf,
           flen == alen && memcmp(&from, &a, alen) == 0);
    check("connect b to a", connect(sb, (struct sockaddr *)&a, alen));
    printf("send: %zd\n", send(sb, "reply", 5, 0));
    n = recv(sa, buf, sizeof buf, MSG_DONTWAIT);
    printf("recv %zd: %.*s\n", n, (int)n, buf);
    errno = 0;
    n = recv(sa, buf, sizeof buf, MSG_DONTWAIT);
    printf("recv empty: %zd %s\n", n, strerror(errno));
    close(sa);
    close(sb);
    return 0;
}

static void setup_mmsg(struct mmsghdr *m, struct iovec *iov, char (*bufs)[16], int n, int small) {
    memset(m, 0, sizeof *m * n);
    for (int i = 0; i < n; i++) {
        memset(bufs[i], 0, 16);
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = i == small ? 3 : 15;
        m[i].msg_hdr.msg_iov = &iov[i];
        m[i].msg_hdr.msg_iovlen = 1;
    }
}

static void show_mmsg(const char *what, int n, struct mmsghdr *m, char (*bufs)[16]) {
    if (n < 0) {
        printf("%s: %s\n", what, strerror(errno));
        return;
    }
    printf("%s: %d\n", what, n);
    for (int i = 0; i < n; i++)
        printf("  [%d] len %u trunc %d '%s'\n", i, m[i].msg_len,
               (m[i].msg_hdr.msg_flags & MSG_TRUNC) != 0, bufs[i]);
}

/* sendmmsg/recvmmsg: batches with per-message lengths, truncation,
 * MSG_WAITFORONE, non-blocking, a stream socket, and errors. */
static int mmsg(void) {
    int sv[2];
    check("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    const char *words[] = {"one", "two!", "three", "four"};
    struct iovec iov[4];
    struct mmsghdr out[4];
    memset(out, 0, sizeof out);
    for (int i = 0; i < 4; i++) {
        iov[i].iov_base = (void *)words[i];
        iov[i].iov_len = strlen(words[i]);
        out[i].msg_hdr.msg_iov = &iov[i];
        out[i].msg_hdr.msg_iovlen = 1;
    }
    int n = sendmmsg(sv[0], out, 4, 0);
    printf("sendmmsg: %d lens %u %u %u %u\n", n, out[0].msg_len, out[1].msg_len,
           out[2].msg_len, out[3].msg_len);
    printf("sendmmsg of none: %d\n", sendmmsg(sv[0], out, 0, 0));

    char bufs[4][16];
    struct iovec riov[4];
    struct mmsghdr in[4];
    setup_mmsg(in, riov, bufs, 4, 2);
    show_mmsg("recvmmsg 3", recvmmsg(sv[1], in, 3, 0, NULL), in, bufs);
    setup_mmsg(in, riov, bufs, 4, -1);
    show_mmsg("recvmmsg waitforone", recvmmsg(sv[1], in, 4, MSG_WAITFORONE, NULL), in, bufs);
    setup_mmsg(in, riov, bufs, 4, -1);
    show_mmsg("recvmmsg empty", recvmmsg(sv[1], in, 4, MSG_DONTWAIT, NULL), in, bufs);

    /* With a timeout, the messages that are there. */
    sendmmsg(sv[0], out, 2, 0);
    struct timespec ts = {1, 0};
    setup_mmsg(in, riov, bufs, 4, -1);
    show_mmsg("recvmmsg timeout", recvmmsg(sv[1], in, 2, 0, &ts), in, bufs);

    /* The first message is waited for. */
    pid_t c = fork();
    if (c == 0) {
        struct timespec d = {0, 20 * 1000 * 1000};
        nanosleep(&d, NULL);
        sendmmsg(sv[0], out, 3, 0);
        _exit(0);
    }
    setup_mmsg(in, riov, bufs, 4, -1);
    n = recvmmsg(sv[1], in, 4, MSG_WAITFORONE, NULL);
    printf("blocking recvmmsg: at least one %d, first '%s'\n", n >= 1, bufs[0]);
    waitpid(c, NULL, 0);
    int rest = n;
    while (rest < 3) {
        setup_mmsg(in, riov, bufs, 4, -1);
        int m = recvmmsg(sv[1], in, 4, MSG_DONTWAIT, NULL);
        if (m <= 0)
            break;
        rest += m;
    }
    printf("all three arrived: %d\n", rest == 3);

    /* Errors. */
    errno = 0;
    printf("bad fd: %d %s\n", sendmmsg(99, out, 1, 0), strerror(errno));
    int p[2];
    pipe(p);
    errno = 0;
    printf("not a socket: %d %s\n", recvmmsg(p[0], in, 1, 0, NULL), strerror(errno));
    close(sv[0]);
    close(sv[1]);

    /* A stream: the messages are bytes in order. */
    check("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    printf("stream sendmmsg: %d\n", sendmmsg(sv[0], out, 4, 0));
    char all[32] = {0};
    printf("stream read: %zd '%s'\n", read(sv[1], all, sizeof all - 1), all);
    close(sv[1]);
    errno = 0;
    printf("peer gone: %d %s\n", sendmmsg(sv[0], out, 2, MSG_NOSIGNAL), strerror(errno));
    close(sv[0]);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "pair"))
        return pair();
    if (!strcmp(what, "echo"))
        return echo();
    if (!strcmp(what, "errors"))
        return errors();
    if (!strcmp(what, "rights"))
        return rights();
    if (!strcmp(what, "dgram"))
        return dgram();
    if (!strcmp(what, "mmsg"))
        return mmsg();
    fprintf(stderr, "usage: sockets pair|echo|errors|rights|dgram|mmsg\n");
    return 2;
}
