// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ringdrain: stand-in for leco-dbusd's ring buffer consumer during
 * bench/overhead/run.
 *
 *   ringdrain PINDIR [-i INTERVAL_MS] [-T MAXSECS]
 *
 * Finds every BPF_MAP_TYPE_RINGBUF pinned under PINDIR (any depth up to 4)
 * and drains it the way the daemon does: wait for a wakeup at most
 * INTERVAL_MS (default 200), then consume whatever is pending.  Without a
 * consumer the ring fills up, reservations start failing and the hooks get
 * cheaper than in real use, so the benchmark keeps one running while the
 * hooks are loaded.  Events are counted, not decoded.  Ends on SIGTERM/SIGINT
 * or after MAXSECS and prints  ringbufs=N events=E bytes=B.
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEPTH 4

struct counts {
	unsigned long long events, bytes;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct counts *c = ctx;

	(void)data;
	c->events++;
	c->bytes += size;
	return 0;
}

static int silent_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* Adds every ring buffer pinned under dir to *rb (created on first find). */
static int scan(const char *dir, int depth, struct ring_buffer **rb, struct counts *c)
{
	struct dirent *de;
	int found = 0;
	DIR *d;

	if (depth > MAX_DEPTH)
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		char path[PATH_MAX];
		struct stat st;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			found += scan(path, depth + 1, rb, c);
			continue;
		}
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ||
		    info.type != BPF_MAP_TYPE_RINGBUF) {
			close(fd);
			continue;
		}
		if (!*rb)
			*rb = ring_buffer__new(fd, on_event, c, NULL);
		else if (ring_buffer__add(*rb, fd, on_event, c) < 0)
			fprintf(stderr, "ringdrain: cannot add \"%s\", ignoring\n", path);
		if (*rb)
			found++; /* fd stays open for the life of the process */
		else
			close(fd);
	}
	closedir(d);
	return found;
}

int main(int argc, char **argv)
{
	struct ring_buffer *rb = NULL;
	struct counts c = {};
	int interval = 200, max_secs = 3600, n, opt;
	struct timespec t0, t;

	while ((opt = getopt(argc, argv, "i:T:")) != -1) {
		switch (opt) {
		case 'i': interval = atoi(optarg); break;
		case 'T': max_secs = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || interval < 1 || interval > 10000 || max_secs < 1)
		goto usage;

	libbpf_set_print(silent_print);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	n = scan(argv[optind], 0, &rb, &c);
	if (!rb) {
		fprintf(stderr, "ringdrain: no ring buffer pinned under \"%s\"\n", argv[optind]);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		int err = ring_buffer__poll(rb, interval);

		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "ringdrain: poll: %s\n", strerror(-err));
			break;
		}
		/* routine events are submitted without a wakeup: drain on the timer */
		ring_buffer__consume(rb);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= max_secs)
			break;
	}
	ring_buffer__consume(rb);
	printf("ringbufs=%d events=%llu bytes=%llu\n", n, c.events, c.bytes);
	ring_buffer__free(rb);
	return 0;
usage:
	fprintf(stderr, "usage: ringdrain PINDIR [-i INTERVAL_MS] [-T MAXSECS]\n");
	return 2;
}
