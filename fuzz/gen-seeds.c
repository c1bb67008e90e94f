/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Writes the binary seed corpora: fuzz/corpus/event (tagged ring buffer and
 * socket iterator records, see fuzz-event.c) and fuzz/corpus/filter
 * (serialized a{sv} ListConnections filters).  Run once; the outputs are in
 * the repository:
 *
 *   ninja -C BUILD fuzz/gen-seeds && BUILD/fuzz/gen-seeds fuzz/corpus
 *
 * The text corpora (unit, config) are written by hand.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "leco-event.h"

/* fuzz-event.c maps cgroup ids 0xcc...N to its fake tree's Nth directory */
#define CG(n) (0xcc00000000000000ULL | (n))
enum {
	CG_ROOT, CG_INIT, CG_SYSTEM, CG_SSHD, CG_IGNORED, CG_GETTY_SLICE, CG_GETTY, CG_DOCKER,
	CG_USER, CG_USER_1000, CG_SESSION, CG_USER_MGR, CG_USER_INIT, CG_APP_SLICE, CG_TERMINAL,
	CG_FIREFOX, CG_FIREFOX_ESR, CG_MACHINE, CG_LIBPOD, CG_CONTAINER, CG_QEMU, CG_WEIRD,
};

#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_CLOSE 7

static const char *outdir;

static void write_file(const char *sub, const char *name, const void *data, gsize len)
{
	g_autofree char *dir = g_build_filename(outdir, sub, NULL);
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_mkdir_with_parents(dir, 0755);
	if (!g_file_set_contents(path, data, (gssize)len, &error))
		g_error("%s", error->message);
}

/* ---- events ---- */

static void put_event(GByteArray *b, const struct leco_event *e, guint8 tag)
{
	g_byte_array_append(b, &tag, 1);
	g_byte_array_append(b, (const guint8 *)e, sizeof(*e));
}

static void put_sock(GByteArray *b, const struct leco_sock_rec *r)
{
	guint8 tag = 1;

	g_byte_array_append(b, &tag, 1);
	g_byte_array_append(b, (const guint8 *)r, sizeof(*r));
}

static void done(GByteArray *b, const char *name)
{
	write_file("event", name, b->data, b->len);
	g_byte_array_unref(b);
}

static struct leco_event ev(guint16 type, guint16 family, guint8 proto, guint8 dir, const char *local,
			    guint16 lport, const char *remote, guint16 rport)
{
	struct leco_event e = {
		.type = type, .family = family, .protocol = proto, .direction = dir,
		.pid = 4242, .uid = 1000, .ts_ns = 1000000000ULL, .cookie = 0x1001, .cgroup_id = CG(CG_TERMINAL),
		.local_port = lport, .remote_port = rport, .count = 1, .netns = 4026531840u,
	};

	if (local)
		inet_pton(family, local, e.local_addr);
	if (remote)
		inet_pton(family, remote, e.remote_addr);
	if (family == AF_INET6)
		e.flags |= LECO_F_V6;
	memcpy(e.comm, "curl", 5);
	return e;
}

static struct leco_sock_rec sock(guint64 cookie, guint16 family, guint8 proto, const char *local, guint16 lport,
				 const char *remote, guint16 rport)
{
	struct leco_sock_rec r = {
		.s = { .cookie = cookie, .cgroup_id = CG(CG_TERMINAL), .tx_bytes = 1234, .rx_bytes = 567890,
		       .tx_calls = 3, .rx_calls = 40, .pid = 4242, .uid = 1000,
		       .flags = LECO_F_ANNOUNCED | LECO_F_TCP_SEEN },
		.local_port = lport, .remote_port = rport, .family = family, .protocol = proto,
		.state = proto == IPPROTO_TCP ? TCP_ESTABLISHED : 0, .netns = 4026531840u,
	};

	inet_pton(family, local, r.local_addr);
	inet_pton(family, remote, r.remote_addr);
	memcpy(r.s.comm, "firefox", 8);
	return r;
}

static void one(const char *name, const struct leco_event *e)
{
	GByteArray *b = g_byte_array_new();

	put_event(b, e, 0);
	done(b, name);
}

static void gen_events(void)
{
	struct leco_event e, o, s, c;
	struct leco_sock_rec r;
	GByteArray *b;

	/* a TCP connection, start to end */
	o = ev(LECO_EV_FLOW_OPEN, AF_INET, IPPROTO_TCP, LECO_DIR_OUT, "192.168.1.20", 0, "93.184.216.34", 443);
	o.state = TCP_SYN_SENT;
	one("tcp4-open", &o);
	s = o;
	s.type = LECO_EV_FLOW_STATE;
	s.state = TCP_ESTABLISHED;
	s.old_state = TCP_SYN_SENT;
	s.local_port = 51234;
	s.ts_ns += 20000000;
	c = s;
	c.type = LECO_EV_FLOW_CLOSE;
	c.state = TCP_CLOSE;
	c.old_state = TCP_ESTABLISHED;
	c.tx_bytes = 517;
	c.rx_bytes = 1048576;
	c.tx_calls = 2;
	c.rx_calls = 64;
	c.ts_ns += 3000000000ULL;
	one("tcp4-close", &c);
	b = g_byte_array_new();
	put_event(b, &o, 0);
	put_event(b, &s, 0);
	put_event(b, &c, 0);
	done(b, "seq-tcp4-lifecycle");

	/* TCP over IPv6, accepted (inbound) by sshd */
	o = ev(LECO_EV_FLOW_OPEN, AF_INET6, IPPROTO_TCP, LECO_DIR_IN, "2001:db8::10", 22, "2001:db8:1::77", 50022);
	o.state = TCP_SYN_RECV;
	o.cookie = 0x2002;
	o.cgroup_id = CG(CG_SSHD);
	o.pid = 812;
	o.uid = 0;
	memcpy(o.comm, "sshd", 5);
	one("tcp6-accept", &o);
	c = o;
	c.type = LECO_EV_FLOW_CLOSE;
	c.state = TCP_CLOSE;
	c.tx_bytes = 40960;
	c.rx_bytes = 8192;
	b = g_byte_array_new();
	put_event(b, &o, 0);
	put_event(b, &c, 0);
	done(b, "seq-tcp6-accept-close");

	/* UDP to the stub resolver, from systemd-resolved */
	o = ev(LECO_EV_FLOW_OPEN, AF_INET, IPPROTO_UDP, LECO_DIR_OUT, "10.0.2.15", 40053, "9.9.9.9", 53);
	o.cookie = 0x3003;
	o.cgroup_id = CG(CG_SYSTEM);
	memcpy(o.comm, "systemd-resolve", 16);
	one("udp4-dns", &o);
	o.remote_addr[3] = 10; /* a second destination of the same socket */
	b = g_byte_array_new();
	put_event(b, &o, 0);
	o.remote_addr[3] = 9;
	put_event(b, &o, 0);
	c = o;
	c.type = LECO_EV_FLOW_CLOSE;
	put_event(b, &c, 0);
	done(b, "seq-udp4-two-destinations");

	/* raw ICMP (ping), ICMPv6, SCTP, an unknown protocol */
	o = ev(LECO_EV_FLOW_OPEN, AF_INET, IPPROTO_ICMP, LECO_DIR_OUT, "10.0.2.15", 0, "1.1.1.1", 0);
	memcpy(o.comm, "ping", 5);
	o.cookie = 0x4004;
	one("icmp4-ping", &o);
	o = ev(LECO_EV_FLOW_OPEN, AF_INET6, IPPROTO_ICMPV6, LECO_DIR_OUT, "fe80::1", 0, "ff02::2", 0);
	o.cookie = 0x4005;
	one("icmp6", &o);
	o = ev(LECO_EV_FLOW_OPEN, AF_INET, IPPROTO_SCTP, LECO_DIR_OUT, "10.0.2.15", 3868, "10.0.2.1", 3868);
	one("sctp4", &o);
	o = ev(LECO_EV_FLOW_OPEN, AF_INET, 253, LECO_DIR_OUT, "10.0.2.15", 0, "10.0.2.1", 0);
	one("proto-253", &o);

	/* blocked: nftables drop, outbound, coalesced in the kernel */
	e = ev(LECO_EV_BLOCKED, AF_INET, IPPROTO_TCP, LECO_DIR_OUT, "192.168.1.20", 51000, "198.51.100.7", 443);
	e.reason = LECO_REASON_NETFILTER;
	e.kernel_reason = 12;
	e.count = 3;
	e.cgroup_id = CG(CG_FIREFOX);
	memcpy(e.comm, "firefox", 8);
	one("blocked-nft-out", &e);
	b = g_byte_array_new();
	for (int i = 0; i < 6; i++) {
		e.ts_ns += 300000000ULL;
		e.local_port = (guint16)(51000 + i);
		put_event(b, &e, 0);
	}
	done(b, "seq-blocked-repeats");

	/* blocked: systemd IPAddressDeny= (cgroup eBPF), IPv6 */
	e = ev(LECO_EV_BLOCKED, AF_INET6, IPPROTO_UDP, LECO_DIR_OUT, "2001:db8::10", 40001, "2606:4700::1111", 53);
	e.reason = LECO_REASON_CGROUP_BPF;
	e.kernel_reason = 36;
	e.cgroup_id = CG(CG_GETTY);
	one("blocked-cgroup-bpf-v6", &e);

	/* blocked inbound: no socket, no process */
	e = ev(LECO_EV_BLOCKED, AF_INET, IPPROTO_TCP, LECO_DIR_IN, "192.168.1.20", 22, "203.0.113.99", 61000);
	e.reason = LECO_REASON_NETFILTER;
	e.pid = 0;
	e.uid = 0;
	e.cookie = 0;
	e.cgroup_id = 0;
	e.flags |= LECO_F_NO_PROC;
	memset(e.comm, 0, sizeof(e.comm));
	one("blocked-nft-in-noproc", &e);

	/* blocked by an LSM; in a podman container; v4-mapped IPv6 */
	e = ev(LECO_EV_BLOCKED, AF_INET6, IPPROTO_TCP, LECO_DIR_OUT, "::ffff:10.88.0.2", 40000, "::ffff:192.0.2.80",
	       80);
	e.reason = LECO_REASON_SECURITY;
	e.cgroup_id = CG(CG_CONTAINER);
	memcpy(e.comm, "wget", 5);
	one("blocked-lsm-container-mapped", &e);

	/* connect() denied (EPERM, EACCES); connect failed (ECONNREFUSED) */
	e = ev(LECO_EV_DENIED, AF_INET, IPPROTO_TCP, LECO_DIR_OUT, "0.0.0.0", 0, "192.0.2.1", 8080);
	e.reason = LECO_REASON_CONNECT;
	e.err = EPERM;
	e.cgroup_id = CG(CG_DOCKER);
	one("denied-eperm", &e);
	e.err = EACCES;
	e.family = AF_INET6;
	e.flags = LECO_F_V6;
	inet_pton(AF_INET6, "2001:db8::443", e.remote_addr);
	one("denied-eacces-v6", &e);
	e = ev(LECO_EV_FLOW_FAIL, AF_INET, IPPROTO_TCP, LECO_DIR_OUT, "127.0.0.1", 45000, "127.0.0.1", 9);
	e.err = ECONNREFUSED;
	e.cookie = 0x5005;
	one("fail-econnrefused", &e);

	/* hits of the daemon's ignore rules (fuzz-event.c's daemon_conf) */
	b = g_byte_array_new();
	e = ev(LECO_EV_BLOCKED, AF_INET, IPPROTO_TCP, LECO_DIR_OUT, "10.0.0.5", 40000, "203.0.113.5", 443);
	e.reason = LECO_REASON_NETFILTER;
	put_event(b, &e, 0);
	e = ev(LECO_EV_FLOW_OPEN, AF_INET, IPPROTO_UDP, LECO_DIR_OUT, "10.0.0.5", 40000, "10.0.0.1", 6005);
	put_event(b, &e, 0);
	e = ev(LECO_EV_FLOW_OPEN, AF_INET6, IPPROTO_TCP, LECO_DIR_OUT, "::1", 40000, "2001:db8:dead::1", 443);
	put_event(b, &e, 0);
	e = ev(LECO_EV_FLOW_OPEN, AF_INET, IPPROTO_TCP, LECO_DIR_OUT, "10.0.0.5", 40000, "10.0.0.1", 443);
	e.cgroup_id = CG(CG_IGNORED);
	put_event(b, &e, 0);
	e.cgroup_id = CG(CG_QEMU);
	memcpy(e.comm, "ignoreme", 9);
	put_event(b, &e, 0);
	done(b, "seq-ignored");

	/* more flows than the table holds (fuzz-event.c: 8 open) */
	b = g_byte_array_new();
	for (int i = 0; i < 12; i++) {
		e = ev(LECO_EV_FLOW_OPEN, AF_INET, IPPROTO_TCP, LECO_DIR_OUT, "10.0.0.5", 0, "192.0.2.1",
		       (guint16)(1000 + i));
		e.cookie = 0x6000 + (guint64)i;
		e.cgroup_id = CG(i % 21);
		e.ts_ns = 1000000ULL * (guint64)i;
		put_event(b, &e, 0);
	}
	for (int i = 0; i < 6; i++) {
		e = ev(LECO_EV_FLOW_CLOSE, AF_INET, IPPROTO_TCP, LECO_DIR_OUT, "10.0.0.5", 0, "192.0.2.1",
		       (guint16)(1000 + 2 * i));
		e.cookie = 0x6000 + 2 * (guint64)i;
		put_event(b, &e, 0);
	}
	done(b, "seq-eviction");

	/* socket iterator records: a live TCP socket, one not announced, UDP */
	r = sock(0x1001, AF_INET, IPPROTO_TCP, "192.168.1.20", 51234, "93.184.216.34", 443);
	b = g_byte_array_new();
	put_sock(b, &r);
	done(b, "sock-tcp4-live");
	b = g_byte_array_new();
	o = ev(LECO_EV_FLOW_OPEN, AF_INET, IPPROTO_TCP, LECO_DIR_OUT, "192.168.1.20", 51234, "93.184.216.34", 443);
	put_event(b, &o, 0);
	put_sock(b, &r);
	r.s.rx_bytes += 4096;
	put_sock(b, &r);
	r = sock(0x7007, AF_INET6, IPPROTO_UDP, "2001:db8::10", 5353, "ff02::fb", 5353);
	r.s.flags = 0;
	put_sock(b, &r);
	r.s.flags = LECO_F_ANNOUNCED | LECO_F_COUNTED;
	put_sock(b, &r);
	done(b, "seq-sock-updates");

	/* refused records */
	e = ev(LECO_EV_FLOW_OPEN, AF_INET, IPPROTO_TCP, LECO_DIR_OUT, "10.0.0.5", 1, "10.0.0.1", 2);
	e.type = LECO_EV_TYPE_MAX;
	one("bad-type", &e);
	e.type = 0;
	one("bad-type-zero", &e);
	e.type = LECO_EV_FLOW_OPEN;
	e.family = AF_PACKET;
	one("bad-family", &e);
	e.family = AF_INET;
	e.direction = 3;
	one("bad-direction", &e);
	e.direction = LECO_DIR_OUT;
	e.reason = LECO_REASON_MAX;
	one("bad-reason", &e);
	e.reason = LECO_REASON_NONE;
	e.type = LECO_EV_BLOCKED;
	one("bad-blocked-no-reason", &e);
	e.type = LECO_EV_FLOW_FAIL;
	e.err = -1;
	one("bad-errno-negative", &e);
	e.err = 4096;
	one("bad-errno-large", &e);
	/* accepted, but with a comm to clean up */
	e.err = 0;
	memcpy(e.comm, "a\x1b[31mb\x7f\xff\n\txyzwvuts", 16); /* no NUL */
	one("comm-dirty-unterminated", &e);
	/* wrong lengths: one byte short, 8 long, truncated by the end of input */
	e = ev(LECO_EV_FLOW_OPEN, AF_INET, IPPROTO_TCP, LECO_DIR_OUT, "10.0.0.5", 1, "10.0.0.1", 2);
	b = g_byte_array_new();
	put_event(b, &e, 0x80 | (31 << 1)); /* len - 1 */
	put_event(b, &e, 0x80 | (40 << 1)); /* len + 8 */
	g_byte_array_set_size(b, b->len - 7);
	done(b, "bad-lengths");
	b = g_byte_array_new();
	g_byte_array_append(b, (const guint8 *)&e, sizeof(e));
	done(b, "raw-event-untagged");
}

/* ---- filters ---- */

static void filter(const char *name, const char *text)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) v = g_variant_parse(G_VARIANT_TYPE_VARDICT, text, NULL, NULL, &error);

	if (!v)
		g_error("%s: %s", text, error->message);
	g_variant_ref_sink(v);
	write_file("filter", name, g_variant_get_data(v), g_variant_get_size(v));
}

static void gen_filters(void)
{
	g_autofree char *long_unit = NULL;
	g_autoptr(GVariant) all = NULL;
	GString *deep = g_string_new("");

	filter("empty", "@a{sv} {}");
	filter("unit", "{'unit': <'sshd.service'>}");
	filter("unit-app", "{'unit': <'app-gnome-org.gnome.Terminal-1234.scope'>}");
	filter("cgroup-id", "{'cgroup-id': <uint64 4026532000>}");
	filter("pid", "{'pid': <uint32 4242>}");
	filter("uid", "{'uid': <uint32 1000>}");
	filter("protocol", "{'protocol': <'tcp'>}");
	filter("direction", "{'direction': <'in'>}");
	filter("all-keys", "{'unit': <'sshd.service'>, 'cgroup-id': <uint64 7>, 'pid': <uint32 1>, "
			   "'uid': <uint32 0>, 'protocol': <'udp'>, 'direction': <'out'>}");
	filter("duplicate-key", "{'pid': <uint32 1>, 'pid': <uint32 2>}");
	filter("duplicate-key-bad-second", "{'pid': <uint32 1>, 'pid': <int32 2>}");
	filter("bad-type-int32", "{'pid': <int32 5>}");
	filter("bad-type-string-pid", "{'pid': <'5'>}");
	filter("bad-type-uint64-uid", "{'uid': <uint64 1000>}");
	filter("bad-type-array", "{'unit': <['a', 'b']>}");
	filter("bad-type-nested-variant", "{'unit': <<'sshd.service'>>}");
	filter("bad-type-tuple", "{'cgroup-id': <(uint64 1, 'x')>}");
	filter("bad-type-objpath", "{'unit': <objectpath '/org/leco/Overseer'>}");
	filter("unknown-key", "{'foo': <1>}");
	filter("unknown-key-empty", "{'': <''>}");
	filter("unknown-key-case", "{'Unit': <'sshd.service'>}");
	filter("unknown-key-unicode", "{'ünit': <'x'>, 'unit': <'y'>}");
	filter("good-then-unknown", "{'unit': <'sshd.service'>, 'state': <'established'>}");
	long_unit = g_strnfill(1000, 'u');
	{
		g_autofree char *t = g_strdup_printf("{'unit': <'%s.service'>}", long_unit);

		filter("unit-long", t);
	}
	g_string_append(deep, "{'unit': ");
	for (int i = 0; i < 24; i++)
		g_string_append_c(deep, '<');
	g_string_append(deep, "'x'");
	for (int i = 0; i < 24; i++)
		g_string_append_c(deep, '>');
	g_string_append(deep, "}");
	filter("bad-type-deep-variant", deep->str);
	g_string_free(deep, TRUE);

	/* not in normal form / not well formed */
	all = g_variant_ref_sink(g_variant_parse(G_VARIANT_TYPE_VARDICT,
						 "{'unit': <'sshd.service'>, 'pid': <uint32 1>}", NULL, NULL, NULL));
	{
		gsize n = g_variant_get_size(all);
		g_autofree guint8 *bytes = g_memdup2(g_variant_get_data(all), n);

		write_file("filter", "truncated", bytes, n - 1);
		bytes[n - 1] ^= 0x7f; /* last framing offset */
		write_file("filter", "bad-framing-offset", bytes, n);
		bytes[n - 1] ^= 0x7f;
		bytes[0] = 'p'; /* "unit" -> "pnit" */
		write_file("filter", "mutated-key", bytes, n);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
		return 2;
	}
	outdir = argv[1];
	gen_events();
	gen_filters();
	return 0;
}
