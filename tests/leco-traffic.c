/*
 * leco-traffic - deterministic traffic generator for the LECO kernel tests.
 *
 * Generates exactly known traffic so that tests can compare the byte counts
 * recorded by the eBPF hooks with what the syscalls really transferred. All
 * traffic goes to the addresses given on the command line (loopback or
 * addresses inside the test's network namespaces).
 *
 * Usage: leco-traffic MODE [options]
 *
 * Addresses are "ADDR PORT" pairs (ADDR: numeric IPv4 or IPv6, resolved with
 * getaddrinfo(AI_NUMERICHOST)); ping and raw-send take a single ADDR.
 *
 * Modes:
 *   tcp-server   --listen ADDR PORT [--count-conns N] [--method M] [--bytes B]
 *                Prints "listening port=P" once listening, then handles N
 *                connections one after another: receive exactly B bytes,
 *                send exactly B bytes back, shutdown(SHUT_WR), read to EOF.
 *                --count-conns 0: as many as come, until none arrived for the
 *                timeout (then timed_out=1 and exit status 0).
 *   tcp-client   --connect ADDR PORT [--method M] [--bytes B] [--bind-port P]
 *                Connect, send exactly B bytes, receive exactly B bytes, wait
 *                for EOF, close.
 *   udp-send     --to ADDR PORT [--to ADDR PORT ...] [--count N] [--size S]
 *                [--connected] [--bind-port P]
 *                One socket; sendto() each destination N times, or connect()
 *                to the first destination and send() N datagrams.
 *                ECONNREFUSED on a connected socket is counted, not fatal.
 *   udp-echo     --listen ADDR PORT [--count N]
 *                Prints "listening port=P", echoes up to N datagrams (default:
 *                until no datagram arrived for the timeout).
 *   ping         --to ADDR [--count N] [--size S] [--connected]
 *                ICMP echo over a ping socket (SOCK_DGRAM, IPPROTO_ICMP[V6]),
 *                falling back to SOCK_RAW if ping_group_range forbids it.
 *   raw-send     --to ADDR [--proto P] [--count N] [--size S] [--connected]
 *                [--sendmsg]
 *                SOCK_RAW packets of protocol P (default 253) with S bytes of
 *                payload each; unconnected with sendto(), or sendmsg() and
 *                msg_name with --sendmsg.
 *   connect-only --connect ADDR PORT [--proto tcp|udp] [--nonblock-wait-ms W]
 *                [--bind-port P]
 *                One connect(); the result is reported as errno=NAME and the
 *                exit status is 0 whatever connect() returned.
 *   short-lived  --to ADDR PORT [--size S]
 *                A forked child sends one UDP datagram and starts one
 *                non-blocking TCP connect, then _exit(0)s at once.
 *   udp-flood    --to ADDR PORT --count N [--size S] [--connected]
 *                N datagrams as fast as possible, bounded by the timeout.
 *   tcp-churn    --connect ADDR PORT --count N [--bytes B] [--duration-ms D]
 *                [--method M]
 *                Up to N short connections one after another, stopping
 *                after D ms: each connects, sends exactly B bytes, receives
 *                exactly B bytes, waits for EOF and closes (a tcp-server
 *                with the same --bytes on the other side).  Reports conns=,
 *                tx= and rx= exactly, and the rate.
 *   udp-storm    --to ADDR PORT [--ports N] [--rate R] [--duration-ms D]
 *                [--count C] [--size S]
 *                Unconnected datagrams to ports PORT..PORT+N-1 in turn, R
 *                per second (0: as fast as possible), for D ms or C
 *                datagrams.  A send refused with EPERM/EACCES (a firewall
 *                drop, a cgroup filter) is counted as blocked= and the storm
 *                goes on; ENOBUFS/EAGAIN/ECONNREFUSED as send_errors=.
 *
 * Send methods (--method, default write) and their receive twins:
 *   write->read  send->recv  sendmsg->recvmsg (3 iovecs)
 *   sendmmsg->recvmmsg (several msghdrs per call)  sendfile->read (memfd)
 *   splice->splice (vmsplice+splice out; splice into a pipe+read on receive)
 *   io_uring->io_uring (IORING_OP_SEND / IORING_OP_RECV)
 * --recv-method overrides the receive side (read, recv, recvmsg, recvmmsg,
 * splice, io_uring).
 *
 * Common options:
 *   --timeout-ms MS  timeout of every blocking operation (default 10000)
 *   --wait-file PATH before the first socket is created, wait (10 ms steps,
 *                    bounded by the timeout) until PATH exists
 *   --comm NAME      prctl(PR_SET_NAME) at start
 *   --cgroup PATH    write our pid to PATH/cgroup.procs at start
 *
 * Output: servers print "listening port=P" as soon as they listen. Every mode
 * ends with ONE line of key=value pairs on stdout, starting with pid= and
 * comm= and ending with errno= (0 on success, else the errno name of the
 * failure; for connect-only the result of connect()). IPv6 addresses are
 * printed as [ADDR]:PORT. tx/rx are sums of the syscall return values.
 * Exit status: 0 success, 1 runtime failure (message on stderr), 2 usage.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <liburing.h>
#include <netdb.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef ICMP_FILTER
#define ICMP_FILTER 1 /* from <linux/icmp.h>, which clashes with glibc */
#endif

#define CHUNK_SIZE          (64U * 1024U)
#define PAGE_ALIGN          4096U
#define MMSG_PARTS          4U
#define MSG_PARTS           3U
#define MAX_DESTS           16U
#define MAX_DGRAM_SIZE      65535U
#define ICMP_ECHO_HDR_LEN   8U
#define DEFAULT_TIMEOUT_MS  10000U
#define DEFAULT_BYTES       1000000U
#define DEFAULT_UDP_SIZE    64U
#define DEFAULT_PING_SIZE   56U
#define DEFAULT_RAW_PROTO   253
#define UDP_ECHO_MAX        (1U << 20) /* bound of udp-echo without --count */
#define WAIT_STEP_MS        10U
#define ADDR_STRLEN         (NI_MAXHOST + NI_MAXSERV + 4)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

enum {
        EXIT_RUNTIME = 1,
        EXIT_USAGE = 2,
};

/* ------------------------------------------------------------------------ */
/* Logging, reporting, small helpers                                         */

static int log_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "leco-traffic: MSG: strerror" to stderr and returns -|err|. */
static int log_errno(int err, const char *fmt, ...) {
        va_list ap;

        err = err < 0 ? -err : err;
        fputs("leco-traffic: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        if (err != 0)
                fprintf(stderr, ": %s", strerror(err));
        fputc('\n', stderr);
        return -err;
}

static const char *errno_name(int err) {
        static char buf[16];
        const char *name;

        if (err == 0)
                return "0";
        name = strerrorname_np(err);
        if (name)
                return name;
        snprintf(buf, sizeof(buf), "E%d", err);
        return buf;
}

struct report {
        char line[4096];
        size_t len;
        int err; /* positive errno printed as errno=, 0 on success */
};

static void report_add(struct report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends " key=value" (fmt must contain the key) to the final line. */
static void report_add(struct report *rep, const char *fmt, ...) {
        size_t left = sizeof(rep->line) - rep->len;
        va_list ap;
        int n;

        if (left < 2)
                return;
        rep->line[rep->len++] = ' ';
        left--;
        va_start(ap, fmt);
        n = vsnprintf(rep->line + rep->len, left, fmt, ap);
        va_end(ap);
        if (n > 0)
                rep->len += MIN((size_t) n, left - 1);
}

static uint64_t now_ns(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static void sleep_ms(unsigned ms) {
        struct timespec ts = {
                .tv_sec = ms / 1000,
                .tv_nsec = (long) (ms % 1000) * 1000000L,
        };

        nanosleep(&ts, NULL);
}

static void fill_pattern(uint8_t *buf, size_t len, unsigned seed) {
        for (size_t i = 0; i < len; i++)
                buf[i] = (uint8_t) ('a' + (i + seed) % 26);
}

static void get_comm(char buf[static 17]) {
        memset(buf, 0, 17);
        if (prctl(PR_GET_NAME, buf) < 0)
                strcpy(buf, "?");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *ret) {
        unsigned long long v;
        char *end;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0' || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

/* ------------------------------------------------------------------------ */
/* Addresses and sockets                                                     */

struct endpoint {
        struct sockaddr_storage addr;
        socklen_t len;
};

static int endpoint_parse(const char *host, const char *port, struct endpoint *ep) {
        struct addrinfo hints = {
                .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                .ai_family = AF_UNSPEC,
                .ai_socktype = SOCK_DGRAM,
        };
        struct addrinfo *res = NULL;
        uint64_t p;
        int r;

        if (port && parse_u64(port, UINT16_MAX, &p) < 0) {
                log_errno(0, "invalid port '%s'", port);
                return -EINVAL;
        }

        r = getaddrinfo(host, port, &hints, &res);
        if (r != 0) {
                log_errno(0, "invalid numeric address '%s': %s", host, gai_strerror(r));
                return -EINVAL;
        }
        if (res->ai_addrlen > sizeof(ep->addr)) {
                freeaddrinfo(res);
                log_errno(0, "address '%s' too long", host);
                return -EINVAL;
        }

        memset(ep, 0, sizeof(*ep));
        memcpy(&ep->addr, res->ai_addr, res->ai_addrlen);
        ep->len = res->ai_addrlen;
        freeaddrinfo(res);
        return 0;
}

static int endpoint_family(const struct endpoint *ep) {
        return ep->addr.ss_family;
}

/* Wildcard address of the endpoint's family with the given port. */
static struct endpoint endpoint_any(int family, uint16_t port) {
        struct endpoint ep = { 0 };

        if (family == AF_INET6) {
                struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &ep.addr;

                sin6->sin6_family = AF_INET6;
                sin6->sin6_addr = in6addr_any;
                sin6->sin6_port = htons(port);
                ep.len = sizeof(*sin6);
        } else {
                struct sockaddr_in *sin = (struct sockaddr_in *) &ep.addr;

                sin->sin_family = AF_INET;
                sin->sin_addr.s_addr = htonl(INADDR_ANY);
                sin->sin_port = htons(port);
                ep.len = sizeof(*sin);
        }
        return ep;
}

static uint16_t endpoint_port(const struct endpoint *ep) {
        if (ep->addr.ss_family == AF_INET6)
                return ntohs(((const struct sockaddr_in6 *) &ep->addr)->sin6_port);
        if (ep->addr.ss_family == AF_INET)
                return ntohs(((const struct sockaddr_in *) &ep->addr)->sin_port);
        return 0;
}

/* "1.2.3.4:80" or "[::1]:80"; "none" if there is no address. */
static const char *endpoint_fmt(const struct endpoint *ep, char buf[static ADDR_STRLEN]) {
        char host[NI_MAXHOST], serv[NI_MAXSERV];
        int family = ep->addr.ss_family;

        if (ep->len == 0 || (family != AF_INET && family != AF_INET6))
                return "none";
        if (getnameinfo((const struct sockaddr *) &ep->addr, ep->len, host, sizeof(host),
                        serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
                return "invalid";
        snprintf(buf, ADDR_STRLEN, family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
        return buf;
}

static struct endpoint fd_local(int fd) {
        struct endpoint ep = { .len = sizeof(ep.addr) };

        if (getsockname(fd, (struct sockaddr *) &ep.addr, &ep.len) < 0)
                ep.len = 0;
        return ep;
}

static struct endpoint fd_peer(int fd) {
        struct endpoint ep = { .len = sizeof(ep.addr) };

        if (getpeername(fd, (struct sockaddr *) &ep.addr, &ep.len) < 0)
                ep.len = 0;
        return ep;
}

static void report_endpoint(struct report *rep, const char *key, const struct endpoint *ep) {
        char buf[ADDR_STRLEN];

        report_add(rep, "%s=%s", key, endpoint_fmt(ep, buf));
}

static int set_timeouts(int fd, unsigned timeout_ms) {
        struct timeval tv = {
                .tv_sec = timeout_ms / 1000,
                .tv_usec = (suseconds_t) (timeout_ms % 1000) * 1000,
        };

        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;
        return 0;
}

/* socket() with SOCK_CLOEXEC and both timeouts set; returns fd or -errno. */
static int socket_open(int family, int type, int proto, unsigned timeout_ms) {
        int fd, r;

        fd = socket(family, type | SOCK_CLOEXEC, proto);
        if (fd < 0)
                return -errno;
        r = set_timeouts(fd, timeout_ms);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

static int set_reuseaddr(int fd) {
        int one = 1;

        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return -errno;
        return 0;
}

static int bind_endpoint(int fd, const struct endpoint *ep) {
        char buf[ADDR_STRLEN];

        if (set_reuseaddr(fd) < 0 || bind(fd, (const struct sockaddr *) &ep->addr, ep->len) < 0)
                return log_errno(-errno, "bind to %s failed", endpoint_fmt(ep, buf));
        return 0;
}

static int bind_port(int fd, int family, uint16_t port) {
        struct endpoint any = endpoint_any(family, port);

        return bind_endpoint(fd, &any);
}

static void print_listening(int fd) {
        struct endpoint local = fd_local(fd);

        printf("listening port=%u\n", endpoint_port(&local));
        fflush(stdout);
}

static void safe_close(int *fd) {
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

/* ------------------------------------------------------------------------ */
/* TCP stream transfer methods                                               */

struct stream {
        int fd;
        unsigned timeout_ms;
        uint8_t *txbuf;      /* CHUNK_SIZE bytes, page aligned, pattern */
        uint8_t *rxbuf;      /* CHUNK_SIZE bytes */
        int memfd;           /* sendfile source, holds exactly --bytes bytes */
        off_t memfd_off;
        int pipefd[2];       /* splice; empty between calls */
        struct io_uring ring;
        bool have_ring;
        bool recvmmsg_fallback;
};

enum {
        NEED_MEMFD = 1U << 0,
        NEED_PIPE = 1U << 1,
        NEED_RING = 1U << 2,
};

/* Transfer functions move at most len (<= CHUNK_SIZE) bytes and return the
 * number of bytes moved, 0 on EOF (receive side) or -errno. */
typedef ssize_t (*xfer_fn)(struct stream *s, size_t len);

struct send_method {
        const char *name;
        xfer_fn fn;
        const char *recv_twin;
        unsigned needs;
};

struct recv_method {
        const char *name;
        xfer_fn fn;
        unsigned needs;
};

static ssize_t ret_errno(ssize_t n) {
        return n < 0 ? -errno : n;
}

/* Splits buf[0..len) into up to n iovecs of roughly equal size. */
static size_t split_iov(struct iovec *iov, size_t n, uint8_t *buf, size_t len) {
        size_t part = (len + n - 1) / n, off = 0, i = 0;

        for (; i < n && off < len; i++) {
                size_t l = MIN(part, len - off);

                iov[i] = (struct iovec) { .iov_base = buf + off, .iov_len = l };
                off += l;
        }
        return i;
}

static ssize_t uring_complete(struct stream *s) {
        struct __kernel_timespec ts = {
                .tv_sec = s->timeout_ms / 1000,
                .tv_nsec = (long long) (s->timeout_ms % 1000) * 1000000LL,
        };
        struct io_uring_cqe *cqe;
        ssize_t res;
        int r;

        r = io_uring_submit(&s->ring);
        if (r < 0)
                return r;
        if (r != 1)
                return -EIO;
        r = io_uring_wait_cqe_timeout(&s->ring, &cqe, &ts);
        if (r == -ETIME)
                return -ETIMEDOUT;
        if (r < 0)
                return r;
        res = cqe->res;
        io_uring_cqe_seen(&s->ring, cqe);
        return res;
}

static ssize_t send_write(struct stream *s, size_t len) {
        return ret_errno(write(s->fd, s->txbuf, len));
}

static ssize_t send_send(struct stream *s, size_t len) {
        return ret_errno(send(s->fd, s->txbuf, len, MSG_NOSIGNAL));
}

static ssize_t send_sendmsg(struct stream *s, size_t len) {
        struct iovec iov[MSG_PARTS];
        struct msghdr msg = {
                .msg_iov = iov,
                .msg_iovlen = split_iov(iov, MSG_PARTS, s->txbuf, len),
        };

        return ret_errno(sendmsg(s->fd, &msg, MSG_NOSIGNAL));
}

static ssize_t send_sendmmsg(struct stream *s, size_t len) {
        struct mmsghdr msgs[MMSG_PARTS] = { 0 };
        struct iovec iov[MMSG_PARTS];
        size_t n = split_iov(iov, MMSG_PARTS, s->txbuf, len);
        ssize_t total = 0;
        int r;

        for (size_t i = 0; i < n; i++) {
                msgs[i].msg_hdr.msg_iov = &iov[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
        }
        r = sendmmsg(s->fd, msgs, (unsigned) n, MSG_NOSIGNAL);
        if (r < 0)
                return -errno;
        for (int i = 0; i < r; i++)
                total += msgs[i].msg_len;
        return total;
}

static ssize_t send_sendfile(struct stream *s, size_t len) {
        return ret_errno(sendfile(s->fd, s->memfd, &s->memfd_off, len));
}

static ssize_t send_splice(struct stream *s, size_t len) {
        struct iovec iov = { .iov_base = s->txbuf, .iov_len = len };
        ssize_t n;

        n = vmsplice(s->pipefd[1], &iov, 1, 0);
        if (n <= 0)
                return n < 0 ? -errno : -EIO;
        for (size_t left = (size_t) n; left > 0;) {
                ssize_t k = splice(s->pipefd[0], NULL, s->fd, NULL, left, SPLICE_F_MOVE);

                if (k <= 0)
                        return k < 0 ? -errno : -EIO;
                left -= (size_t) k;
        }
        return n;
}

static ssize_t send_uring(struct stream *s, size_t len) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);

        if (!sqe)
                return -EBUSY;
        io_uring_prep_send(sqe, s->fd, s->txbuf, len, MSG_NOSIGNAL);
        return uring_complete(s);
}

static ssize_t recv_read(struct stream *s, size_t len) {
        return ret_errno(read(s->fd, s->rxbuf, len));
}

static ssize_t recv_recv(struct stream *s, size_t len) {
        return ret_errno(recv(s->fd, s->rxbuf, len, 0));
}

static ssize_t recv_recvmsg(struct stream *s, size_t len) {
        struct iovec iov[MSG_PARTS];
        struct msghdr msg = {
                .msg_iov = iov,
                .msg_iovlen = split_iov(iov, MSG_PARTS, s->rxbuf, len),
        };

        return ret_errno(recvmsg(s->fd, &msg, 0));
}

/* MSG_WAITFORONE: block for the first msghdr only, so a stream socket never
 * waits for more than what is already queued after the first chunk. */
static ssize_t recv_recvmmsg(struct stream *s, size_t len) {
        struct mmsghdr msgs[MMSG_PARTS] = { 0 };
        struct iovec iov[MMSG_PARTS];
        size_t n = split_iov(iov, MMSG_PARTS, s->rxbuf, len);
        ssize_t total = 0;
        int r;

        if (s->recvmmsg_fallback)
                return recv_recvmsg(s, len);

        for (size_t i = 0; i < n; i++) {
                msgs[i].msg_hdr.msg_iov = &iov[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
        }
        r = recvmmsg(s->fd, msgs, (unsigned) n, MSG_WAITFORONE, NULL);
        if (r < 0 && (errno == EOPNOTSUPP || errno == ENOSYS)) {
                log_errno(errno, "recvmmsg on this socket unsupported, falling back to recvmsg");
                s->recvmmsg_fallback = true;
                return recv_recvmsg(s, len);
        }
        if (r < 0)
                return -errno;
        for (int i = 0; i < r; i++)
                total += msgs[i].msg_len;
        return total;
}

static ssize_t recv_splice(struct stream *s, size_t len) {
        ssize_t n;

        n = splice(s->fd, NULL, s->pipefd[1], NULL, len, SPLICE_F_MOVE);
        if (n <= 0)
                return n < 0 ? -errno : 0;
        for (size_t left = (size_t) n; left > 0;) {
                ssize_t k = read(s->pipefd[0], s->rxbuf, MIN(left, CHUNK_SIZE));

                if (k <= 0)
                        return k < 0 ? -errno : -EIO;
                left -= (size_t) k;
        }
        return n;
}

static ssize_t recv_uring(struct stream *s, size_t len) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);

        if (!sqe)
                return -EBUSY;
        io_uring_prep_recv(sqe, s->fd, s->rxbuf, len, 0);
        return uring_complete(s);
}

static const struct send_method send_methods[] = {
        { "write",    send_write,    "read",     0 },
        { "send",     send_send,     "recv",     0 },
        { "sendmsg",  send_sendmsg,  "recvmsg",  0 },
        { "sendmmsg", send_sendmmsg, "recvmmsg", 0 },
        { "sendfile", send_sendfile, "read",     NEED_MEMFD },
        { "splice",   send_splice,   "splice",   NEED_PIPE },
        { "io_uring", send_uring,    "io_uring", NEED_RING },
};

static const struct recv_method recv_methods[] = {
        { "read",     recv_read,     0 },
        { "recv",     recv_recv,     0 },
        { "recvmsg",  recv_recvmsg,  0 },
        { "recvmmsg", recv_recvmmsg, 0 },
        { "splice",   recv_splice,   NEED_PIPE },
        { "io_uring", recv_uring,    NEED_RING },
};

static const struct send_method *send_method_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(send_methods); i++)
                if (strcmp(send_methods[i].name, name) == 0)
                        return &send_methods[i];
        return NULL;
}

static const struct recv_method *recv_method_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(recv_methods); i++)
                if (strcmp(recv_methods[i].name, name) == 0)
                        return &recv_methods[i];
        return NULL;
}

static int memfd_filled(uint64_t bytes, const uint8_t *pattern) {
        int fd, r;

        fd = memfd_create("leco-traffic", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (uint64_t done = 0; done < bytes;) {
                ssize_t n = write(fd, pattern, (size_t) MIN(bytes - done, (uint64_t) CHUNK_SIZE));

                if (n <= 0) {
                        r = n < 0 ? -errno : -EIO;
                        close(fd);
                        return r;
                }
                done += (uint64_t) n;
        }
        return fd;
}

static void stream_free(struct stream *s) {
        if (s->have_ring)
                io_uring_queue_exit(&s->ring);
        s->have_ring = false;
        safe_close(&s->memfd);
        safe_close(&s->pipefd[0]);
        safe_close(&s->pipefd[1]);
        free(s->txbuf);
        free(s->rxbuf);
        s->txbuf = s->rxbuf = NULL;
}

/* Prepares buffers, memfd, pipe and ring as needed by the two methods. On
 * failure the stream must still be released with stream_free(). */
static int stream_setup(struct stream *s, const struct send_method *sm,
                        const struct recv_method *rm, uint64_t bytes, unsigned timeout_ms) {
        unsigned needs = sm->needs | rm->needs;
        int r;

        *s = (struct stream) {
                .fd = -1,
                .timeout_ms = timeout_ms,
                .memfd = -1,
                .pipefd = { -1, -1 },
        };

        s->txbuf = aligned_alloc(PAGE_ALIGN, CHUNK_SIZE);
        s->rxbuf = aligned_alloc(PAGE_ALIGN, CHUNK_SIZE);
        if (!s->txbuf || !s->rxbuf)
                return log_errno(-ENOMEM, "buffer allocation failed");
        fill_pattern(s->txbuf, CHUNK_SIZE, 0);

        if (needs & NEED_MEMFD) {
                s->memfd = memfd_filled(bytes, s->txbuf);
                if (s->memfd < 0)
                        return log_errno(s->memfd, "memfd for sendfile failed");
        }
        if ((needs & NEED_PIPE) && pipe2(s->pipefd, O_CLOEXEC) < 0)
                return log_errno(-errno, "pipe2 for splice failed");
        if (needs & NEED_RING) {
                r = io_uring_queue_init(8, &s->ring, 0);
                if (r < 0)
                        return log_errno(r, "io_uring_queue_init failed (kernel.io_uring_disabled?)");
                s->have_ring = true;
        }
        return 0;
}

static void stream_attach(struct stream *s, int fd) {
        s->fd = fd;
        s->memfd_off = 0;
}

/* Sends exactly want bytes; *total is increased by every byte sent. */
static int send_exact(struct stream *s, const struct send_method *m, uint64_t want, uint64_t *total) {
        for (uint64_t done = 0; done < want;) {
                ssize_t n = m->fn(s, (size_t) MIN(want - done, (uint64_t) CHUNK_SIZE));

                if (n == -EAGAIN)
                        n = -ETIMEDOUT;
                if (n < 0)
                        return log_errno((int) n, "%s: send failed after %" PRIu64 " of %" PRIu64 " bytes",
                                         m->name, done, want);
                if (n == 0)
                        return log_errno(-EIO, "%s: sent nothing after %" PRIu64 " of %" PRIu64 " bytes",
                                         m->name, done, want);
                done += (uint64_t) n;
                *total += (uint64_t) n;
        }
        return 0;
}

/* Receives exactly want bytes; *total is increased by every byte received. */
static int recv_exact(struct stream *s, const struct recv_method *m, uint64_t want, uint64_t *total) {
        for (uint64_t done = 0; done < want;) {
                ssize_t n = m->fn(s, (size_t) MIN(want - done, (uint64_t) CHUNK_SIZE));

                if (n == -EAGAIN)
                        n = -ETIMEDOUT;
                if (n < 0)
                        return log_errno((int) n, "%s: receive failed after %" PRIu64 " of %" PRIu64 " bytes",
                                         m->name, done, want);
                if (n == 0)
                        return log_errno(-ENODATA, "%s: peer closed after %" PRIu64 " of %" PRIu64 " bytes",
                                         m->name, done, want);
                done += (uint64_t) n;
                *total += (uint64_t) n;
        }
        return 0;
}

/* Expects EOF; any further data is an error (and still counted). */
static int wait_eof(struct stream *s, const struct recv_method *m, uint64_t *total) {
        ssize_t n = m->fn(s, CHUNK_SIZE);

        if (n == -EAGAIN)
                n = -ETIMEDOUT;
        if (n < 0)
                return log_errno((int) n, "%s: waiting for EOF failed", m->name);
        if (n > 0) {
                *total += (uint64_t) n;
                return log_errno(-EBADMSG, "%s: %zd unexpected bytes instead of EOF", m->name, n);
        }
        return 0;
}

/* ------------------------------------------------------------------------ */
/* Options                                                                   */

enum {
        OPT_LISTEN = 1U << 0,
        OPT_CONNECT = 1U << 1,
        OPT_TO = 1U << 2,
        OPT_COUNT_CONNS = 1U << 3,
        OPT_METHOD = 1U << 4,
        OPT_RECV_METHOD = 1U << 5,
        OPT_BYTES = 1U << 6,
        OPT_BIND_PORT = 1U << 7,
        OPT_COUNT = 1U << 8,
        OPT_SIZE = 1U << 9,
        OPT_CONNECTED = 1U << 10,
        OPT_PROTO = 1U << 11,
        OPT_NONBLOCK_WAIT = 1U << 12,
        OPT_TIMEOUT = 1U << 13,
        OPT_WAIT_FILE = 1U << 14,
        OPT_COMM = 1U << 15,
        OPT_CGROUP = 1U << 16,
        OPT_DURATION = 1U << 17,
        OPT_PORTS = 1U << 18,
        OPT_RATE = 1U << 19,
        OPT_SENDMSG = 1U << 20,
        OPT_GLOBAL = OPT_TIMEOUT | OPT_WAIT_FILE | OPT_COMM | OPT_CGROUP,
        OPT_ADDRESS = OPT_LISTEN | OPT_CONNECT | OPT_TO,
};

struct mode;

struct options {
        const struct mode *mode;
        unsigned seen;
        struct endpoint dests[MAX_DESTS];
        unsigned n_dests;
        const struct send_method *method;
        const struct recv_method *recv_method;
        uint64_t bytes;
        uint64_t count;
        uint64_t count_conns;
        uint64_t size;
        uint64_t bind_port;
        uint64_t nonblock_wait_ms;
        uint64_t duration_ms;
        uint64_t ports;
        uint64_t rate;
        int proto;
        bool connected;
        bool use_sendmsg;
        unsigned timeout_ms;
        const char *wait_file;
        const char *comm;
        const char *cgroup;
};

struct mode {
        const char *name;
        int (*run)(const struct options *o, struct report *rep);
        unsigned allowed;
        unsigned required;
        unsigned max_dests;
        bool addr_has_port; /* --to/--connect/--listen take ADDR PORT */
};

struct option_desc {
        const char *name;
        unsigned flag;
        unsigned nargs; /* for OPT_ADDRESS: depends on the mode */
};

static const struct option_desc option_descs[] = {
        { "--listen",           OPT_LISTEN,        2 },
        { "--connect",          OPT_CONNECT,       2 },
        { "--to",               OPT_TO,            2 },
        { "--count-conns",      OPT_COUNT_CONNS,   1 },
        { "--method",           OPT_METHOD,        1 },
        { "--recv-method",      OPT_RECV_METHOD,   1 },
        { "--bytes",            OPT_BYTES,         1 },
        { "--bind-port",        OPT_BIND_PORT,     1 },
        { "--count",            OPT_COUNT,         1 },
        { "--size",             OPT_SIZE,          1 },
        { "--connected",        OPT_CONNECTED,     0 },
        { "--sendmsg",          OPT_SENDMSG,       0 },
        { "--proto",            OPT_PROTO,         1 },
        { "--nonblock-wait-ms", OPT_NONBLOCK_WAIT, 1 },
        { "--timeout-ms",       OPT_TIMEOUT,       1 },
        { "--wait-file",        OPT_WAIT_FILE,     1 },
        { "--comm",             OPT_COMM,          1 },
        { "--cgroup",           OPT_CGROUP,        1 },
        { "--duration-ms",      OPT_DURATION,      1 },
        { "--ports",            OPT_PORTS,         1 },
        { "--rate",             OPT_RATE,          1 },
};

/* ------------------------------------------------------------------------ */
/* Process setup                                                             */

static int join_cgroup(const char *path) {
        char file[PATH_MAX], pid[32];
        int fd, len, r = 0;

        if (snprintf(file, sizeof(file), "%s/cgroup.procs", path) >= (int) sizeof(file))
                return log_errno(-ENAMETOOLONG, "cgroup path '%s'", path);
        fd = open(file, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return log_errno(-errno, "cannot open %s", file);
        len = snprintf(pid, sizeof(pid), "%d\n", (int) getpid());
        if (write(fd, pid, (size_t) len) != len)
                r = log_errno(-errno, "cannot move pid %d into %s", (int) getpid(), file);
        close(fd);
        return r;
}

static int wait_for_file(const char *path, unsigned timeout_ms) {
        for (unsigned waited = 0;; waited += WAIT_STEP_MS) {
                if (access(path, F_OK) == 0)
                        return 0;
                if (errno != ENOENT)
                        return log_errno(-errno, "cannot check wait file %s", path);
                if (waited >= timeout_ms)
                        return log_errno(-ETIMEDOUT, "wait file %s did not appear within %u ms",
                                         path, timeout_ms);
                sleep_ms(WAIT_STEP_MS);
        }
}

static int process_setup(const struct options *o) {
        int r;

        if (o->comm && prctl(PR_SET_NAME, o->comm) < 0)
                return log_errno(-errno, "prctl(PR_SET_NAME, %s) failed", o->comm);
        if (o->cgroup) {
                r = join_cgroup(o->cgroup);
                if (r < 0)
                        return r;
        }
        if (o->wait_file)
                return wait_for_file(o->wait_file, o->timeout_ms);
        return 0;
}

/* ------------------------------------------------------------------------ */
/* tcp-server / tcp-client                                                   */

static void report_methods(struct report *rep, const struct options *o) {
        report_add(rep, "method=%s", o->method->name);
        report_add(rep, "recv_method=%s", o->recv_method->name);
        report_add(rep, "bytes=%" PRIu64, o->bytes);
}

static int tcp_serve_one(struct stream *s, const struct options *o, uint64_t *tx, uint64_t *rx) {
        int r;

        r = recv_exact(s, o->recv_method, o->bytes, rx);
        if (r < 0)
                return r;
        r = send_exact(s, o->method, o->bytes, tx);
        if (r < 0)
                return r;
        if (shutdown(s->fd, SHUT_WR) < 0)
                return log_errno(-errno, "shutdown(SHUT_WR) failed");
        return wait_eof(s, o->recv_method, rx);
}

static int run_tcp_server(const struct options *o, struct report *rep) {
        const struct endpoint *ep = &o->dests[0];
        struct endpoint local = { 0 }, peer = { 0 };
        uint64_t tx = 0, rx = 0, conns = 0;
        bool timed_out = false;
        struct stream s;
        int fd = -1, cfd = -1, r;

        r = stream_setup(&s, o->method, o->recv_method, o->bytes, o->timeout_ms);
        if (r < 0)
                goto out;

        fd = socket_open(endpoint_family(ep), SOCK_STREAM, 0, o->timeout_ms);
        if (fd < 0) {
                r = log_errno(fd, "socket(SOCK_STREAM) failed");
                goto out;
        }
        r = bind_endpoint(fd, ep);
        if (r < 0)
                goto out;
        if (listen(fd, 64) < 0) {
                r = log_errno(-errno, "listen failed");
                goto out;
        }
        local = fd_local(fd);
        print_listening(fd);

        for (; o->count_conns == 0 || conns < o->count_conns; conns++) {
                peer = (struct endpoint) { .len = sizeof(peer.addr) };
                cfd = accept4(fd, (struct sockaddr *) &peer.addr, &peer.len, SOCK_CLOEXEC);
                if (cfd < 0 && errno == EAGAIN && o->count_conns == 0) {
                        /* until idle: no connection for the timeout ends it */
                        timed_out = true;
                        break;
                }
                if (cfd < 0) {
                        r = log_errno(errno == EAGAIN ? -ETIMEDOUT : -errno,
                                      "accept of connection %" PRIu64 " of %" PRIu64 " failed",
                                      conns + 1, o->count_conns);
                        goto out;
                }
                r = set_timeouts(cfd, o->timeout_ms);
                if (r < 0) {
                        log_errno(r, "setting socket timeouts failed");
                        goto out;
                }
                stream_attach(&s, cfd);
                r = tcp_serve_one(&s, o, &tx, &rx);
                safe_close(&cfd);
                if (r < 0)
                        goto out;
        }
        r = 0;
out:
        safe_close(&cfd);
        safe_close(&fd);
        stream_free(&s);
        report_endpoint(rep, "local", &local);
        report_endpoint(rep, "last_remote", &peer);
        report_add(rep, "conns=%" PRIu64, conns);
        report_add(rep, "tx=%" PRIu64, tx);
        report_add(rep, "rx=%" PRIu64, rx);
        if (o->count_conns == 0)
                report_add(rep, "timed_out=%d", timed_out);
        report_methods(rep, o);
        return r;
}

static int run_tcp_client(const struct options *o, struct report *rep) {
        const struct endpoint *ep = &o->dests[0];
        struct endpoint local = { 0 }, remote = *ep;
        uint64_t tx = 0, rx = 0;
        struct stream s;
        int fd = -1, r;

        r = stream_setup(&s, o->method, o->recv_method, o->bytes, o->timeout_ms);
        if (r < 0)
                goto out;

        fd = socket_open(endpoint_family(ep), SOCK_STREAM, 0, o->timeout_ms);
        if (fd < 0) {
                r = log_errno(fd, "socket(SOCK_STREAM) failed");
                goto out;
        }
        if (o->seen & OPT_BIND_PORT) {
                r = bind_port(fd, endpoint_family(ep), (uint16_t) o->bind_port);
                if (r < 0)
                        goto out;
        }
        if (connect(fd, (const struct sockaddr *) &ep->addr, ep->len) < 0) {
                char buf[ADDR_STRLEN];

                /* A blocking connect interrupted by SO_SNDTIMEO reports EINPROGRESS. */
                r = log_errno(errno == EINPROGRESS ? -ETIMEDOUT : -errno, "connect to %s failed",
                              endpoint_fmt(ep, buf));
                goto out;
        }
        remote = fd_peer(fd);

        stream_attach(&s, fd);
        r = send_exact(&s, o->method, o->bytes, &tx);
        if (r < 0)
                goto out;
        r = recv_exact(&s, o->recv_method, o->bytes, &rx);
        if (r < 0)
                goto out;
        r = wait_eof(&s, o->recv_method, &rx);
out:
        if (fd >= 0)
                local = fd_local(fd);
        safe_close(&fd);
        stream_free(&s);
        report_endpoint(rep, "local", &local);
        report_endpoint(rep, "remote", &remote);
        report_add(rep, "tx=%" PRIu64, tx);
        report_add(rep, "rx=%" PRIu64, rx);
        report_methods(rep, o);
        return r;
}

/* Connections one after another; exact sums of what each moved. */
static int run_tcp_churn(const struct options *o, struct report *rep) {
        const struct endpoint *ep = &o->dests[0];
        uint64_t tx = 0, rx = 0, conns = 0, start, elapsed, deadline;
        struct stream s;
        int fd = -1, r;

        r = stream_setup(&s, o->method, o->recv_method, o->bytes, o->timeout_ms);
        start = now_ns();
        deadline = (o->seen & OPT_DURATION) ? start + o->duration_ms * 1000000ULL : UINT64_MAX;
        if (r < 0)
                goto out;
        for (; conns < o->count && now_ns() < deadline; conns++) {
                char buf[ADDR_STRLEN];

                fd = socket_open(endpoint_family(ep), SOCK_STREAM, 0, o->timeout_ms);
                if (fd < 0) {
                        r = log_errno(fd, "socket(SOCK_STREAM) failed");
                        goto out;
                }
                if (connect(fd, (const struct sockaddr *) &ep->addr, ep->len) < 0) {
                        r = log_errno(errno == EINPROGRESS ? -ETIMEDOUT : -errno,
                                      "connect %" PRIu64 " to %s failed", conns + 1, endpoint_fmt(ep, buf));
                        goto out;
                }
                stream_attach(&s, fd);
                r = send_exact(&s, o->method, o->bytes, &tx);
                if (r == 0)
                        r = recv_exact(&s, o->recv_method, o->bytes, &rx);
                if (r == 0)
                        r = wait_eof(&s, o->recv_method, &rx);
                safe_close(&fd);
                if (r < 0)
                        goto out;
        }
        r = 0;
out:
        elapsed = now_ns() - start;
        safe_close(&fd);
        stream_free(&s);
        report_endpoint(rep, "remote", ep);
        report_add(rep, "conns=%" PRIu64, conns);
        report_add(rep, "tx=%" PRIu64, tx);
        report_add(rep, "rx=%" PRIu64, rx);
        report_add(rep, "elapsed_ns=%" PRIu64, elapsed);
        report_add(rep, "rate=%.1f", elapsed ? (double) conns * 1e9 / (double) elapsed : 0.0);
        report_methods(rep, o);
        return r;
}

/* ------------------------------------------------------------------------ */
/* UDP                                                                       */

static int run_udp_send(const struct options *o, struct report *rep) {
        const struct endpoint *first = &o->dests[0];
        uint64_t tx = 0, sent = 0, refused = 0;
        struct endpoint local = { 0 };
        uint8_t *buf = NULL;
        int fd = -1, r;

        buf = malloc(o->size ? o->size : 1);
        if (!buf) {
                r = log_errno(-ENOMEM, "buffer allocation failed");
                goto out;
        }
        fill_pattern(buf, o->size, 0);

        fd = socket_open(endpoint_family(first), SOCK_DGRAM, 0, o->timeout_ms);
        if (fd < 0) {
                r = log_errno(fd, "socket(SOCK_DGRAM) failed");
                goto out;
        }
        if (o->seen & OPT_BIND_PORT) {
                r = bind_port(fd, endpoint_family(first), (uint16_t) o->bind_port);
                if (r < 0)
                        goto out;
        }
        if (o->connected && connect(fd, (const struct sockaddr *) &first->addr, first->len) < 0) {
                r = log_errno(-errno, "connect failed");
                goto out;
        }

        for (unsigned d = 0; d < (o->connected ? 1U : o->n_dests); d++) {
                const struct endpoint *ep = &o->dests[d];

                for (uint64_t i = 0; i < o->count; i++) {
                        ssize_t n;

                        if (o->connected)
                                n = send(fd, buf, o->size, MSG_NOSIGNAL);
                        else
                                n = sendto(fd, buf, o->size, MSG_NOSIGNAL,
                                           (const struct sockaddr *) &ep->addr, ep->len);
                        if (n < 0 && errno == ECONNREFUSED && o->connected) {
                                refused++;
                                continue;
                        }
                        if (n < 0) {
                                char abuf[ADDR_STRLEN];

                                r = log_errno(-errno, "send of datagram %" PRIu64 " to %s failed",
                                              i + 1, endpoint_fmt(ep, abuf));
                                goto out;
                        }
                        tx += (uint64_t) n;
                        sent++;
                }
        }
        r = 0;
out:
        if (fd >= 0)
                local = fd_local(fd);
        safe_close(&fd);
        free(buf);
        report_endpoint(rep, "local", &local);
        report_endpoint(rep, "remote", first);
        report_add(rep, "dests=%u", o->connected ? 1U : o->n_dests);
        report_add(rep, "datagrams=%" PRIu64, sent);
        report_add(rep, "tx=%" PRIu64, tx);
        report_add(rep, "refused=%" PRIu64, refused);
        return r;
}

static int run_udp_echo(const struct options *o, struct report *rep) {
        uint64_t limit = (o->seen & OPT_COUNT) ? o->count : UDP_ECHO_MAX;
        uint64_t rx = 0, tx = 0, echoed = 0;
        struct endpoint local = { 0 };
        bool timed_out = false;
        uint8_t *buf = NULL;
        int fd = -1, r;

        buf = malloc(MAX_DGRAM_SIZE);
        if (!buf) {
                r = log_errno(-ENOMEM, "buffer allocation failed");
                goto out;
        }
        fd = socket_open(endpoint_family(&o->dests[0]), SOCK_DGRAM, 0, o->timeout_ms);
        if (fd < 0) {
                r = log_errno(fd, "socket(SOCK_DGRAM) failed");
                goto out;
        }
        r = bind_endpoint(fd, &o->dests[0]);
        if (r < 0)
                goto out;
        local = fd_local(fd);
        print_listening(fd);

        for (; echoed < limit; echoed++) {
                struct endpoint peer = { .len = sizeof(peer.addr) };
                ssize_t n, m;

                n = recvfrom(fd, buf, MAX_DGRAM_SIZE, 0, (struct sockaddr *) &peer.addr, &peer.len);
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        timed_out = true;
                        break;
                }
                if (n < 0) {
                        r = log_errno(-errno, "recvfrom failed");
                        goto out;
                }
                rx += (uint64_t) n;
                m = sendto(fd, buf, (size_t) n, MSG_NOSIGNAL, (struct sockaddr *) &peer.addr, peer.len);
                if (m < 0) {
                        r = log_errno(-errno, "echo sendto failed");
                        goto out;
                }
                tx += (uint64_t) m;
        }
        r = 0;
out:
        safe_close(&fd);
        free(buf);
        report_endpoint(rep, "local", &local);
        report_add(rep, "datagrams=%" PRIu64, echoed);
        report_add(rep, "rx=%" PRIu64, rx);
        report_add(rep, "tx=%" PRIu64, tx);
        report_add(rep, "timed_out=%d", timed_out);
        return r;
}

static int run_udp_flood(const struct options *o, struct report *rep) {
        const struct endpoint *ep = &o->dests[0];
        uint64_t tx = 0, sent = 0, errors = 0, start = 0, elapsed = 0, deadline;
        struct endpoint local = { 0 };
        bool timed_out = false;
        uint8_t *buf = NULL;
        int fd = -1, r;

        buf = malloc(o->size ? o->size : 1);
        if (!buf) {
                r = log_errno(-ENOMEM, "buffer allocation failed");
                goto out;
        }
        fill_pattern(buf, o->size, 0);
        fd = socket_open(endpoint_family(ep), SOCK_DGRAM, 0, o->timeout_ms);
        if (fd < 0) {
                r = log_errno(fd, "socket(SOCK_DGRAM) failed");
                goto out;
        }
        if (o->connected && connect(fd, (const struct sockaddr *) &ep->addr, ep->len) < 0) {
                r = log_errno(-errno, "connect failed");
                goto out;
        }

        start = now_ns();
        deadline = start + (uint64_t) o->timeout_ms * 1000000ULL;
        for (uint64_t i = 0; i < o->count; i++) {
                ssize_t n;

                if (now_ns() >= deadline) {
                        timed_out = true;
                        break;
                }
                if (o->connected)
                        n = send(fd, buf, o->size, MSG_NOSIGNAL);
                else
                        n = sendto(fd, buf, o->size, MSG_NOSIGNAL, (const struct sockaddr *) &ep->addr, ep->len);
                if (n < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED)) {
                        errors++;
                        continue;
                }
                if (n < 0) {
                        r = log_errno(-errno, "send of datagram %" PRIu64 " failed", i + 1);
                        goto out;
                }
                tx += (uint64_t) n;
                sent++;
        }
        r = 0;
out:
        if (start > 0)
                elapsed = now_ns() - start;
        if (fd >= 0)
                local = fd_local(fd);
        safe_close(&fd);
        free(buf);
        report_endpoint(rep, "local", &local);
        report_endpoint(rep, "remote", ep);
        report_add(rep, "datagrams=%" PRIu64, sent);
        report_add(rep, "tx=%" PRIu64, tx);
        report_add(rep, "send_errors=%" PRIu64, errors);
        report_add(rep, "elapsed_ns=%" PRIu64, elapsed);
        report_add(rep, "timed_out=%d", timed_out);
        return r;
}

/* Datagrams to a range of ports, paced; refused sends are the point. */
static int run_udp_storm(const struct options *o, struct report *rep) {
        const struct endpoint *first = &o->dests[0];
        uint64_t tx = 0, sent = 0, blocked = 0, errors = 0, i = 0, start, elapsed, deadline;
        uint64_t limit = (o->seen & OPT_COUNT) ? o->count : UINT64_MAX;
        uint64_t ports = (o->seen & OPT_PORTS) ? o->ports : 1;
        uint16_t base = endpoint_port(first);
        struct endpoint ep = *first, local = { 0 };
        uint8_t *buf = NULL;
        int fd = -1, r;

        start = now_ns();
        deadline = start + ((o->seen & OPT_DURATION) ? o->duration_ms : o->timeout_ms) * 1000000ULL;
        if ((uint64_t) base + ports - 1 > UINT16_MAX) {
                r = log_errno(-ERANGE, "ports %u..%" PRIu64 " go past 65535", base, base + ports - 1);
                goto out;
        }
        buf = malloc(o->size ? o->size : 1);
        if (!buf) {
                r = log_errno(-ENOMEM, "buffer allocation failed");
                goto out;
        }
        fill_pattern(buf, o->size, 0);
        fd = socket_open(endpoint_family(first), SOCK_DGRAM, 0, o->timeout_ms);
        if (fd < 0) {
                r = log_errno(fd, "socket(SOCK_DGRAM) failed");
                goto out;
        }
        for (; i < limit; i++) {
                uint16_t port = (uint16_t) (base + i % ports);
                uint64_t now = now_ns();
                ssize_t n;

                if (now >= deadline)
                        break;
                /* paced: datagram i is due at start + i/rate */
                if (o->rate) {
                        uint64_t due = start + i * 1000000000ULL / o->rate;

                        if (due > now) {
                                struct timespec ts = { .tv_sec = (time_t) ((due - now) / 1000000000ULL),
                                                       .tv_nsec = (long) ((due - now) % 1000000000ULL) };

                                nanosleep(&ts, NULL);
                        }
                }
                if (endpoint_family(&ep) == AF_INET6)
                        ((struct sockaddr_in6 *) &ep.addr)->sin6_port = htons(port);
                else
                        ((struct sockaddr_in *) &ep.addr)->sin_port = htons(port);
                n = sendto(fd, buf, o->size, MSG_NOSIGNAL, (const struct sockaddr *) &ep.addr, ep.len);
                if (n < 0 && (errno == EPERM || errno == EACCES)) {
                        blocked++;
                        continue;
                }
                if (n < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED)) {
                        errors++;
                        continue;
                }
                if (n < 0) {
                        r = log_errno(-errno, "send of datagram %" PRIu64 " to port %u failed", i + 1, port);
                        goto out;
                }
                tx += (uint64_t) n;
                sent++;
        }
        r = 0;
out:
        elapsed = now_ns() - start;
        if (fd >= 0)
                local = fd_local(fd);
        safe_close(&fd);
        free(buf);
        report_endpoint(rep, "local", &local);
        report_endpoint(rep, "remote", first);
        report_add(rep, "ports=%" PRIu64, ports);
        report_add(rep, "attempts=%" PRIu64, sent + blocked + errors);
        report_add(rep, "datagrams=%" PRIu64, sent);
        report_add(rep, "blocked=%" PRIu64, blocked);
        report_add(rep, "send_errors=%" PRIu64, errors);
        report_add(rep, "tx=%" PRIu64, tx);
        report_add(rep, "elapsed_ns=%" PRIu64, elapsed);
        report_add(rep, "rate=%.1f", elapsed ? (double) (sent + blocked + errors) * 1e9 / (double) elapsed : 0.0);
        return r;
}

/* ------------------------------------------------------------------------ */
/* ICMP echo and raw IP                                                      */

static uint16_t inet_checksum(const uint8_t *p, size_t len) {
        uint32_t sum = 0;

        for (size_t i = 0; i + 1 < len; i += 2)
                sum += (uint32_t) p[i] << 8 | p[i + 1];
        if (len & 1)
                sum += (uint32_t) p[len - 1] << 8;
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return (uint16_t) ~sum;
}

static void put_be16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) (v >> 8);
        p[1] = (uint8_t) v;
}

static uint16_t get_be16(const uint8_t *p) {
        return (uint16_t) (p[0] << 8 | p[1]);
}

struct pinger {
        int fd;
        int family;
        bool raw;      /* SOCK_RAW fallback: we fill id and (v4) checksum */
        uint16_t id;
};

/* Ping socket first; SOCK_RAW if ping_group_range does not include us. */
static int pinger_open(struct pinger *p, int family, unsigned timeout_ms) {
        int proto = family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
        int r;

        p->family = family;
        p->id = (uint16_t) getpid();
        p->raw = false;
        p->fd = socket_open(family, SOCK_DGRAM, proto, timeout_ms);
        if (p->fd != -EACCES && p->fd != -EPERM)
                return p->fd < 0 ? log_errno(p->fd, "ping socket failed") : 0;

        log_errno(p->fd, "note: ping socket not permitted (net.ipv4.ping_group_range), using SOCK_RAW");
        p->raw = true;
        p->fd = socket_open(family, SOCK_RAW, proto, timeout_ms);
        if (p->fd < 0)
                return log_errno(p->fd, "raw ICMP socket failed");

        /* Only let echo replies through to the raw socket. */
        if (family == AF_INET) {
                uint32_t filter = ~(1U << ICMP_ECHOREPLY);

                r = setsockopt(p->fd, SOL_RAW, ICMP_FILTER, &filter, sizeof(filter));
        } else {
                struct icmp6_filter filter;

                ICMP6_FILTER_SETBLOCKALL(&filter);
                ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
                r = setsockopt(p->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter));
        }
        if (r < 0)
                return log_errno(-errno, "setting ICMP filter failed");
        return 0;
}

static size_t echo_build(const struct pinger *p, uint8_t *pkt, size_t payload, uint16_t seq) {
        size_t len = ICMP_ECHO_HDR_LEN + payload;

        pkt[0] = p->family == AF_INET6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
        pkt[1] = 0;
        put_be16(pkt + 2, 0);
        put_be16(pkt + 4, p->id); /* ping sockets replace it with their own id */
        put_be16(pkt + 6, seq);
        fill_pattern(pkt + ICMP_ECHO_HDR_LEN, payload, seq);
        /* The kernel computes the checksum for ping sockets and ICMPv6 raw. */
        if (p->raw && p->family == AF_INET)
                put_be16(pkt + 2, inet_checksum(pkt, len));
        return len;
}

static bool echo_is_reply(const struct pinger *p, const uint8_t *buf, size_t n, uint16_t seq) {
        size_t off = 0;

        if (p->raw && p->family == AF_INET) {
                if (n < 20)
                        return false;
                off = (size_t) (buf[0] & 0x0f) * 4; /* raw IPv4 delivers the IP header */
        }
        if (n < off + ICMP_ECHO_HDR_LEN)
                return false;
        if (buf[off] != (p->family == AF_INET6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY))
                return false;
        if (p->raw && get_be16(buf + off + 4) != p->id)
                return false;
        return get_be16(buf + off + 6) == seq;
}

/* Waits for the reply to seq; *rx counts the matching reply, *rx_other any
 * other packet the socket returned meanwhile. Returns reply length. */
static ssize_t echo_wait_reply(const struct pinger *p, uint8_t *buf, size_t size, uint16_t seq,
                               unsigned timeout_ms, uint64_t *rx_other) {
        uint64_t deadline = now_ns() + (uint64_t) timeout_ms * 1000000ULL;

        for (;;) {
                struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
                uint64_t now = now_ns();
                ssize_t n;
                int r;

                if (now >= deadline)
                        return -ETIMEDOUT;
                r = poll(&pfd, 1, (int) ((deadline - now + 999999ULL) / 1000000ULL));
                if (r < 0)
                        return -errno;
                if (r == 0)
                        return -ETIMEDOUT;
                n = recv(p->fd, buf, size, MSG_DONTWAIT);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        continue;
                if (n < 0)
                        return -errno;
                if (echo_is_reply(p, buf, (size_t) n, seq))
                        return n;
                *rx_other += (uint64_t) n;
        }
}

static int run_ping(const struct options *o, struct report *rep) {
        const struct endpoint *ep = &o->dests[0];
        uint64_t tx = 0, rx = 0, rx_other = 0, sent = 0, replies = 0;
        struct pinger p = { .fd = -1 };
        struct endpoint local = { 0 };
        uint8_t *pkt = NULL, *buf = NULL;
        int r;

        pkt = malloc(ICMP_ECHO_HDR_LEN + o->size);
        buf = malloc(MAX_DGRAM_SIZE);
        if (!pkt || !buf) {
                r = log_errno(-ENOMEM, "buffer allocation failed");
                goto out;
        }
        r = pinger_open(&p, endpoint_family(ep), o->timeout_ms);
        if (r < 0)
                goto out;
        if (o->connected && connect(p.fd, (const struct sockaddr *) &ep->addr, ep->len) < 0) {
                r = log_errno(-errno, "connect failed");
                goto out;
        }

        for (uint64_t i = 0; i < o->count; i++) {
                uint16_t seq = (uint16_t) (i + 1);
                size_t len = echo_build(&p, pkt, o->size, seq);
                ssize_t n;

                if (o->connected)
                        n = send(p.fd, pkt, len, MSG_NOSIGNAL);
                else
                        n = sendto(p.fd, pkt, len, MSG_NOSIGNAL, (const struct sockaddr *) &ep->addr, ep->len);
                if (n < 0) {
                        r = log_errno(-errno, "sending echo request %u failed", seq);
                        goto out;
                }
                tx += (uint64_t) n;
                sent++;

                n = echo_wait_reply(&p, buf, MAX_DGRAM_SIZE, seq, o->timeout_ms, &rx_other);
                if (n < 0) {
                        r = log_errno((int) n, "no echo reply for seq %u", seq);
                        goto out;
                }
                rx += (uint64_t) n;
                replies++;
        }
        r = 0;
out:
        if (p.fd >= 0)
                local = fd_local(p.fd);
        safe_close(&p.fd);
        free(pkt);
        free(buf);
        report_endpoint(rep, "local", &local);
        report_endpoint(rep, "remote", ep);
        report_add(rep, "sock=%s", p.raw ? "raw" : "dgram");
        report_add(rep, "sent=%" PRIu64, sent);
        report_add(rep, "replies=%" PRIu64, replies);
        report_add(rep, "tx=%" PRIu64, tx);
        report_add(rep, "rx=%" PRIu64, rx);
        report_add(rep, "rx_other=%" PRIu64, rx_other);
        return r;
}

static int run_raw_send(const struct options *o, struct report *rep) {
        const struct endpoint *ep = &o->dests[0];
        uint64_t tx = 0, sent = 0;
        struct endpoint local = { 0 };
        uint8_t *buf = NULL;
        int fd = -1, r;

        buf = malloc(o->size ? o->size : 1);
        if (!buf) {
                r = log_errno(-ENOMEM, "buffer allocation failed");
                goto out;
        }
        fill_pattern(buf, o->size, 0);
        fd = socket_open(endpoint_family(ep), SOCK_RAW, o->proto, o->timeout_ms);
        if (fd < 0) {
                r = log_errno(fd, "socket(SOCK_RAW, %d) failed", o->proto);
                goto out;
        }
        if (o->connected && connect(fd, (const struct sockaddr *) &ep->addr, ep->len) < 0) {
                r = log_errno(-errno, "connect failed");
                goto out;
        }
        for (uint64_t i = 0; i < o->count; i++) {
                ssize_t n;

                if (o->connected) {
                        n = send(fd, buf, o->size, MSG_NOSIGNAL);
                } else if (o->use_sendmsg) {
                        struct iovec iov = { .iov_base = buf, .iov_len = o->size };
                        struct msghdr msg = {
                                .msg_name = (void *) &ep->addr, .msg_namelen = ep->len,
                                .msg_iov = &iov, .msg_iovlen = 1,
                        };

                        n = sendmsg(fd, &msg, MSG_NOSIGNAL);
                } else {
                        n = sendto(fd, buf, o->size, MSG_NOSIGNAL, (const struct sockaddr *) &ep->addr, ep->len);
                }
                if (n < 0) {
                        r = log_errno(-errno, "sending raw packet %" PRIu64 " failed", i + 1);
                        goto out;
                }
                tx += (uint64_t) n;
                sent++;
        }
        r = 0;
out:
        if (fd >= 0)
                local = fd_local(fd);
        safe_close(&fd);
        free(buf);
        report_endpoint(rep, "local", &local);
        report_endpoint(rep, "remote", ep);
        report_add(rep, "proto=%d", o->proto);
        report_add(rep, "sent=%" PRIu64, sent);
        report_add(rep, "tx=%" PRIu64, tx);
        return r;
}

/* ------------------------------------------------------------------------ */
/* connect-only                                                              */

/* Non-blocking connect, waiting up to wait_ms; returns the errno result. */
static int connect_nonblock(int fd, const struct endpoint *ep, uint64_t wait_ms) {
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
        socklen_t len = sizeof(int);
        int err = 0, r;

        if (connect(fd, (const struct sockaddr *) &ep->addr, ep->len) == 0)
                return 0;
        if (errno != EINPROGRESS)
                return errno;
        r = poll(&pfd, 1, (int) wait_ms);
        if (r < 0)
                return errno;
        if (r == 0)
                return EINPROGRESS;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                return errno;
        return err;
}

static int run_connect_only(const struct options *o, struct report *rep) {
        const struct endpoint *ep = &o->dests[0];
        bool nonblock = o->seen & OPT_NONBLOCK_WAIT;
        int type = o->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
        struct endpoint local = { 0 };
        uint64_t start, elapsed;
        int fd, err = 0, r = 0;

        fd = socket_open(endpoint_family(ep), type | (nonblock ? SOCK_NONBLOCK : 0), 0, o->timeout_ms);
        if (fd < 0)
                return log_errno(fd, "socket failed");
        if (o->seen & OPT_BIND_PORT) {
                r = bind_port(fd, endpoint_family(ep), (uint16_t) o->bind_port);
                if (r < 0)
                        goto out;
        }

        start = now_ns();
        if (nonblock)
                err = connect_nonblock(fd, ep, o->nonblock_wait_ms);
        else if (connect(fd, (const struct sockaddr *) &ep->addr, ep->len) < 0)
                /* A blocking connect cut short by SO_SNDTIMEO reports EINPROGRESS. */
                err = errno == EINPROGRESS ? ETIMEDOUT : errno;
        elapsed = now_ns() - start;

        local = fd_local(fd);
        report_endpoint(rep, "local", &local);
        report_endpoint(rep, "remote", ep);
        report_add(rep, "proto=%s", type == SOCK_DGRAM ? "udp" : "tcp");
        report_add(rep, "elapsed_ms=%" PRIu64, elapsed / UINT64_C(1000000));
        rep->err = err;
out:
        close(fd);
        return r;
}

/* ------------------------------------------------------------------------ */
/* short-lived                                                               */

/* Runs in the forked child: one UDP datagram and one non-blocking TCP
 * connect, then a summary for the parent on info_fd. */
static int short_lived_child(const struct options *o, int info_fd) {
        const struct endpoint *ep = &o->dests[0];
        struct endpoint udp_local = { 0 }, tcp_local = { 0 };
        char comm[17], a[ADDR_STRLEN], b[ADDR_STRLEN], info[512];
        int ufd, tfd, tcp_err = 0, len;
        uint8_t buf[MAX_DGRAM_SIZE];
        ssize_t n;

        fill_pattern(buf, o->size, 0);
        ufd = socket_open(endpoint_family(ep), SOCK_DGRAM, 0, o->timeout_ms);
        if (ufd < 0)
                return log_errno(ufd, "child: UDP socket failed");
        n = sendto(ufd, buf, o->size, MSG_NOSIGNAL, (const struct sockaddr *) &ep->addr, ep->len);
        if (n < 0)
                return log_errno(-errno, "child: sendto failed");
        udp_local = fd_local(ufd);

        tfd = socket_open(endpoint_family(ep), SOCK_STREAM | SOCK_NONBLOCK, 0, o->timeout_ms);
        if (tfd < 0)
                return log_errno(tfd, "child: TCP socket failed");
        if (connect(tfd, (const struct sockaddr *) &ep->addr, ep->len) < 0)
                tcp_err = errno;
        tcp_local = fd_local(tfd);

        get_comm(comm);
        len = snprintf(info, sizeof(info), "child_comm=%s udp_local=%s udp_tx=%zd tcp_local=%s tcp_errno=%s",
                       comm, endpoint_fmt(&udp_local, a), n, endpoint_fmt(&tcp_local, b),
                       errno_name(tcp_err));
        if (write(info_fd, info, (size_t) MIN(len, (int) sizeof(info) - 1)) < 0)
                return log_errno(-errno, "child: writing info failed");
        return 0; /* sockets are closed by _exit() */
}

static int run_short_lived(const struct options *o, struct report *rep) {
        char info[512] = "";
        int pipefd[2], status = 0, r = 0;
        bool exited = false;
        size_t got = 0;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return log_errno(-errno, "pipe2 failed");
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
                r = log_errno(-errno, "fork failed");
                close(pipefd[0]);
                close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                close(pipefd[0]);
                _exit(short_lived_child(o, pipefd[1]) < 0 ? EXIT_RUNTIME : 0);
        }
        close(pipefd[1]);

        for (unsigned waited = 0; waited <= o->timeout_ms; waited += WAIT_STEP_MS) {
                pid_t w = waitpid(pid, &status, WNOHANG);

                if (w == pid) {
                        exited = true;
                        break;
                }
                if (w < 0) {
                        r = log_errno(-errno, "waitpid failed");
                        break;
                }
                sleep_ms(WAIT_STEP_MS);
        }
        if (!exited && r == 0) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                r = log_errno(-ETIMEDOUT, "child %d did not exit in time", (int) pid);
        }

        /* The child has exited, so the pipe holds everything followed by EOF. */
        while (got < sizeof(info) - 1) {
                ssize_t n = read(pipefd[0], info + got, sizeof(info) - 1 - got);

                if (n <= 0)
                        break;
                got += (size_t) n;
        }
        info[got] = '\0';
        close(pipefd[0]);

        if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
                r = log_errno(-ECHILD, "child %d failed (status 0x%x)", (int) pid, (unsigned) status);

        report_add(rep, "child_pid=%d", (int) pid);
        report_add(rep, "child_exit=%d", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        if (got > 0)
                report_add(rep, "%s", info);
        report_endpoint(rep, "remote", &o->dests[0]);
        return r;
}

/* ------------------------------------------------------------------------ */
/* Command line                                                              */

static const struct mode modes[] = {
        { "tcp-server", run_tcp_server,
          OPT_LISTEN | OPT_COUNT_CONNS | OPT_METHOD | OPT_RECV_METHOD | OPT_BYTES, OPT_LISTEN, 1, true },
        { "tcp-client", run_tcp_client,
          OPT_CONNECT | OPT_METHOD | OPT_RECV_METHOD | OPT_BYTES | OPT_BIND_PORT, OPT_CONNECT, 1, true },
        { "udp-send", run_udp_send,
          OPT_TO | OPT_COUNT | OPT_SIZE | OPT_CONNECTED | OPT_BIND_PORT, OPT_TO, MAX_DESTS, true },
        { "udp-echo", run_udp_echo, OPT_LISTEN | OPT_COUNT, OPT_LISTEN, 1, true },
        { "ping", run_ping, OPT_TO | OPT_COUNT | OPT_SIZE | OPT_CONNECTED, OPT_TO, 1, false },
        { "raw-send", run_raw_send,
          OPT_TO | OPT_PROTO | OPT_COUNT | OPT_SIZE | OPT_CONNECTED | OPT_SENDMSG, OPT_TO, 1, false },
        { "connect-only", run_connect_only,
          OPT_CONNECT | OPT_PROTO | OPT_NONBLOCK_WAIT | OPT_BIND_PORT, OPT_CONNECT, 1, true },
        { "short-lived", run_short_lived, OPT_TO | OPT_SIZE, OPT_TO, 1, true },
        { "udp-flood", run_udp_flood,
          OPT_TO | OPT_COUNT | OPT_SIZE | OPT_CONNECTED, OPT_TO | OPT_COUNT, 1, true },
        { "tcp-churn", run_tcp_churn,
          OPT_CONNECT | OPT_COUNT | OPT_BYTES | OPT_DURATION | OPT_METHOD | OPT_RECV_METHOD,
          OPT_CONNECT | OPT_COUNT, 1, true },
        { "udp-storm", run_udp_storm,
          OPT_TO | OPT_PORTS | OPT_RATE | OPT_DURATION | OPT_COUNT | OPT_SIZE, OPT_TO, 1, true },
};

static void usage(FILE *f) {
        fputs("Usage: leco-traffic MODE [options]\n"
              "  tcp-server   --listen ADDR PORT [--count-conns N] [--method M] [--recv-method M] [--bytes B]\n"
              "  tcp-client   --connect ADDR PORT [--method M] [--recv-method M] [--bytes B] [--bind-port P]\n"
              "  udp-send     --to ADDR PORT [--to ADDR PORT ...] [--count N] [--size S] [--connected] [--bind-port P]\n"
              "  udp-echo     --listen ADDR PORT [--count N]\n"
              "  ping         --to ADDR [--count N] [--size S] [--connected]\n"
              "  raw-send     --to ADDR [--proto P] [--count N] [--size S] [--connected] [--sendmsg]\n"
              "  connect-only --connect ADDR PORT [--proto tcp|udp] [--nonblock-wait-ms W] [--bind-port P]\n"
              "  short-lived  --to ADDR PORT [--size S]\n"
              "  udp-flood    --to ADDR PORT --count N [--size S] [--connected]\n"
              "  tcp-churn    --connect ADDR PORT --count N [--bytes B] [--duration-ms D] [--method M]\n"
              "  udp-storm    --to ADDR PORT [--ports N] [--rate R] [--duration-ms D] [--count C] [--size S]\n"
              "Send methods: write send sendmsg sendmmsg sendfile splice io_uring\n"
              "Receive methods: read recv recvmsg recvmmsg splice io_uring\n"
              "Common: --timeout-ms MS (default 10000) --wait-file PATH --comm NAME --cgroup PATH\n",
              f);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...) {
        va_list ap;

        fputs("leco-traffic: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs(" (see --help)\n", stderr);
        return -EINVAL;
}

static int parse_number(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *ret) {
        if (parse_u64(arg, max, ret) < 0 || *ret < min) {
                fprintf(stderr, "leco-traffic: %s: invalid value '%s' (expected %" PRIu64 "..%" PRIu64 ")\n",
                        opt, arg ? arg : "", min, max);
                return -EINVAL;
        }
        return 0;
}

static int parse_proto(struct options *o, const char *arg) {
        uint64_t v;

        if (o->mode->run == run_connect_only) {
                if (strcmp(arg, "tcp") == 0)
                        o->proto = IPPROTO_TCP;
                else if (strcmp(arg, "udp") == 0)
                        o->proto = IPPROTO_UDP;
                else
                        return usage_error("--proto: expected tcp or udp, got '%s'", arg);
                return 0;
        }
        if (parse_number("--proto", arg, 1, 255, &v) < 0)
                return -EINVAL;
        o->proto = (int) v;
        return 0;
}

static int parse_one(struct options *o, const struct option_desc *d, char **args) {
        uint64_t v;

        switch (d->flag) {
        case OPT_LISTEN:
        case OPT_CONNECT:
        case OPT_TO:
                if (o->n_dests >= o->mode->max_dests)
                        return usage_error("too many destinations (%s)", d->name);
                return endpoint_parse(args[0], o->mode->addr_has_port ? args[1] : NULL,
                                      &o->dests[o->n_dests++]) < 0 ? -EINVAL : 0;
        case OPT_COUNT_CONNS:
                return parse_number(d->name, args[0], 0, UINT32_MAX, &o->count_conns);
        case OPT_METHOD:
                o->method = send_method_find(args[0]);
                return o->method ? 0 : usage_error("unknown send method '%s'", args[0]);
        case OPT_RECV_METHOD:
                o->recv_method = recv_method_find(args[0]);
                return o->recv_method ? 0 : usage_error("unknown receive method '%s'", args[0]);
        case OPT_BYTES:
                return parse_number(d->name, args[0], 0, UINT64_MAX / 2, &o->bytes);
        case OPT_BIND_PORT:
                return parse_number(d->name, args[0], 0, UINT16_MAX, &o->bind_port);
        case OPT_COUNT:
                return parse_number(d->name, args[0], 0, UINT32_MAX, &o->count);
        case OPT_SIZE:
                return parse_number(d->name, args[0], 0, MAX_DGRAM_SIZE - ICMP_ECHO_HDR_LEN, &o->size);
        case OPT_CONNECTED:
                o->connected = true;
                return 0;
        case OPT_SENDMSG:
                o->use_sendmsg = true;
                return 0;
        case OPT_PROTO:
                return parse_proto(o, args[0]);
        case OPT_NONBLOCK_WAIT:
                return parse_number(d->name, args[0], 0, INT32_MAX, &o->nonblock_wait_ms);
        case OPT_TIMEOUT:
                if (parse_number(d->name, args[0], 1, INT32_MAX, &v) < 0)
                        return -EINVAL;
                o->timeout_ms = (unsigned) v;
                return 0;
        case OPT_WAIT_FILE:
                o->wait_file = args[0];
                return 0;
        case OPT_COMM:
                o->comm = args[0];
                return 0;
        case OPT_CGROUP:
                o->cgroup = args[0];
                return 0;
        case OPT_DURATION:
                return parse_number(d->name, args[0], 1, INT32_MAX, &o->duration_ms);
        case OPT_PORTS:
                return parse_number(d->name, args[0], 1, UINT16_MAX, &o->ports);
        case OPT_RATE:
                return parse_number(d->name, args[0], 0, 10000000, &o->rate);
        }
        return -EINVAL;
}

static const struct mode *mode_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if (strcmp(modes[i].name, name) == 0)
                        return &modes[i];
        return NULL;
}

static const struct option_desc *option_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(option_descs); i++)
                if (strcmp(option_descs[i].name, name) == 0)
                        return &option_descs[i];
        return NULL;
}

static int parse_args(int argc, char **argv, struct options *o) {
        *o = (struct options) {
                .method = &send_methods[0],
                .bytes = DEFAULT_BYTES,
                .count = 1,
                .count_conns = 1,
                .size = DEFAULT_UDP_SIZE,
                .proto = DEFAULT_RAW_PROTO,
                .timeout_ms = DEFAULT_TIMEOUT_MS,
        };

        if (argc < 2)
                return usage_error("missing MODE%s", "");
        o->mode = mode_find(argv[1]);
        if (!o->mode)
                return usage_error("unknown mode '%s'", argv[1]);
        if (o->mode->run == run_ping)
                o->size = DEFAULT_PING_SIZE;
        if (o->mode->run == run_connect_only)
                o->proto = IPPROTO_TCP;

        for (int i = 2; i < argc;) {
                const struct option_desc *d = option_find(argv[i]);
                unsigned nargs;
                int r;

                if (!d)
                        return usage_error("unknown option '%s'", argv[i]);
                if (!(d->flag & (o->mode->allowed | OPT_GLOBAL)))
                        return usage_error("option %s is not valid for this mode", d->name);
                if ((o->seen & d->flag) && !(d->flag & OPT_ADDRESS))
                        return usage_error("option %s given more than once", d->name);
                nargs = (d->flag & OPT_ADDRESS) && !o->mode->addr_has_port ? 1 : d->nargs;
                if (argc - i - 1 < (int) nargs)
                        return usage_error("option %s needs more arguments", d->name);
                r = parse_one(o, d, argv + i + 1);
                if (r < 0)
                        return r;
                o->seen |= d->flag;
                i += 1 + (int) nargs;
        }

        for (size_t i = 0; i < ELEMENTSOF(option_descs); i++)
                if ((o->mode->required & option_descs[i].flag) && !(o->seen & option_descs[i].flag))
                        return usage_error("option %s is required", option_descs[i].name);

        /* One socket serves all destinations, so they must share a family. */
        for (unsigned i = 1; i < o->n_dests; i++)
                if (endpoint_family(&o->dests[i]) != endpoint_family(&o->dests[0]))
                        return usage_error("all destinations must be of the same address family%s", "");

        if (!o->recv_method)
                o->recv_method = recv_method_find(o->method->recv_twin);
        return 0;
}

int main(int argc, char **argv) {
        struct report rep = { 0 };
        struct options o;
        char comm[17];
        int r;

        if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                usage(stdout);
                return 0;
        }
        if (parse_args(argc, argv, &o) < 0)
                return EXIT_USAGE;

        /* Peers going away must show up as EPIPE, not kill us. */
        signal(SIGPIPE, SIG_IGN);

        r = process_setup(&o);
        if (r >= 0)
                r = o.mode->run(&o, &rep);
        if (r < 0)
                rep.err = -r;

        get_comm(comm);
        printf("pid=%d comm=%s%s errno=%s\n", (int) getpid(), comm, rep.line, errno_name(rep.err));
        fflush(stdout);
        return r < 0 ? EXIT_RUNTIME : 0;
}
