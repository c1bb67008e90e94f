/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * leco-test-reader: a small reader of LECO's pinned maps for the kernel tests
 * (and for people poking at a live system).  One "key=value ..." line per
 * record on stdout.
 *
 *   leco-test-reader events DIR [--timeout-ms N] [--idle-ms N] [--max N]
 *   leco-test-reader cgroup DIR CGROUP_ID
 *   leco-test-reader stats DIR
 *   leco-test-reader meta DIR
 *   leco-test-reader sockets DIR
 *   leco-test-reader cgroup-id PATH
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "leco-event.h"
#include "leco-walk.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define SUFFIX "_v" STR(LECO_ABI_VERSION)

static volatile sig_atomic_t stop;
static unsigned long n_events, n_bad, max_events;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int open_pin(const char *dir, const char *name, bool rdonly)
{
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = rdonly ? BPF_F_RDONLY : 0);
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s%s", dir, name, SUFFIX);
	fd = bpf_obj_get_opts(path, &opts);
	if (fd < 0)
		fprintf(stderr, "leco-test-reader: cannot open \"%s\": %s\n", path, strerror(errno));
	return fd;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct leco_event e;
	char line[1024], err[128];

	(void)ctx;
	if (leco_event_decode(data, len, &e, err, sizeof(err)) < 0) {
		n_bad++;
		printf("bad-event reason=\"%s\"\n", err);
		return 0;
	}
	if (leco_event_format(&e, line, sizeof(line)) > 0)
		printf("%s\n", line);
	fflush(stdout);
	n_events++;
	return max_events && n_events >= max_events ? 1 : 0;
}

static int cmd_events(const char *dir, int argc, char **argv)
{
	unsigned long timeout_ms = 5000, idle_ms = 0;
	struct ring_buffer *rb;
	uint64_t start, last;
	int fd;

	for (int i = 0; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--timeout-ms"))
			timeout_ms = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--idle-ms"))
			idle_ms = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--max"))
			max_events = strtoul(argv[i + 1], NULL, 10);
		else
			return fprintf(stderr, "leco-test-reader: unknown option \"%s\"\n", argv[i]), 2;
	}
	fd = open_pin(dir, "events", false);
	if (fd < 0)
		return 1;
	rb = ring_buffer__new(fd, on_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "leco-test-reader: cannot map the ring buffer: %s\n", strerror(errno));
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	printf("reader ready\n");
	fflush(stdout);
	start = last = now_ms();
	while (!stop) {
		unsigned long before = n_events;
		int r = ring_buffer__poll(rb, 50);

		/* routine events do not wake us: drain what is there anyway */
		if (r >= 0)
			r = ring_buffer__consume(rb);
		if (r < 0 && r != -EINTR) {
			if (max_events && n_events >= max_events)
				break;
			fprintf(stderr, "leco-test-reader: ring buffer: %s\n", strerror(-r));
			break;
		}
		if (n_events != before)
			last = now_ms();
		if (max_events && n_events >= max_events)
			break;
		if (timeout_ms && now_ms() - start >= timeout_ms)
			break;
		if (idle_ms && now_ms() - last >= idle_ms)
			break;
	}
	ring_buffer__free(rb);
	printf("reader done events=%lu bad=%lu\n", n_events, n_bad);
	return 0;
}

static int sum_percpu(int fd, const void *key, size_t vsize, uint64_t *sum, size_t nfields)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc(ncpu, vsize);
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, key, vals) < 0) {
		free(vals);
		return -errno;
	}
	memset(sum, 0, nfields * sizeof(*sum));
	for (int c = 0; c < ncpu; c++)
		for (size_t f = 0; f < nfields; f++)
			sum[f] += vals[c * (vsize / sizeof(uint64_t)) + f];
	free(vals);
	return 0;
}

static int read_meta(const char *dir, struct leco_meta *m)
{
	uint32_t key = 0;
	int fd = open_pin(dir, "meta", true), r = 0;

	if (fd < 0)
		return -ENOENT;
	if (bpf_map_lookup_elem(fd, &key, m) < 0) {
		r = -errno;
		fprintf(stderr, "leco-test-reader: lookup: %s\n", strerror(errno));
	}
	close(fd);
	m->build_id[sizeof(m->build_id) - 1] = '\0';
	return r;
}

/* Each record of the pinned socket walks (as the daemon reads them), to fn. */
static int for_each_socket(const char *dir, void (*fn)(const struct leco_sock_rec *rec, void *data), void *data)
{
	enum leco_hook walks[4];
	struct leco_meta m;
	struct leco_sock_rec *recs = NULL;
	size_t nwalks, nfds = 0, n = 0;
	uint64_t bad = 0;
	int fds[4], r;

	r = read_meta(dir, &m);
	if (r < 0)
		return r;
	nwalks = leco_walks_for(m.hooks, walks);
	if (nwalks == 0) {
		fprintf(stderr, "leco-test-reader: no socket walk loaded\n");
		return -ENOENT;
	}
	for (size_t i = 0; i < nwalks; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s_iter%s", dir, leco_walk_program(walks[i]), SUFFIX);
		fds[nfds] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[nfds] < 0) {
			r = -errno;
			fprintf(stderr, "leco-test-reader: cannot open \"%s\": %s\n", path, strerror(errno));
			while (nfds)
				close(fds[--nfds]);
			return r;
		}
		nfds++;
	}
	r = leco_walk_read(fds, nfds, 1u << 20, &recs, &n, &bad);
	if (r < 0)
		fprintf(stderr, "leco-test-reader: reading the socket walks: %s\n", strerror(-r));
	if (bad)
		fprintf(stderr, "leco-test-reader: %llu malformed socket records\n", (unsigned long long)bad);
	for (size_t i = 0; i < n; i++)
		fn(&recs[i], data);
	free(recs);
	return r;
}

struct live_sum {
	uint64_t id;
	uint64_t *s;
};

static void add_live(const struct leco_sock_rec *rec, void *data)
{
	struct live_sum *ls = data;

	/* counters of closed sockets are in the map already */
	if (rec->s.cgroup_id != ls->id || (rec->s.flags & (LECO_F_COUNTED | LECO_F_CGROUP_LIVE)))
		return;
	ls->s[0] += rec->s.tx_bytes;
	ls->s[1] += rec->s.rx_bytes;
	ls->s[2] += rec->s.tx_calls;
	ls->s[3] += rec->s.rx_calls;
}

static int cmd_cgroup(const char *dir, const char *id_s)
{
	uint64_t id = strtoull(id_s, NULL, 0), s[5] = {};
	int fd = open_pin(dir, "cgroup_stats", true), r;

	if (fd < 0)
		return 1;
	r = sum_percpu(fd, &id, sizeof(struct leco_cgroup_stats), s, 5);
	if (r < 0 && r != -ENOENT)
		return fprintf(stderr, "leco-test-reader: lookup: %s\n", strerror(-r)), 1;
	{
		struct live_sum ls = { id, s };

		if (for_each_socket(dir, add_live, &ls) < 0)
			fprintf(stderr, "leco-test-reader: live sockets unavailable, totals are of closed ones\n");
	}
	if (r == -ENOENT && !s[0] && !s[1]) {
		printf("cgroup=%llu missing=1 tx=0 rx=0 txc=0 rxc=0 blocked=0\n", (unsigned long long)id);
		return 0;
	}
	printf("cgroup=%llu missing=0 tx=%llu rx=%llu txc=%llu rxc=%llu blocked=%llu\n",
	       (unsigned long long)id, (unsigned long long)s[0], (unsigned long long)s[1],
	       (unsigned long long)s[2], (unsigned long long)s[3], (unsigned long long)s[4]);
	return 0;
}

static int cmd_stats(const char *dir)
{
	static const char *const names[LECO_STAT_MAX] = {
		"rb_dropped", "events", "drops_seen", "drops_coalesced", "no_storage", "denied", "adopted",
	};
	int fd = open_pin(dir, "stats", true);

	if (fd < 0)
		return 1;
	for (uint32_t i = 0; i < LECO_STAT_MAX; i++) {
		uint64_t v;
		int r = sum_percpu(fd, &i, sizeof(uint64_t), &v, 1);

		if (r < 0)
			return fprintf(stderr, "leco-test-reader: lookup: %s\n", strerror(-r)), 1;
		printf("%s%s=%llu", i ? " " : "", names[i], (unsigned long long)v);
	}
	printf("\n");
	return 0;
}

static int cmd_meta(const char *dir)
{
	struct leco_meta m = {};

	if (read_meta(dir, &m) < 0)
		return 1;
	printf("abi=%u build=%s lockdown=%s hooks=", m.abi_version, m.build_id, leco_lockdown_name(m.lockdown));
	for (int i = 0, first = 1; i < LECO_HOOK_MAX; i++)
		if (m.hooks & (1ULL << i)) {
			printf("%s%s", first ? "" : ",", leco_hook_name(i));
			first = 0;
		}
	/* the others: name:status:errno */
	printf(" unavailable=");
	for (int i = 0, first = 1; i < LECO_HOOK_MAX; i++)
		if (!(m.hooks & (1ULL << i))) {
			printf("%s%s:%s:%d", first ? "" : ",", leco_hook_name(i),
			       leco_hook_status_name(m.hook_status[i]), m.hook_errno[i]);
			first = 0;
		}
	printf("\n");
	return 0;
}

static void print_socket(const struct leco_sock_rec *rec, void *data)
{
	char la[64], ra[64], pb[16];

	(void)data;
	printf("socket cookie=%llu pid=%u comm=%s uid=%u cgroup=%llu proto=%s family=%s local=%s lport=%u "
	       "remote=%s rport=%u tx=%llu rx=%llu txc=%llu rxc=%llu closed=%d state=%s netns=%u adopted=%d "
	       "announced=%d inbound=%d\n",
	       (unsigned long long)rec->s.cookie, rec->s.pid, rec->s.comm[0] ? rec->s.comm : "-", rec->s.uid,
	       (unsigned long long)rec->s.cgroup_id, leco_protocol_name(rec->protocol, pb, sizeof(pb)),
	       leco_family_name(rec->family), leco_addr_to_string(rec->family, rec->local_addr, la, sizeof(la)),
	       rec->local_port, leco_addr_to_string(rec->family, rec->remote_addr, ra, sizeof(ra)),
	       rec->remote_port, (unsigned long long)rec->s.tx_bytes, (unsigned long long)rec->s.rx_bytes,
	       (unsigned long long)rec->s.tx_calls, (unsigned long long)rec->s.rx_calls,
	       !!(rec->s.flags & LECO_F_COUNTED),
	       rec->protocol == IPPROTO_TCP ? leco_tcp_state_name(rec->state) : "-", rec->netns,
	       !!(rec->s.flags & LECO_F_ADOPTED), !!(rec->s.flags & LECO_F_ANNOUNCED),
	       !!(rec->s.flags & LECO_F_INBOUND));
}

static int cmd_sockets(const char *dir)
{
	return for_each_socket(dir, print_socket, NULL) < 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "events"))
		return cmd_events(argv[2], argc - 3, argv + 3);
	if (argc == 4 && !strcmp(argv[1], "cgroup"))
		return cmd_cgroup(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "stats"))
		return cmd_stats(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "meta"))
		return cmd_meta(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "sockets"))
		return cmd_sockets(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "cgroup-id")) {
		struct stat st;

		if (stat(argv[2], &st) < 0)
			return fprintf(stderr, "leco-test-reader: %s: %s\n", argv[2], strerror(errno)), 1;
		printf("%llu\n", (unsigned long long)st.st_ino);
		return 0;
	}
	fprintf(stderr, "usage: leco-test-reader events|cgroup|stats|meta|sockets DIR ... | cgroup-id PATH\n");
	return 2;
}
