/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "leco-event.h"

LECO_ASSERT_ABI();

/* Reject a record: "WHAT VALUE" into err. */
static int bad(char *err, size_t errlen, const char *what, unsigned long v)
{
	if (err && errlen)
		snprintf(err, errlen, "%s %lu", what, v);
	return -EBADMSG;
}

void leco_sanitize_comm(char comm[LECO_COMM_LEN])
{
	comm[LECO_COMM_LEN - 1] = '\0';
	for (int i = 0; i < LECO_COMM_LEN && comm[i]; i++)
		if ((unsigned char)comm[i] < 0x20 || (unsigned char)comm[i] > 0x7e)
			comm[i] = '?';
}

static bool family_ok(unsigned family)
{
	return family == AF_INET || family == AF_INET6 || family == 0;
}

int leco_event_decode(const void *data, size_t len, struct leco_event *out, char *err, size_t errlen)
{
	struct leco_event e;

	if (!data || len != sizeof(e))
		return bad(err, errlen, "record size (expected 152)", (unsigned long)len);
	memcpy(&e, data, sizeof(e));
	if (e.type < LECO_EV_FLOW_OPEN || e.type >= LECO_EV_TYPE_MAX)
		return bad(err, errlen, "unknown event type", e.type);
	if (!family_ok(e.family))
		return bad(err, errlen, "unknown address family", e.family);
	if (e.direction > LECO_DIR_IN)
		return bad(err, errlen, "bad direction", e.direction);
	if (e.reason >= LECO_REASON_MAX)
		return bad(err, errlen, "unknown reason", e.reason);
	if ((e.type == LECO_EV_BLOCKED || e.type == LECO_EV_DENIED) && e.reason == LECO_REASON_NONE)
		return bad(err, errlen, "blocked event without a reason, type", e.type);
	if (e.err < 0 || e.err > 4095)
		return bad(err, errlen, "bad errno", (unsigned long)(unsigned)e.err);
	if (e.family == AF_INET6 && !(e.flags & LECO_F_V6))
		e.flags |= LECO_F_V6;
	leco_sanitize_comm(e.comm);
	*out = e;
	return 0;
}

int leco_sock_rec_decode(const void *data, size_t len, struct leco_sock_rec *out, char *err, size_t errlen)
{
	struct leco_sock_rec r;

	if (!data || len < sizeof(r))
		return bad(err, errlen, "truncated socket record of size", (unsigned long)len);
	memcpy(&r, data, sizeof(r));
	if (!family_ok(r.family))
		return bad(err, errlen, "unknown address family", r.family);
	leco_sanitize_comm(r.s.comm);
	*out = r;
	return 0;
}

const char *leco_event_type_name(unsigned type)
{
	static const char *const names[LECO_EV_TYPE_MAX] = {
		[LECO_EV_FLOW_OPEN] = "open",     [LECO_EV_FLOW_STATE] = "state",
		[LECO_EV_FLOW_CLOSE] = "close",   [LECO_EV_FLOW_FAIL] = "fail",
		[LECO_EV_BLOCKED] = "blocked",    [LECO_EV_DENIED] = "denied",
	};
	return type < LECO_EV_TYPE_MAX && names[type] ? names[type] : "unknown";
}

const char *leco_reason_name(unsigned reason)
{
	static const char *const names[LECO_REASON_MAX] = {
		[LECO_REASON_NONE] = "none",
		[LECO_REASON_NETFILTER] = "firewall",
		[LECO_REASON_CGROUP_BPF] = "cgroup-bpf",
		[LECO_REASON_SECURITY] = "security",
		[LECO_REASON_CONNECT] = "connect-denied",
	};
	return reason < LECO_REASON_MAX ? names[reason] : "unknown";
}

const char *leco_direction_name(unsigned dir)
{
	return dir == LECO_DIR_OUT ? "out" : dir == LECO_DIR_IN ? "in" : "unknown";
}

const char *leco_family_name(unsigned family)
{
	return family == AF_INET ? "ipv4" : family == AF_INET6 ? "ipv6" : "unknown";
}

const char *leco_protocol_name(unsigned proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_UDPLITE:
		return "udplite";
	case 0:
		return "unknown";
	default:
		snprintf(buf, len, "ip-%u", proto);
		return buf;
	}
}

const char *leco_tcp_state_name(unsigned state)
{
	static const char *const names[] = {
		"", "established", "syn-sent", "syn-recv", "fin-wait1", "fin-wait2", "time-wait",
		"close", "close-wait", "last-ack", "listen", "closing", "new-syn-recv",
	};
	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

const char *leco_hook_name(unsigned hook)
{
	static const char *const names[LECO_HOOK_MAX] = {
		[LECO_HOOK_TCP_STATE] = "tcp-state",
		[LECO_HOOK_KFREE_SKB] = "kfree-skb",
		[LECO_HOOK_CONNECT_EXIT] = "connect-exit",
		[LECO_HOOK_CG_CONNECT4] = "cgroup-connect4",
		[LECO_HOOK_CG_CONNECT6] = "cgroup-connect6",
		[LECO_HOOK_CG_SENDMSG4] = "cgroup-sendmsg4",
		[LECO_HOOK_CG_SENDMSG6] = "cgroup-sendmsg6",
		[LECO_HOOK_CG_SOCK_RELEASE] = "cgroup-sock-release",
		[LECO_HOOK_SEND_LENGTH] = "sock-send-length",
		[LECO_HOOK_RECV_LENGTH] = "sock-recv-length",
		[LECO_HOOK_ITER_SOCKETS] = "socket-iterator",
		[LECO_HOOK_ITER_TCP] = "tcp-iterator",
		[LECO_HOOK_ITER_UDP] = "udp-iterator",
		[LECO_HOOK_ITER_TASK_FILE] = "task-iterator",
	};
	return hook < LECO_HOOK_MAX ? names[hook] : "unknown";
}

int leco_hook_from_name(const char *name)
{
	for (unsigned i = 0; i < LECO_HOOK_MAX; i++)
		if (strcmp(name, leco_hook_name(i)) == 0)
			return i;
	return -ENOENT;
}

const char *leco_hook_status_name(unsigned status)
{
	switch (status) {
	case LECO_HS_ATTACHED:
		return "attached";
	case LECO_HS_MISSING:
		return "missing";
	case LECO_HS_REFUSED_LOAD:
	case LECO_HS_REFUSED_ATTACH:
		return "refused";
	case LECO_HS_LEFT_OUT:
		return "left-out";
	}
	return "unknown";
}

const char *leco_lockdown_name(unsigned mode)
{
	switch (mode) {
	case LECO_LOCKDOWN_NONE:
		return "none";
	case LECO_LOCKDOWN_INTEGRITY:
		return "integrity";
	case LECO_LOCKDOWN_CONFIDENTIALITY:
		return "confidentiality";
	}
	return "unknown";
}

#define HOOK(h) (1ULL << (h))
#define HAVE(hooks, h) (((hooks) & HOOK(h)) != 0)

/*
 * What a reader cannot see with only HOOKS attached, in the order a person
 * would care.  The socket walks stand in for each other: the storage map
 * iterator covers tracked sockets of every namespace; the tcp and udp
 * walks every socket of the reader's namespace, the task walk the sockets
 * processes hold elsewhere.
 */
size_t leco_lost_features(uint64_t hooks, const struct leco_loss **out, size_t max)
{
	static const struct leco_loss
		live = { "live-bytes", "live byte counts of open connections (bytes show when a connection closes)" },
		live_other = { "live-bytes-other-netns",
			       "live byte counts of open connections in other network namespaces (containers) "
			       "and of raw/ICMP sockets (they show when a connection closes)" },
		waiting = { "waiting-connects", "TCP connects still waiting for an answer" },
		before = { "open-before-start", "connections that were open before LECO loaded" },
		before_proc = { "process-of-found-sockets",
				"the process of connections that were open before LECO loaded (shown as unknown)" },
		denied = { "denied-connects", "connect() calls denied with EPERM/EACCES" },
		udp_dests = { "udp-destinations", "destinations of unconnected UDP sends" },
		dgram_bytes = { "datagram-bytes", "byte counts of UDP, raw and ICMP sockets, and their connected flows" },
		dgram_close = { "datagram-close",
				"the close of UDP, raw and ICMP sockets (their flows end at the next socket walk)" },
		connect_proc = { "datagram-connect-process", "the process of UDP sockets at connect()" };
	bool map_iter = HAVE(hooks, LECO_HOOK_ITER_SOCKETS);
	bool tcp_udp = HAVE(hooks, LECO_HOOK_ITER_TCP) && HAVE(hooks, LECO_HOOK_ITER_UDP);
	bool task = HAVE(hooks, LECO_HOOK_ITER_TASK_FILE);
	size_t n = 0;

#define ADD(x)                       \
	do {                         \
		if (n < max)         \
			out[n] = (x);   \
		n++;                 \
	} while (0)
	if (!map_iter && !task)
		ADD(tcp_udp ? &live_other : &live);
	if (!map_iter && !task && !HAVE(hooks, LECO_HOOK_ITER_TCP))
		ADD(&waiting);
	/* only the tcp and udp walks can give a socket found open its storage */
	if (!HAVE(hooks, LECO_HOOK_ITER_TCP) || !HAVE(hooks, LECO_HOOK_ITER_UDP))
		ADD(&before);
	if (!task && (HAVE(hooks, LECO_HOOK_ITER_TCP) || HAVE(hooks, LECO_HOOK_ITER_UDP)))
		ADD(&before_proc);
	if (!HAVE(hooks, LECO_HOOK_CONNECT_EXIT))
		ADD(&denied);
	if (!HAVE(hooks, LECO_HOOK_CG_SENDMSG4) || !HAVE(hooks, LECO_HOOK_CG_SENDMSG6))
		ADD(&udp_dests);
	if (!HAVE(hooks, LECO_HOOK_SEND_LENGTH) || !HAVE(hooks, LECO_HOOK_RECV_LENGTH))
		ADD(&dgram_bytes);
	if (!HAVE(hooks, LECO_HOOK_CG_SOCK_RELEASE))
		ADD(&dgram_close);
	if (!HAVE(hooks, LECO_HOOK_CG_CONNECT4) || !HAVE(hooks, LECO_HOOK_CG_CONNECT6))
		ADD(&connect_proc);
#undef ADD
	return n;
}

const char *leco_addr_to_string(unsigned family, const uint8_t addr[LECO_ADDR_LEN], char *buf, size_t len)
{
	if ((family != AF_INET && family != AF_INET6) || !inet_ntop(family, addr, buf, len)) {
		if (len)
			buf[0] = '\0';
	}
	return buf;
}

int leco_event_format(const struct leco_event *e, char *buf, size_t len)
{
	char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN], pb[16];
	int n;

	n = snprintf(buf, len,
		     "type=%s family=%s proto=%s dir=%s pid=%u comm=%s uid=%u cgroup=%llu cookie=%llu "
		     "local=%s lport=%u remote=%s rport=%u state=%s old_state=%s reason=%s kreason=%u "
		     "count=%u err=%d tx=%llu rx=%llu txc=%llu rxc=%llu netns=%u noproc=%d",
		     leco_event_type_name(e->type), leco_family_name(e->family),
		     leco_protocol_name(e->protocol, pb, sizeof(pb)), leco_direction_name(e->direction), e->pid,
		     e->comm[0] ? e->comm : "-", e->uid, (unsigned long long)e->cgroup_id,
		     (unsigned long long)e->cookie, leco_addr_to_string(e->family, e->local_addr, la, sizeof(la)),
		     e->local_port, leco_addr_to_string(e->family, e->remote_addr, ra, sizeof(ra)), e->remote_port,
		     e->protocol == IPPROTO_TCP ? leco_tcp_state_name(e->state) : "-",
		     e->protocol == IPPROTO_TCP ? leco_tcp_state_name(e->old_state) : "-",
		     leco_reason_name(e->reason), e->kernel_reason, e->count, e->err,
		     (unsigned long long)e->tx_bytes, (unsigned long long)e->rx_bytes,
		     (unsigned long long)e->tx_calls, (unsigned long long)e->rx_calls, e->netns,
		     !!(e->flags & LECO_F_NO_PROC));
	return n < 0 || (size_t)n >= len ? -ENOBUFS : n;
}
