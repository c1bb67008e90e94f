// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * udprate: UDP small-packet rate for bench/overhead/run.
 *
 *   udprate recv [-a ADDR] [-p PORT] [-t SECS] [-w WARMUP] [-T MAXSECS]
 *   udprate send [-a ADDR] [-p PORT] [-s BYTES] [-t SECS]
 *
 * The sender send()s BYTES-sized datagrams on a connected UDP socket as fast
 * as it can for SECS seconds.  The receiver recv()s one datagram per call
 * and counts those that arrive in a window of SECS seconds starting WARMUP
 * seconds after the first datagram; it prints
 *   packets=N seconds=S pps=R
 * The sender prints  sent=N errors=E seconds=S pps=R.
 * Both are bounded by time; the receiver gives up after MAXSECS without the
 * window completing (exit 1).  One datagram per syscall on purpose: it is the
 * case where per-call hooks (sock_send_length / sock_recv_length) cost most.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE 1472

struct opts {
	const char *addr;
	int port;
	size_t size;
	double secs;
	double warmup;
	double max_secs;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int make_socket(const struct opts *o, bool bind_it)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(o->port) };
	int fd;

	if (inet_pton(AF_INET, o->addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "udprate: bad address \"%s\"\n", o->addr);
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("udprate: socket");
		return -1;
	}
	if ((bind_it ? bind(fd, (struct sockaddr *)&sa, sizeof(sa))
		     : connect(fd, (struct sockaddr *)&sa, sizeof(sa))) < 0) {
		perror(bind_it ? "udprate: bind" : "udprate: connect");
		close(fd);
		return -1;
	}
	return fd;
}

static int run_recv(const struct opts *o)
{
	struct timeval tv = { .tv_usec = 100000 };
	double deadline, first = 0, wstart = 0, wend = 0, t;
	unsigned long packets = 0;
	char buf[2048];
	int fd;

	fd = make_socket(o, true);
	if (fd < 0)
		return 1;
	/* short timeout so the clocks are checked even when nothing arrives */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	deadline = now() + o->max_secs;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		t = now();
		if (n >= 0) {
			if (first == 0) {
				first = t;
				wstart = first + o->warmup;
				wend = wstart + o->secs;
			}
			if (t >= wstart && t < wend)
				packets++;
		} else if (errno != EAGAIN && errno != EINTR) {
			perror("udprate: recv");
			break;
		}
		if (first != 0 && t >= wend) {
			printf("packets=%lu seconds=%.6f pps=%.1f\n", packets, o->secs,
			       packets / o->secs);
			close(fd);
			return 0;
		}
		if (t >= deadline) {
			fprintf(stderr, "udprate: window not complete after %.0f s (%s)\n",
				o->max_secs, first ? "sender stopped early" : "nothing received");
			break;
		}
	}
	close(fd);
	return 1;
}

static int run_send(const struct opts *o)
{
	unsigned long sent = 0, errors = 0;
	char buf[MAX_SIZE];
	double start, end, t = 0;
	int fd;

	fd = make_socket(o, false);
	if (fd < 0)
		return 1;
	memset(buf, 'u', sizeof(buf));
	start = now();
	end = start + o->secs;
	/* the clock is read every 64 sends: cheap, and still bounded in time */
	for (;;) {
		if ((sent + errors) % 64 == 0) {
			t = now();
			if (t >= end)
				break;
		}
		if (send(fd, buf, o->size, 0) == (ssize_t)o->size)
			sent++;
		else
			errors++; /* ECONNREFUSED before the receiver binds, ENOBUFS */
	}
	t -= start;
	printf("sent=%lu errors=%lu seconds=%.6f pps=%.1f\n", sent, errors, t, sent / t);
	close(fd);
	return sent > 0 ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: udprate recv [-a ADDR] [-p PORT] [-t SECS] [-w WARMUP] [-T MAXSECS]\n"
		"       udprate send [-a ADDR] [-p PORT] [-s BYTES] [-t SECS]\n");
}

int main(int argc, char **argv)
{
	struct opts o = {
		.addr = "127.0.0.1",
		.port = 5401,
		.size = 64,
		.secs = 5,
		.warmup = 0.5,
		.max_secs = 60,
	};
	bool recv_mode;
	int c;

	if (argc < 2) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "recv") == 0)
		recv_mode = true;
	else if (strcmp(argv[1], "send") == 0)
		recv_mode = false;
	else {
		usage();
		return 2;
	}
	optind = 2;
	while ((c = getopt(argc, argv, "a:p:s:t:w:T:")) != -1) {
		switch (c) {
		case 'a': o.addr = optarg; break;
		case 'p': o.port = atoi(optarg); break;
		case 's': o.size = strtoul(optarg, NULL, 10); break;
		case 't': o.secs = strtod(optarg, NULL); break;
		case 'w': o.warmup = strtod(optarg, NULL); break;
		case 'T': o.max_secs = strtod(optarg, NULL); break;
		default: usage(); return 2;
		}
	}
	if (o.size < 1 || o.size > MAX_SIZE || o.port < 1 || o.port > 65535 ||
	    o.secs <= 0 || o.secs > 3600 || o.warmup < 0 || o.warmup > 60 ||
	    o.max_secs <= 0 || o.max_secs > 3600) {
		usage();
		return 2;
	}
	return recv_mode ? run_recv(&o) : run_send(&o);
}
