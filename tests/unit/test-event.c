/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Ring buffer records are kernel data: decode must reject anything malformed. */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <glib.h>

#include <stdlib.h>
#include <unistd.h>

#include "leco-event.h"
#include "leco-walk.h"

static struct leco_event valid_event(void)
{
	struct leco_event e = {
		.type = LECO_EV_BLOCKED, .family = AF_INET, .protocol = IPPROTO_TCP,
		.direction = LECO_DIR_OUT, .pid = 42, .uid = 1000, .cgroup_id = 7, .cookie = 9,
		.local_port = 40000, .remote_port = 443, .reason = LECO_REASON_NETFILTER,
		.kernel_reason = 12, .count = 3,
	};
	inet_pton(AF_INET, "192.0.2.1", e.local_addr);
	inet_pton(AF_INET, "198.51.100.7", e.remote_addr);
	memcpy(e.comm, "curl", 5);
	return e;
}

static void test_valid(void)
{
	struct leco_event in = valid_event(), out;
	char line[1024], err[128] = "";

	g_assert_cmpint(leco_event_decode(&in, sizeof(in), &out, err, sizeof(err)), ==, 0);
	g_assert_cmpstr(err, ==, "");
	g_assert_cmpint(leco_event_format(&out, line, sizeof(line)), >, 0);
	g_assert_nonnull(strstr(line, "type=blocked family=ipv4 proto=tcp dir=out pid=42 comm=curl uid=1000"));
	g_assert_nonnull(strstr(line, "local=192.0.2.1 lport=40000 remote=198.51.100.7 rport=443"));
	g_assert_nonnull(strstr(line, "reason=firewall kreason=12 count=3"));
}

static void expect_bad(const struct leco_event *e, size_t len, const char *why)
{
	struct leco_event out;
	char err[128] = "";

	memset(&out, 0xaa, sizeof(out));
	g_assert_cmpint(leco_event_decode(e, len, &out, err, sizeof(err)), ==, -EBADMSG);
	g_assert_nonnull(strstr(err, why));
	/* nothing half-decoded leaks out */
	for (size_t i = 0; i < sizeof(out); i++)
		g_assert_cmpuint(((unsigned char *)&out)[i], ==, 0xaa);
}

static void test_malformed(void)
{
	struct leco_event e = valid_event();
	unsigned char big[sizeof(e) + 8] = {};

	expect_bad(&e, sizeof(e) - 1, "record size");
	memcpy(big, &e, sizeof(e));
	expect_bad((struct leco_event *)big, sizeof(big), "record size");
	expect_bad(&e, 0, "record size");
	g_assert_cmpint(leco_event_decode(NULL, sizeof(e), &e, NULL, 0), ==, -EBADMSG);

	e = valid_event(); e.type = 0;
	expect_bad(&e, sizeof(e), "unknown event type");
	e = valid_event(); e.type = LECO_EV_TYPE_MAX;
	expect_bad(&e, sizeof(e), "unknown event type");
	e = valid_event(); e.family = AF_UNIX;
	expect_bad(&e, sizeof(e), "unknown address family");
	e = valid_event(); e.direction = 7;
	expect_bad(&e, sizeof(e), "bad direction");
	e = valid_event(); e.reason = LECO_REASON_MAX;
	expect_bad(&e, sizeof(e), "unknown reason");
	e = valid_event(); e.reason = LECO_REASON_NONE;
	expect_bad(&e, sizeof(e), "without a reason");
	e = valid_event(); e.err = -5;
	expect_bad(&e, sizeof(e), "bad errno");
}

static void test_comm(void)
{
	struct leco_event e = valid_event(), out;
	char line[1024];

	/* unterminated, with control characters and bytes >= 0x7f */
	memset(e.comm, 'A', sizeof(e.comm));
	e.comm[2] = '\n';
	e.comm[3] = (char)0xff;
	g_assert_cmpint(leco_event_decode(&e, sizeof(e), &out, NULL, 0), ==, 0);
	g_assert_cmpuint(strlen(out.comm), ==, LECO_COMM_LEN - 1);
	g_assert_cmpstr(out.comm, ==, "AA??AAAAAAAAAAA");
	leco_event_format(&out, line, sizeof(line));
	g_assert_null(strchr(line, '\n'));
}

static void test_v6_and_names(void)
{
	struct leco_event e = valid_event(), out;
	char buf[64], pb[16];

	e.family = AF_INET6;
	e.flags = 0;
	inet_pton(AF_INET6, "2001:db8::1", e.remote_addr);
	g_assert_cmpint(leco_event_decode(&e, sizeof(e), &out, NULL, 0), ==, 0);
	g_assert_true(out.flags & LECO_F_V6);
	g_assert_cmpstr(leco_addr_to_string(out.family, out.remote_addr, buf, sizeof(buf)), ==, "2001:db8::1");
	g_assert_cmpstr(leco_addr_to_string(AF_UNIX, out.remote_addr, buf, sizeof(buf)), ==, "");
	g_assert_cmpstr(leco_protocol_name(253, pb, sizeof(pb)), ==, "ip-253");
	g_assert_cmpstr(leco_protocol_name(IPPROTO_ICMPV6, pb, sizeof(pb)), ==, "icmpv6");
	g_assert_cmpstr(leco_reason_name(LECO_REASON_CGROUP_BPF), ==, "cgroup-bpf");
	g_assert_cmpstr(leco_reason_name(999), ==, "unknown");
	g_assert_cmpstr(leco_event_type_name(999), ==, "unknown");
	g_assert_cmpstr(leco_tcp_state_name(2), ==, "syn-sent");
	g_assert_cmpstr(leco_tcp_state_name(200), ==, "unknown");
	g_assert_cmpstr(leco_hook_name(LECO_HOOK_KFREE_SKB), ==, "kfree-skb");
}

static void test_format_small_buffer(void)
{
	struct leco_event e = valid_event();
	char tiny[16];

	g_assert_cmpint(leco_event_format(&e, tiny, sizeof(tiny)), ==, -ENOBUFS);
}

static void test_sock_rec(void)
{
	struct leco_sock_rec r = { .family = AF_INET }, out;

	memset(r.s.comm, 'x', sizeof(r.s.comm));
	g_assert_cmpint(leco_sock_rec_decode(&r, sizeof(r), &out, NULL, 0), ==, 0);
	g_assert_cmpuint(strlen(out.s.comm), ==, LECO_COMM_LEN - 1);
	g_assert_cmpint(leco_sock_rec_decode(&r, sizeof(r) - 1, &out, NULL, 0), ==, -EBADMSG);
	r.family = 99;
	g_assert_cmpint(leco_sock_rec_decode(&r, sizeof(r), &out, NULL, 0), ==, -EBADMSG);
}

/* Random bytes never crash the decoder, and what it accepts is printable. */
static void test_garbage(void)
{
	GRand *rnd = g_rand_new_with_seed(1234);
	unsigned accepted = 0;

	for (int i = 0; i < 20000; i++) {
		unsigned char buf[sizeof(struct leco_event)];
		struct leco_event out;
		char line[1024];

		for (size_t j = 0; j < sizeof(buf); j++)
			buf[j] = g_rand_int(rnd);
		/* make a fraction of them plausible so the accept path is exercised too */
		if (i % 2) {
			((struct leco_event *)buf)->type = 1 + i % (LECO_EV_TYPE_MAX - 1);
			((struct leco_event *)buf)->family = i % 4 ? AF_INET : AF_INET6;
			((struct leco_event *)buf)->direction = i % 3;
			((struct leco_event *)buf)->reason = 1 + i % (LECO_REASON_MAX - 1);
			((struct leco_event *)buf)->err = i % 100;
		}
		if (leco_event_decode(buf, sizeof(buf) - (i % 7 == 0), &out, NULL, 0) == 0) {
			accepted++;
			g_assert_cmpint(leco_event_format(&out, line, sizeof(line)), >, 0);
			for (const char *p = line; *p; p++)
				g_assert_true(*p >= 0x20 && *p < 0x7f);
		}
	}
	g_assert_cmpuint(accepted, >, 1000);
	g_rand_free(rnd);
}

#define BIT(h) (1ULL << (h))
#define ALL_HOOKS ((1ULL << LECO_HOOK_MAX) - 1)

static gboolean lost_has(uint64_t hooks, const char *id)
{
	const struct leco_loss *lost[16];
	size_t n = leco_lost_features(hooks, lost, 16);

	for (size_t i = 0; i < n && i < 16; i++)
		if (strcmp(lost[i]->id, id) == 0)
			return TRUE;
	return FALSE;
}

static size_t lost_count(uint64_t hooks)
{
	const struct leco_loss *lost[16];

	return leco_lost_features(hooks, lost, 16);
}

/* What is lost follows from which hooks stand in for which. */
static void test_lost_features(void)
{
	const uint64_t walks = BIT(LECO_HOOK_ITER_SOCKETS) | BIT(LECO_HOOK_ITER_TCP) | BIT(LECO_HOOK_ITER_UDP) |
			       BIT(LECO_HOOK_ITER_TASK_FILE);

	g_assert_cmpuint(lost_count(ALL_HOOKS), ==, 0);
	/* a lockdown kernel: the other walks stand in for the map iterator */
	g_assert_cmpuint(lost_count(ALL_HOOKS & ~BIT(LECO_HOOK_ITER_SOCKETS)), ==, 0);
	/* ... and the map iterator for the task walk's live records */
	g_assert_true(lost_has(ALL_HOOKS & ~BIT(LECO_HOOK_ITER_TASK_FILE), "process-of-found-sockets"));
	g_assert_cmpuint(lost_count(ALL_HOOKS & ~BIT(LECO_HOOK_ITER_TASK_FILE)), ==, 1);
	g_assert_true(lost_has(ALL_HOOKS & ~BIT(LECO_HOOK_ITER_SOCKETS) & ~BIT(LECO_HOOK_ITER_TASK_FILE),
			       "live-bytes-other-netns"));
	g_assert_true(lost_has(ALL_HOOKS & ~walks, "live-bytes"));
	g_assert_true(lost_has(ALL_HOOKS & ~walks, "waiting-connects"));
	g_assert_true(lost_has(ALL_HOOKS & ~walks, "open-before-start"));
	g_assert_false(lost_has(ALL_HOOKS & ~walks, "process-of-found-sockets"));
	g_assert_true(lost_has(ALL_HOOKS & ~BIT(LECO_HOOK_ITER_TCP), "open-before-start"));
	g_assert_false(lost_has(ALL_HOOKS & ~BIT(LECO_HOOK_ITER_TCP), "waiting-connects"));
	g_assert_true(lost_has(ALL_HOOKS & ~BIT(LECO_HOOK_CONNECT_EXIT), "denied-connects"));
	g_assert_true(lost_has(ALL_HOOKS & ~BIT(LECO_HOOK_CG_SENDMSG6), "udp-destinations"));
	g_assert_true(lost_has(ALL_HOOKS & ~BIT(LECO_HOOK_RECV_LENGTH), "datagram-bytes"));
	g_assert_true(lost_has(ALL_HOOKS & ~BIT(LECO_HOOK_CG_SOCK_RELEASE), "datagram-close"));
	g_assert_true(lost_has(ALL_HOOKS & ~BIT(LECO_HOOK_CG_CONNECT4), "datagram-connect-process"));
	/* the count stays right when the caller has less room */
	{
		const struct leco_loss *one[1];

		g_assert_cmpuint(leco_lost_features(0, one, 1), ==, lost_count(0));
	}
}

static void test_walks_for(void)
{
	enum leco_hook w[4];

	g_assert_cmpuint(leco_walks_for(ALL_HOOKS, w), ==, 1);
	g_assert_cmpint(w[0], ==, LECO_HOOK_ITER_SOCKETS);
	g_assert_cmpuint(leco_walks_for(ALL_HOOKS & ~BIT(LECO_HOOK_ITER_SOCKETS), w), ==, 3);
	g_assert_cmpint(w[0], ==, LECO_HOOK_ITER_TCP);
	g_assert_cmpint(w[2], ==, LECO_HOOK_ITER_TASK_FILE);
	g_assert_cmpuint(leco_walks_for(BIT(LECO_HOOK_ITER_UDP), w), ==, 1);
	g_assert_cmpint(w[0], ==, LECO_HOOK_ITER_UDP);
	g_assert_cmpuint(leco_walks_for(BIT(LECO_HOOK_TCP_STATE), w), ==, 0);
	g_assert_cmpstr(leco_walk_program(LECO_HOOK_ITER_TCP), ==, "tcp_sockets");
	g_assert_null(leco_walk_program(LECO_HOOK_TCP_STATE));
	for (int i = 0; i < LECO_HOOK_MAX; i++)
		g_assert_cmpint(leco_hook_from_name(leco_hook_name(i)), ==, i);
	g_assert_cmpint(leco_hook_from_name("no-such-hook"), ==, -ENOENT);
}

static int pipe_with(const struct leco_sock_rec *recs, size_t n, size_t extra)
{
	int p[2];
	char junk[64] = { 0 };

	g_assert_cmpint(pipe(p), ==, 0);
	g_assert_cmpint(write(p[1], recs, n * sizeof(*recs)), ==, (ssize_t)(n * sizeof(*recs)));
	if (extra)
		g_assert_cmpint(write(p[1], junk, extra), ==, (ssize_t)extra);
	close(p[1]);
	return p[0];
}

/* Each socket once (the task walk meets one per process holding it),
 * malformed records counted, a trailing partial record ignored. */
static void test_walk_read(void)
{
	struct leco_sock_rec a[3] = {}, b[2] = {}, *out = NULL;
	uint64_t bad = 0;
	size_t n = 0;
	int fds[2];

	for (int i = 0; i < 3; i++) {
		a[i].family = AF_INET;
		a[i].protocol = IPPROTO_TCP;
		a[i].s.cookie = 30 - i * 10; /* 30, 20, 10 */
	}
	b[0] = a[1];             /* 20 again, from another walk */
	b[1] = a[0];
	b[1].s.cookie = 40;
	b[1].family = 12345;     /* malformed */
	fds[0] = pipe_with(a, 3, 0);
	fds[1] = pipe_with(b, 2, 17);
	g_assert_cmpint(leco_walk_read(fds, 2, 100, &out, &n, &bad), ==, 0);
	g_assert_cmpuint(n, ==, 3);
	g_assert_cmpuint(bad, ==, 1);
	g_assert_cmpuint(out[0].s.cookie, ==, 10);
	g_assert_cmpuint(out[1].s.cookie, ==, 20);
	g_assert_cmpuint(out[2].s.cookie, ==, 30);
	free(out);
	/* bounded */
	fds[0] = pipe_with(a, 3, 0);
	g_assert_cmpint(leco_walk_read(fds, 1, 2, &out, &n, NULL), ==, 0);
	g_assert_cmpuint(n, ==, 2);
	free(out);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/event/valid", test_valid);
	g_test_add_func("/event/malformed", test_malformed);
	g_test_add_func("/event/comm", test_comm);
	g_test_add_func("/event/v6-and-names", test_v6_and_names);
	g_test_add_func("/event/format-small-buffer", test_format_small_buffer);
	g_test_add_func("/event/sock-rec", test_sock_rec);
	g_test_add_func("/event/garbage", test_garbage);
	g_test_add_func("/hooks/lost-features", test_lost_features);
	g_test_add_func("/hooks/walks-for", test_walks_for);
	g_test_add_func("/walk/read", test_walk_read);
	return g_test_run();
}
