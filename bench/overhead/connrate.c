// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * connrate: TCP connection-rate load for bench/overhead/run.
 *
 *   connrate server [-a ADDR] [-p PORT] [-s BYTES] [-T MAXSECS]
 *   connrate client [-a ADDR] [-p PORT] [-s BYTES] [-t SECS] [-n MAXCONN]
 *                   [-b NSRC]
 *
 * One client process, strictly sequential: socket, connect, write BYTES,
 * read BYTES back, close (plain FIN close, SO_LINGER off).  The server is a
 * blocking accept loop: read BYTES, echo them, wait for the client's FIN,
 * close.  The client closes first, so TIME_WAIT sits on the client side; the
 * caller runs this in a private network namespace with tcp_tw_reuse=1 and a
 * wide ip_local_port_range, and -b spreads the connections over NSRC source
 * addresses 127.0.1.1 ... (IP_BIND_ADDRESS_NO_PORT, so the port is still
 * picked at connect time) so the 4-tuples never run out.
 *
 * The client is bounded by time (-t) AND count (-n); it prints one line:
 *   connections=N errors=E seconds=S rate=R
 * and exits 0, or 1 when it could not run (server absent, too many errors).
 * The server is bounded by -T seconds (alarm) and ends on SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE 65536
#define MAX_ERRORS 1000

struct opts {
	const char *addr;
	int port;
	size_t size;
	double secs;
	unsigned long max_conn;
	int nsrc;
	int max_secs;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int read_full(int fd, char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = read(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += n;
	}
	return 0;
}

static int write_full(int fd, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += n;
	}
	return 0;
}

static void set_timeouts(int fd, int secs)
{
	struct timeval tv = { .tv_sec = secs };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int run_server(const struct opts *o)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(o->port) };
	static char buf[MAX_SIZE];
	int one = 1, lfd;

	if (inet_pton(AF_INET, o->addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "connrate: bad address \"%s\"\n", o->addr);
		return 1;
	}
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0) {
		perror("connrate: socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4096) < 0) {
		perror("connrate: bind/listen");
		close(lfd);
		return 1;
	}
	/* hard bound on the server's life, whatever happens to the client */
	alarm(o->max_secs);

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
			    errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				continue;
			perror("connrate: accept");
			close(lfd);
			return 1;
		}
		set_timeouts(fd, 2);
		if (read_full(fd, buf, o->size) == 0 && write_full(fd, buf, o->size) == 0) {
			/* wait for the client's FIN so the client end closes first */
			while (read(fd, buf, sizeof(buf)) > 0)
				;
		}
		close(fd);
	}
}

static int run_client(const struct opts *o)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(o->port) };
	static char buf[MAX_SIZE];
	unsigned long conns = 0, errors = 0;
	double start, end, t;
	int one = 1;

	if (inet_pton(AF_INET, o->addr, &dst.sin_addr) != 1) {
		fprintf(stderr, "connrate: bad address \"%s\"\n", o->addr);
		return 1;
	}
	memset(buf, 'x', o->size);

	start = now();
	end = start + o->secs;
	for (t = start; t < end && conns < o->max_conn; t = now()) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			perror("connrate: socket");
			return 1;
		}
		if (o->nsrc > 0) {
			struct sockaddr_in src = { .sin_family = AF_INET };

			/* 127.0.1.1 ... 127.0.1.nsrc, port chosen at connect() */
			src.sin_addr.s_addr = htonl(0x7f000100u + 1 + conns % o->nsrc);
			setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
			if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
				goto fail;
		}
		set_timeouts(fd, 2);
		if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
			goto fail;
		if (write_full(fd, buf, o->size) < 0 || read_full(fd, buf, o->size) < 0)
			goto fail;
		close(fd);
		conns++;
		continue;
fail:
		if (conns == 0 && errors == 0)
			fprintf(stderr, "connrate: first connection failed: %s\n", strerror(errno));
		close(fd);
		if (++errors > MAX_ERRORS) {
			fprintf(stderr, "connrate: more than %d errors, giving up\n", MAX_ERRORS);
			return 1;
		}
	}
	t -= start;
	printf("connections=%lu errors=%lu seconds=%.6f rate=%.1f\n", conns, errors, t,
	       t > 0 ? conns / t : 0.0);
	return conns > 0 ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: connrate server [-a ADDR] [-p PORT] [-s BYTES] [-T MAXSECS]\n"
		"       connrate client [-a ADDR] [-p PORT] [-s BYTES] [-t SECS] [-n MAXCONN] [-b NSRC]\n");
}

int main(int argc, char **argv)
{
	struct opts o = {
		.addr = "127.0.0.1",
		.port = 5301,
		.size = 64,
		.secs = 5,
		.max_conn = 10000000,
		.nsrc = 0,
		.max_secs = 3600,
	};
	bool server;
	int c;

	if (argc < 2) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "server") == 0)
		server = true;
	else if (strcmp(argv[1], "client") == 0)
		server = false;
	else {
		usage();
		return 2;
	}
	optind = 2;
	while ((c = getopt(argc, argv, "a:p:s:t:n:b:T:")) != -1) {
		switch (c) {
		case 'a': o.addr = optarg; break;
		case 'p': o.port = atoi(optarg); break;
		case 's': o.size = strtoul(optarg, NULL, 10); break;
		case 't': o.secs = strtod(optarg, NULL); break;
		case 'n': o.max_conn = strtoul(optarg, NULL, 10); break;
		case 'b': o.nsrc = atoi(optarg); break;
		case 'T': o.max_secs = atoi(optarg); break;
		default: usage(); return 2;
		}
	}
	if (o.size < 1 || o.size > MAX_SIZE || o.port < 1 || o.port > 65535 ||
	    o.secs <= 0 || o.secs > 3600 || o.nsrc < 0 || o.nsrc > 254 ||
	    o.max_secs < 1 || o.max_secs > 86400) {
		usage();
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	return server ? run_server(&o) : run_client(&o);
}
