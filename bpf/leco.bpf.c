// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * LECO kernel side: observe connections, traffic and blocked attempts with
 * hooks that need no kprobes, fentry/fexit or BPF LSM (tracepoints, BTF raw
 * tracepoints and cgroup programs only).  Nothing here ever changes a verdict:
 * the cgroup programs always return 1.
 *
 * Cost rules (see docs/architecture.md): the per-call send/recv hooks touch
 * only socket-local storage and one per-CPU map; the ring buffer carries
 * events (new flow, state change, blocked, denied), never packets, and only
 * blocked/denied events wake the reader at once.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "leco.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define EPERM 1
#define EACCES 13
#define MSG_PEEK 2

/* TCP states (include/net/tcp_states.h), stable kernel ABI. */
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_TIME_WAIT 6
#define TCP_CLOSE 7
#define TCP_LISTEN 10
#define TCP_NEW_SYN_RECV 12

/* Tunables, read-only once loaded (the loader sets the watermark to a
 * quarter of the ring buffer it sizes). */
const volatile __u64 drop_coalesce_ns = 250000000ULL; /* fold identical drops within this */
const volatile __u64 wakeup_watermark = 256 * 1024;   /* wake the reader past this much data */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* resized by the loader */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct leco_sock);
} sockets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct leco_cgroup_stats);
} cgroup_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LECO_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct leco_drop_key);
	__type(value, struct leco_drop_val);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct leco_dest_key);
	__type(value, __u64);
} dests SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct leco_meta);
} meta SEC(".maps");


static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline void cgroup_add(__u64 cgid, __u64 tx, __u64 rx, __u64 txc,
				       __u64 rxc, __u64 blocked)
{
	struct leco_cgroup_stats *cs, zero = {};

	cs = bpf_map_lookup_elem(&cgroup_stats, &cgid);
	if (!cs) {
		bpf_map_update_elem(&cgroup_stats, &cgid, &zero, BPF_NOEXIST);
		cs = bpf_map_lookup_elem(&cgroup_stats, &cgid);
		if (!cs)
			return;
	}
	/* per-CPU slot: plain adds are exact */
	cs->tx_bytes += tx;
	cs->rx_bytes += rx;
	cs->tx_calls += txc;
	cs->rx_calls += rxc;
	cs->blocked += blocked;
}

/*
 * Submit an event.  Urgent events (blocked, denied: a person is waiting for
 * them) wake the reader at once; routine ones only when the backlog passes the
 * watermark, the reader drains on its own timer otherwise.
 */
static __always_inline void emit(struct leco_event *e, bool urgent)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (urgent || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_watermark)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&events, e, sizeof(*e), flags))
		stat_inc(LECO_STAT_RB_DROPPED);
	else
		stat_inc(LECO_STAT_EVENTS);
}

/* For a socket known only by address (probe reads). */
static __always_inline __u64 sk_cgroup_id_probe(const struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
}

/*
 * The helpers below take a socket the verifier trusts (a BTF raw tracepoint
 * argument, an iterator's socket): plain CO-RE loads, no probe-read calls;
 * they are on every connection's path.
 */
static __always_inline __u64 sk_cgroup_id(const struct sock *sk)
{
	struct cgroup *cg = sk->sk_cgrp_data.cgroup;

	return cg ? cg->kn->id : 0;
}

static __always_inline void sk_tuple(const struct sock *sk, struct leco_event *e)
{
	__u16 family = sk->__sk_common.skc_family;

	e->family = family;
	e->local_port = sk->__sk_common.skc_num;
	e->remote_port = bpf_ntohs(sk->__sk_common.skc_dport);
	e->netns = sk->__sk_common.skc_net.net->ns.inum;
	if (family == AF_INET6) {
		e->flags |= LECO_F_V6;
		__builtin_memcpy(e->local_addr, sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8, 16);
		__builtin_memcpy(e->remote_addr, sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8, 16);
	} else {
		*(__u32 *)e->local_addr = sk->__sk_common.skc_rcv_saddr;
		*(__u32 *)e->remote_addr = sk->__sk_common.skc_daddr;
	}
}

/* A connected socket: it has a remote address. */
static __always_inline bool has_peer(const struct sock *sk)
{
	if (sk->__sk_common.skc_family == AF_INET)
		return sk->__sk_common.skc_daddr != 0;
	return (sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[0] |
		sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[1] |
		sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[2] |
		sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32[3]) != 0;
}

/* Remember who is running now as the socket's process (process context
 * only): softirq-time hooks read it from the socket's storage. */
static __always_inline void note_process(struct leco_sock *st)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (st->pid == tgid && !(st->flags & LECO_F_NO_PROC))
		return;
	st->pid = tgid;
	bpf_get_current_comm(st->comm, sizeof(st->comm));
	st->flags &= ~LECO_F_NO_PROC;
}

/* Fold a closing socket's counters into its cgroup's, once. */
static __always_inline void fold_counters(struct leco_sock *st)
{
	if (st->flags & LECO_F_COUNTED)
		return;
	st->flags |= LECO_F_COUNTED;
	if (st->flags & LECO_F_CGROUP_LIVE)
		return; /* counted call by call */
	cgroup_add(st->cgroup_id, st->tx_bytes, st->rx_bytes, st->tx_calls, st->rx_calls, 0);
}

/* Socket storage of a kernel socket, created (and owned by the caller's
 * process when in_process) on first sight. */
static __always_inline struct leco_sock *sock_state(struct sock *sk, bool in_process)
{
	struct leco_sock *st;

	st = bpf_sk_storage_get(&sockets, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st) {
		stat_inc(LECO_STAT_NO_STORAGE);
		return NULL;
	}
	if (!st->cookie) {
		st->cookie = bpf_get_socket_cookie(sk);
		st->cgroup_id = sk_cgroup_id(sk);
		st->uid = sk->sk_uid.val;
		st->flags |= LECO_F_NO_PROC;
	}
	if (in_process)
		note_process(st);
	return st;
}

static __always_inline void event_from_sock(struct leco_event *e, const struct leco_sock *st)
{
	e->pid = st->pid;
	e->uid = st->uid;
	e->cookie = st->cookie;
	e->cgroup_id = st->cgroup_id;
	e->flags |= st->flags & LECO_F_NO_PROC;
	__builtin_memcpy(e->comm, st->comm, sizeof(e->comm));
}

static __always_inline void emit_close(struct sock *sk, struct leco_sock *st, __u8 protocol)
{
	struct leco_event e = {};

	e.type = LECO_EV_FLOW_CLOSE;
	e.protocol = protocol;
	sk_tuple(sk, &e);
	event_from_sock(&e, st);
	e.tx_bytes = st->tx_bytes;
	e.rx_bytes = st->rx_bytes;
	e.tx_calls = st->tx_calls;
	e.rx_calls = st->rx_calls;
	st->flags &= ~LECO_F_ANNOUNCED;
	emit(&e, false);
}

/*
 * TCP keeps its own byte counters, so no hook runs per TCP send or receive:
 * bytes sent once (retransmissions not counted again) and bytes received in
 * order, less the sequence number a received FIN takes (SOCK_DONE is set
 * when the peer's FIN arrived).  Exact for every way of moving data
 * (read/write, send*, recv*, sendfile, splice, io_uring).  The "calls" of a
 * TCP socket are its data segments.
 */
static __always_inline void tcp_counters(struct sock *sk, struct leco_sock *st)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	__u64 fin;

	if (!tp)
		return;
	fin = (sk->__sk_common.skc_flags >> bpf_core_enum_value(enum sock_flags, SOCK_DONE)) & 1;
	st->tx_bytes = tp->bytes_sent - tp->bytes_retrans;
	st->rx_bytes = tp->bytes_received > fin ? tp->bytes_received - fin : 0;
	st->tx_calls = tp->data_segs_out;
	st->rx_calls = tp->data_segs_in;
}

/* The same from a socket only read through (probe reads, CO-RE offsets). */
static __always_inline void tcp_counters_probe(struct sock *sk, struct leco_sock *st)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	__u64 fin, rx, tx;

	if (BPF_CORE_READ(sk, sk_type) != SOCK_STREAM)
		return;
	fin = (BPF_CORE_READ(sk, __sk_common.skc_flags) >> bpf_core_enum_value(enum sock_flags, SOCK_DONE)) & 1;
	tx = BPF_CORE_READ(tp, bytes_sent) - BPF_CORE_READ(tp, bytes_retrans);
	rx = BPF_CORE_READ(tp, bytes_received);
	st->tx_bytes = tx;
	st->rx_bytes = rx > fin ? rx - fin : 0;
	st->tx_calls = BPF_CORE_READ(tp, data_segs_out);
	st->rx_calls = BPF_CORE_READ(tp, data_segs_in);
}

/* ---- TCP lifecycle ---------------------------------------------------- */

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcp_state, struct sock *sk, int oldstate, int newstate)
{
	struct leco_event e = {};
	struct leco_sock *st;
	__u16 family;

	/* cheap filters first: most transitions are of no interest */
	if (newstate != TCP_SYN_SENT && newstate != TCP_ESTABLISHED && newstate != TCP_CLOSE &&
	    newstate != TCP_LISTEN)
		return 0;
	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;

	e.protocol = IPPROTO_TCP;
	e.state = newstate;
	e.old_state = oldstate;

	if (newstate == TCP_LISTEN) {
		/* listen() runs in process context: the owner of accepted children */
		sock_state(sk, true);
		return 0;
	}
	if (newstate == TCP_SYN_SENT) {
		/* connect() in process context: note the owner.  The flow is
		 * announced once, when established (with the local port, not
		 * chosen yet here) or when it fails; a connect still waiting
		 * shows in the socket iterator as SYN_SENT. */
		st = sock_state(sk, true);
		if (!st)
			return 0;
		/* a socket connected again after a disconnect is a new flow */
		st->flags &= ~(LECO_F_COUNTED | LECO_F_ANNOUNCED | LECO_F_INBOUND);
		st->tx_bytes = st->rx_bytes = st->tx_calls = st->rx_calls = 0;
		st->flags |= LECO_F_TCP_SEEN;
		return 0;
	}
	if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_RECV) {
		/* accepted child (softirq): storage cloned from the listener names
		 * its owner; the counters and identity are the child's own */
		__u64 cookie = bpf_get_socket_cookie(sk);

		st = sock_state(sk, false);
		if (!st)
			return 0;
		if (st->cookie != cookie) {
			st->cookie = cookie;
			st->tx_bytes = st->rx_bytes = st->tx_calls = st->rx_calls = 0;
		}
		st->flags |= LECO_F_ANNOUNCED | LECO_F_TCP_SEEN | LECO_F_INBOUND;
		e.type = LECO_EV_FLOW_OPEN;
		e.direction = LECO_DIR_IN;
		goto out;
	}

	st = bpf_sk_storage_get(&sockets, sk, 0, 0);
	if (!st || !(st->flags & LECO_F_TCP_SEEN))
		return 0;
	if (newstate == TCP_CLOSE) {
		/* the end of TCP: its counters are final (a reset or a
		 * timeout may come before the application's close()) */
		tcp_counters(sk, st);
		fold_counters(st);
	}
	if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_SENT) {
		st->flags |= LECO_F_ANNOUNCED;
		e.type = LECO_EV_FLOW_OPEN;
		e.direction = LECO_DIR_OUT;
	} else if (newstate == TCP_CLOSE && oldstate == TCP_SYN_SENT) {
		e.type = LECO_EV_FLOW_FAIL;
		e.direction = LECO_DIR_OUT;
		e.err = BPF_CORE_READ(sk, sk_err) ?: BPF_CORE_READ(sk, sk_err_soft);
		st->flags &= ~LECO_F_ANNOUNCED;
	} else if (newstate == TCP_CLOSE && (st->flags & LECO_F_ANNOUNCED)) {
		emit_close(sk, st, IPPROTO_TCP);
		return 0;
	} else {
		return 0;
	}
out:
	sk_tuple(sk, &e);
	event_from_sock(&e, st);
	emit(&e, false);
	return 0;
}

/* ---- Traffic counters --------------------------------------------------- */

/*
 * Where the send system call the current thread is in sends to, from the
 * user registers the kernel saved at its entry: sendto(fd, buf, len, flags,
 * addr, addrlen), or sendmsg(fd, msg, flags) and msg->msg_name.  No hook on
 * every sendto() of the machine (a connected UDP send() is one too) for the
 * few sends that need it.  Other calls (sendmmsg, io_uring, 32-bit compat
 * tasks) name no address here.
 */
#if defined(__TARGET_ARCH_x86)
#define LECO_NR_SENDTO 44
#define LECO_NR_SENDMSG 46
#elif defined(__TARGET_ARCH_arm64)
#define LECO_NR_SENDTO 206
#define LECO_NR_SENDMSG 211
#endif

static __always_inline bool syscall_dest(__u64 *uaddr, __u32 *len)
{
#ifdef LECO_NR_SENDTO
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	__u64 nr, msg, addr, addrlen;

#if defined(__TARGET_ARCH_x86)
	nr = BPF_CORE_READ(regs, orig_ax);
	msg = BPF_CORE_READ(regs, si);
	addr = BPF_CORE_READ(regs, r8);
	addrlen = BPF_CORE_READ(regs, r9);
#else
	nr = (__u64)BPF_CORE_READ(regs, syscallno);
	msg = BPF_CORE_READ(regs, regs[1]);
	addr = BPF_CORE_READ(regs, regs[4]);
	addrlen = BPF_CORE_READ(regs, regs[5]);
#endif
	if (nr == LECO_NR_SENDTO) {
		*uaddr = addr;
		*len = addrlen;
		return addr != 0;
	}
	if (nr == LECO_NR_SENDMSG) {
		struct {
			__u64 name;
			__u32 namelen;
		} hdr;

		if (bpf_probe_read_user(&hdr, sizeof(hdr), (void *)msg))
			return false;
		*uaddr = hdr.name;
		*len = hdr.namelen;
		return hdr.name != 0;
	}
#endif
	return false;
}

/*
 * An unconnected raw or ICMP socket just sent to the address its thread
 * passed to sendto() or sendmsg(): announce each new destination once.
 * Returns true when the send named a destination.
 */
static __always_inline bool announce_sendto(struct sock *sk, struct leco_sock *st, __u16 family,
					    __u8 protocol)
{
	struct leco_dest_key key = {};
	struct leco_event e = {};
	__u64 uaddr, now;
	__u32 len;

	if (!syscall_dest(&uaddr, &len))
		return false;
	key.cookie = st->cookie;
	key.family = family;
	if (family == AF_INET) {
		struct sockaddr_in sin;

		if (len < sizeof(sin) || bpf_probe_read_user(&sin, sizeof(sin), (void *)uaddr) ||
		    sin.sin_family != AF_INET)
			return true;
		__builtin_memcpy(key.remote_addr, &sin.sin_addr, 4);
	} else {
		struct sockaddr_in6 sin6;

		if (len < sizeof(sin6) || bpf_probe_read_user(&sin6, sizeof(sin6), (void *)uaddr) ||
		    sin6.sin6_family != AF_INET6)
			return true;
		__builtin_memcpy(key.remote_addr, &sin6.sin6_addr, 16);
	}
	if (bpf_map_lookup_elem(&dests, &key))
		return true;
	now = bpf_ktime_get_boot_ns();
	bpf_map_update_elem(&dests, &key, &now, BPF_ANY);

	st->flags |= LECO_F_ANNOUNCED;
	e.type = LECO_EV_FLOW_OPEN;
	e.protocol = protocol;
	e.direction = LECO_DIR_OUT;
	e.ts_ns = now;
	sk_tuple(sk, &e);
	__builtin_memcpy(e.remote_addr, key.remote_addr, sizeof(e.remote_addr));
	event_from_sock(&e, st);
	emit(&e, false);
	return true;
}

/* Set by the loader when cgroup/sock_release is not attached: nothing would
 * fold a datagram socket's counters into its cgroup's when it closes, so
 * count_io adds to both as it goes. */
volatile __u32 fold_each_call = 0;

static __always_inline void count_io(struct sock *sk, int len, bool tx)
{
	struct leco_sock *st;
	__u16 family;
	__u8 protocol;

	/* the hot path: direct (BTF) reads, socket-local storage, two adds;
	 * per-cgroup totals are folded in at close, not here.  TCP counts
	 * itself (tcp_counters): nothing to do for it. */
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return;
	protocol = sk->sk_protocol;
	if (protocol == IPPROTO_TCP)
		return;
	st = sock_state(sk, true);
	if (!st)
		return;
	if (tx) {
		__sync_fetch_and_add(&st->tx_bytes, len);
		__sync_fetch_and_add(&st->tx_calls, 1);
	} else {
		__sync_fetch_and_add(&st->rx_bytes, len);
		__sync_fetch_and_add(&st->rx_calls, 1);
	}
	if (fold_each_call) {
		st->flags |= LECO_F_CGROUP_LIVE;
		cgroup_add(st->cgroup_id, tx ? len : 0, tx ? 0 : len, tx, !tx, 0);
	}
	/* raw and ICMP sockets: each new sendto() destination */
	if (tx && protocol != IPPROTO_UDP && protocol != IPPROTO_UDPLITE &&
	    announce_sendto(sk, st, family, protocol))
		return;
	if (st->flags & LECO_F_ANNOUNCED)
		return;

	/* A connected datagram/raw socket (UDP, ICMP, SCTP, raw IP): its first
	 * send or receive announces the flow.  Unconnected UDP sends are
	 * announced per destination by the sendmsg hooks. */
	if (!has_peer(sk))
		return;
	{
		struct leco_event e = {};

		st->flags |= LECO_F_ANNOUNCED;
		if (!tx)
			st->flags |= LECO_F_INBOUND;
		e.type = LECO_EV_FLOW_OPEN;
		e.protocol = protocol;
		e.direction = tx ? LECO_DIR_OUT : LECO_DIR_IN;
		sk_tuple(sk, &e);
		event_from_sock(&e, st);
		emit(&e, false);
	}
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(send_length, struct sock *sk, int ret, int flags)
{
	if (ret > 0)
		count_io(sk, ret, true);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(recv_length, struct sock *sk, int ret, int flags)
{
	if (ret > 0 && !(flags & MSG_PEEK))
		count_io(sk, ret, false);
	return 0;
}

/* ---- Observe-only cgroup hooks on the cgroup2 root ---------------------- */

static __always_inline struct leco_sock *sockaddr_state(struct bpf_sock_addr *ctx, struct bpf_sock *sk)
{
	struct leco_sock *st;

	st = bpf_sk_storage_get(&sockets, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st) {
		stat_inc(LECO_STAT_NO_STORAGE);
		return NULL;
	}
	if (!st->cookie) {
		st->cookie = bpf_get_socket_cookie(ctx);
		st->cgroup_id = bpf_get_current_cgroup_id();
		st->uid = (__u32)bpf_get_current_uid_gid();
		st->flags |= LECO_F_NO_PROC;
	}
	note_process(st);
	return st;
}

/* The process of a datagram socket at connect(); TCP's is taken at
 * SYN_SENT by tcp_state, so TCP returns at once. */
static __always_inline int observe_connect(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;

	if (!sk || ctx->type == SOCK_STREAM)
		return 1;
	sockaddr_state(ctx, sk);
	return 1;
}

SEC("cgroup/connect4")
int connect4(struct bpf_sock_addr *ctx)
{
	return observe_connect(ctx);
}

SEC("cgroup/connect6")
int connect6(struct bpf_sock_addr *ctx)
{
	return observe_connect(ctx);
}

static __always_inline int observe_sendmsg(struct bpf_sock_addr *ctx, bool v6)
{
	struct leco_dest_key key = {};
	struct bpf_sock *sk = ctx->sk;
	struct leco_event e = {};
	struct leco_sock *st;
	__u64 now;

	if (!sk)
		return 1;
	st = sockaddr_state(ctx, sk);
	if (!st)
		return 1;
	key.cookie = st->cookie;
	key.remote_port = bpf_ntohs(ctx->user_port);
	if (v6) {
		key.family = AF_INET6;
		((__u32 *)key.remote_addr)[0] = ctx->user_ip6[0];
		((__u32 *)key.remote_addr)[1] = ctx->user_ip6[1];
		((__u32 *)key.remote_addr)[2] = ctx->user_ip6[2];
		((__u32 *)key.remote_addr)[3] = ctx->user_ip6[3];
	} else {
		key.family = AF_INET;
		((__u32 *)key.remote_addr)[0] = ctx->user_ip4;
	}
	if (bpf_map_lookup_elem(&dests, &key))
		return 1;
	now = bpf_ktime_get_boot_ns();
	bpf_map_update_elem(&dests, &key, &now, BPF_ANY);

	st->flags |= LECO_F_ANNOUNCED;
	e.type = LECO_EV_FLOW_OPEN;
	e.family = key.family;
	e.protocol = ctx->protocol;
	e.direction = LECO_DIR_OUT;
	e.ts_ns = now;
	e.remote_port = key.remote_port;
	e.local_port = sk->src_port;
	__builtin_memcpy(e.remote_addr, key.remote_addr, sizeof(e.remote_addr));
	if (v6) {
		e.flags |= LECO_F_V6;
		((__u32 *)e.local_addr)[0] = sk->src_ip6[0];
		((__u32 *)e.local_addr)[1] = sk->src_ip6[1];
		((__u32 *)e.local_addr)[2] = sk->src_ip6[2];
		((__u32 *)e.local_addr)[3] = sk->src_ip6[3];
	} else {
		((__u32 *)e.local_addr)[0] = sk->src_ip4;
	}
	event_from_sock(&e, st);
	emit(&e, false);
	return 1;
}

SEC("cgroup/sendmsg4")
int sendmsg4(struct bpf_sock_addr *ctx)
{
	return observe_sendmsg(ctx, false);
}

SEC("cgroup/sendmsg6")
int sendmsg6(struct bpf_sock_addr *ctx)
{
	return observe_sendmsg(ctx, true);
}

/* close() of an inet socket's last fd, in process context: final counters. */
SEC("cgroup/sock_release")
int sock_release(struct bpf_sock *ctx)
{
	struct leco_event e = {};
	struct leco_sock *st;

	/* TCP ends in tcp_state, when the protocol is done with the socket */
	if (ctx->protocol == IPPROTO_TCP)
		return 1;
	st = bpf_sk_storage_get(&sockets, ctx, 0, 0);
	if (!st)
		return 1;
	/* no more send or receive calls: the counters are final */
	fold_counters(st);
	if (!(st->flags & LECO_F_ANNOUNCED))
		return 1;
	st->flags &= ~LECO_F_ANNOUNCED;
	e.type = LECO_EV_FLOW_CLOSE;
	e.family = ctx->family;
	e.protocol = ctx->protocol;
	e.state = ctx->state;
	/* the remote end is readable here, the local one is not (readers
	 * match the close to its open by the socket cookie) */
	e.remote_port = bpf_ntohs(ctx->dst_port);
	if (ctx->family == AF_INET6) {
		e.flags |= LECO_F_V6;
		((__u32 *)e.remote_addr)[0] = ctx->dst_ip6[0];
		((__u32 *)e.remote_addr)[1] = ctx->dst_ip6[1];
		((__u32 *)e.remote_addr)[2] = ctx->dst_ip6[2];
		((__u32 *)e.remote_addr)[3] = ctx->dst_ip6[3];
	} else {
		((__u32 *)e.remote_addr)[0] = ctx->dst_ip4;
	}
	event_from_sock(&e, st);
	e.tx_bytes = st->tx_bytes;
	e.rx_bytes = st->rx_bytes;
	e.tx_calls = st->tx_calls;
	e.rx_calls = st->rx_calls;
	emit(&e, false);
	return 1;
}

/* ---- connect() denied --------------------------------------------------- */

/* The socket behind a file descriptor of the current process (denied
 * connects only: a cold path). */
static __always_inline struct sock *fd_sock(__u32 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	struct file *file = NULL;
	struct socket *sock;

	if (fd >= BPF_CORE_READ(task, files, fdt, max_fds) ||
	    bpf_probe_read_kernel(&file, sizeof(file), fds + fd) || !file)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

/*
 * connect(fd, addr, addrlen)'s arguments, at its exit, from the user
 * registers the kernel saved at the syscall's entry (x86-64 keeps them in
 * di/si/dx; arm64 overwrites x0 with the return value and keeps the first
 * argument in orig_x0).  So no hook runs at the entry of every connect().
 */
static __always_inline bool connect_args(__u32 *fd, __u64 *uaddr, __u32 *len)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

#if defined(__TARGET_ARCH_x86)
	*fd = BPF_CORE_READ(regs, di);
	*uaddr = BPF_CORE_READ(regs, si);
	*len = BPF_CORE_READ(regs, dx);
	return true;
#elif defined(__TARGET_ARCH_arm64)
	*fd = BPF_CORE_READ(regs, orig_x0);
	*uaddr = BPF_CORE_READ(regs, regs[1]);
	*len = BPF_CORE_READ(regs, regs[2]);
	return true;
#else
	return false;
#endif
}

SEC("tracepoint/syscalls/sys_exit_connect")
int connect_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct leco_event e = {};
	long ret = ctx->ret;
	const void *uaddr;
	__u64 uaddr_v;
	__u32 fd, len;
	__u16 family;
	struct sock *sk;

	/* every connect() of the machine passes here: only a denied one goes on */
	if (ret != -EPERM && ret != -EACCES)
		return 0;
	if (!connect_args(&fd, &uaddr_v, &len) || !uaddr_v)
		return 0;

	/* the caller's sockaddr, still where it was during the call */
	uaddr = (const void *)uaddr_v;
	if (bpf_probe_read_user(&family, sizeof(family), uaddr))
		return 0;
	if (family == AF_INET) {
		struct sockaddr_in sin;

		if (len < sizeof(sin) || bpf_probe_read_user(&sin, sizeof(sin), uaddr))
			return 0;
		e.remote_port = bpf_ntohs(sin.sin_port);
		__builtin_memcpy(e.remote_addr, &sin.sin_addr, 4);
	} else if (family == AF_INET6) {
		struct sockaddr_in6 sin6;

		if (len < sizeof(sin6) || bpf_probe_read_user(&sin6, sizeof(sin6), uaddr))
			return 0;
		e.remote_port = bpf_ntohs(sin6.sin6_port);
		__builtin_memcpy(e.remote_addr, &sin6.sin6_addr, 16);
		e.flags |= LECO_F_V6;
	} else {
		return 0;
	}
	e.type = LECO_EV_DENIED;
	e.direction = LECO_DIR_OUT;
	e.family = family;
	sk = fd_sock(fd);
	if (sk) {
		e.protocol = BPF_CORE_READ(sk, sk_protocol);
		e.cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	}
	e.reason = LECO_REASON_CONNECT;
	e.err = -ret;
	e.count = 1;
	e.pid = bpf_get_current_pid_tgid() >> 32;
	e.uid = (__u32)bpf_get_current_uid_gid();
	e.cgroup_id = bpf_get_current_cgroup_id();
	e.ts_ns = bpf_ktime_get_boot_ns();
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	{
		struct task_struct *task = (void *)bpf_get_current_task();

		e.netns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
	}
	cgroup_add(e.cgroup_id, 0, 0, 0, 0, 1);
	stat_inc(LECO_STAT_DENIED);
	emit(&e, true);
	return 0;
}

/* ---- Blocked packets ---------------------------------------------------- */

/* Parse addresses and ports from the IP header the skb carries. */
static __always_inline bool parse_headers(struct sk_buff *skb, struct leco_event *e, bool ingress)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u8 ver, proto;
	__u32 l4off;
	__u16 ports[2];

	if (nh == (__u16)~0U || bpf_probe_read_kernel(&ver, 1, head + nh))
		return false;
	ver >>= 4;
	if (ver == 4) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return false;
		e->family = AF_INET;
		proto = ip.protocol;
		__builtin_memcpy(ingress ? e->remote_addr : e->local_addr, &ip.saddr, 4);
		__builtin_memcpy(ingress ? e->local_addr : e->remote_addr, &ip.daddr, 4);
		l4off = nh + ip.ihl * 4;
	} else if (ver == 6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return false;
		e->family = AF_INET6;
		e->flags |= LECO_F_V6;
		proto = ip6.nexthdr;
		__builtin_memcpy(ingress ? e->remote_addr : e->local_addr, &ip6.saddr, 16);
		__builtin_memcpy(ingress ? e->local_addr : e->remote_addr, &ip6.daddr, 16);
		l4off = nh + sizeof(ip6);
	} else {
		return false;
	}
	e->protocol = proto;
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	    proto == IPPROTO_UDPLITE) {
		if (bpf_probe_read_kernel(ports, sizeof(ports), head + l4off))
			return true;
		e->local_port = bpf_ntohs(ingress ? ports[1] : ports[0]);
		e->remote_port = bpf_ntohs(ingress ? ports[0] : ports[1]);
	}
	return true;
}

/*
 * The socket that owns a dropped skb, as a full socket: request socks name
 * their listener, time-wait socks own nothing.  Read with CO-RE probes only:
 * skb->sk is an RCU pointer that helpers do not take on newer kernels.
 */
static __always_inline struct sock *skb_owner(struct sk_buff *skb)
{
	struct sock *sk = BPF_CORE_READ(skb, sk);
	__u8 state;

	if (!sk)
		return NULL;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == TCP_TIME_WAIT)
		return NULL;
	if (state == TCP_NEW_SYN_RECV)
		return BPF_CORE_READ(sk, __sk_common.skc_listener);
	return sk;
}

/*
 * Our storage of a socket known only by address (skb->sk is an RCU pointer
 * helpers refuse): found by walking the socket's storage list with CO-RE
 * probes, as the element whose value starts with the socket's cookie (our
 * value's first field).  Cold path: policy drops only; bounded walk.
 */
static __always_inline bool storage_of(struct sock *sk, __u64 cookie, struct leco_sock *out)
{
	struct bpf_local_storage *stg = BPF_CORE_READ(sk, sk_bpf_storage);
	__u32 snode_off = bpf_core_field_offset(struct bpf_local_storage_elem, snode);
	__u32 data_off = bpf_core_field_offset(struct bpf_local_storage_elem, sdata) +
			 bpf_core_field_offset(struct bpf_local_storage_data, data);
	struct hlist_node *node;

	if (!stg || !cookie)
		return false;
	node = BPF_CORE_READ(stg, list.first);
	for (int i = 0; i < 16 && node; i++) {
		void *selem = (void *)node - snode_off;
		__u64 first = 0;

		if (bpf_probe_read_kernel(&first, sizeof(first), selem + data_off) == 0 && first == cookie)
			return bpf_probe_read_kernel(out, sizeof(*out), selem + data_off) == 0;
		node = BPF_CORE_READ(node, next);
	}
	return false;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason kreason)
{
	struct leco_drop_key key = {};
	struct leco_drop_val *dv, nv = {};
	struct leco_event e = {};
	struct leco_sock st;
	struct sock *sk;
	bool ingress;
	__u32 reason;
	__u64 now;

	/* Hot path: tens of thousands of frees a second; reject at once. */
	if (kreason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NETFILTER_DROP))
		reason = LECO_REASON_NETFILTER;
	else if (kreason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_BPF_CGROUP_EGRESS))
		reason = LECO_REASON_CGROUP_BPF;
	else if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_SECURITY_HOOK) &&
		 kreason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_SECURITY_HOOK))
		reason = LECO_REASON_SECURITY;
	else
		return 0;

	stat_inc(LECO_STAT_DROPS_SEEN);
	/* locally generated packets carry no input interface */
	ingress = BPF_CORE_READ(skb, skb_iif) != 0;
	e.type = LECO_EV_BLOCKED;
	e.direction = ingress ? LECO_DIR_IN : LECO_DIR_OUT;
	e.reason = reason;
	e.kernel_reason = kreason;
	if (!parse_headers(skb, &e, ingress))
		return 0;

	sk = skb_owner(skb);
	if (sk) {
		/* non-zero once any hook of ours asked for it */
		e.cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
		if (storage_of(sk, e.cookie, &st)) {
			e.pid = st.pid;
			e.uid = st.uid;
			e.cgroup_id = st.cgroup_id;
			e.flags |= st.flags & LECO_F_NO_PROC;
			__builtin_memcpy(e.comm, st.comm, sizeof(e.comm));
		} else {
			e.cgroup_id = sk_cgroup_id_probe(sk);
			e.uid = BPF_CORE_READ(sk, sk_uid.val);
			e.flags |= LECO_F_NO_PROC;
		}
		e.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	} else {
		e.flags |= LECO_F_NO_PROC;
		e.netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	}

	/* Fold identical drops (a SYN flood, a chatty blocked app) in the kernel. */
	key.cgroup_id = e.cgroup_id;
	__builtin_memcpy(key.remote_addr, e.remote_addr, sizeof(key.remote_addr));
	key.remote_port = ingress ? e.local_port : e.remote_port;
	key.protocol = e.protocol;
	key.direction = e.direction;
	key.family = e.family;
	key.kernel_reason = kreason;
	now = bpf_ktime_get_boot_ns();
	dv = bpf_map_lookup_elem(&drops, &key);
	if (dv && now - dv->last_emit_ns < drop_coalesce_ns) {
		__sync_fetch_and_add(&dv->folded, 1);
		stat_inc(LECO_STAT_DROPS_COALESCED);
		cgroup_add(e.cgroup_id, 0, 0, 0, 0, 1);
		return 0;
	}
	e.count = 1;
	if (dv) {
		e.count += __sync_lock_test_and_set(&dv->folded, 0);
		dv->last_emit_ns = now;
	} else {
		nv.last_emit_ns = now;
		bpf_map_update_elem(&drops, &key, &nv, BPF_ANY);
	}
	e.ts_ns = now;
	cgroup_add(e.cgroup_id, 0, 0, 0, 0, 1);
	emit(&e, true);
	return 0;
}

/* ---- Live sockets, for readers: cat a pinned iterator ------------------- */

/*
 * Three walks write the same records (struct leco_sock_rec), so readers
 * need not care which the kernel let LECO load:
 * - dump_sockets (iter/bpf_sk_storage_map): every socket LECO tracks, in
 *   every network namespace; kernels under lockdown may refuse it;
 * - tcp_sockets and udp_sockets (iter/tcp, iter/udp): every TCP and UDP
 *   socket of the reader's network namespace, IPv4 and IPv6;
 * - task_sockets (iter/task_file): the inet sockets processes hold open,
 *   in any namespace: names the process of sockets found open, and
 *   writes what the tcp/udp walks cannot see (other namespaces, raw,
 *   ICMP, SCTP) when they are attached.
 * A walk that meets a socket LECO has no storage for (open before LECO
 * loaded) adopts it: storage with the flags the hooks would have set, so
 * it is reported now and its close is announced like any other.
 */

/* Set by the loader once tcp_sockets and udp_sockets are attached: the
 * task walk leaves TCP and UDP sockets of the reader's namespace to them. */
volatile __u32 tcp_udp_walks = 0;

/* Listening TCP ports met by a walk (netns inode << 16 | port): a found
 * connection on one of them was accepted, others went out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} listen_ports SEC(".maps");

/* Processes the task walk found holding sockets that had none (open before
 * LECO loaded), by socket cookie: the tcp/udp walks keep them in the
 * socket's storage. */
struct leco_owner {
	__u32 pid;
	char comm[LECO_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct leco_owner);
} owners SEC(".maps");

static __always_inline __u64 port_key(const struct sock *sk)
{
	return (__u64)sk->__sk_common.skc_net.net->ns.inum << 16 | sk->__sk_common.skc_num;
}

static __always_inline struct leco_sock *walk_state(struct sock *sk)
{
	__u8 protocol = sk->sk_protocol, state = sk->__sk_common.skc_state;
	struct leco_sock *st;
	__u8 one = 1;

	if (protocol == IPPROTO_TCP && state == TCP_LISTEN) {
		__u64 key = port_key(sk);

		bpf_map_update_elem(&listen_ports, &key, &one, BPF_ANY);
	}
	st = bpf_sk_storage_get(&sockets, sk, 0, 0);
	if (st && (st->flags & LECO_F_NO_PROC)) {
		struct leco_owner *owner = bpf_map_lookup_elem(&owners, &st->cookie);

		if (owner) {
			st->pid = owner->pid;
			__builtin_memcpy(st->comm, owner->comm, sizeof(st->comm));
			st->flags &= ~LECO_F_NO_PROC;
		}
	}
	if (st)
		return st;
	if (protocol == IPPROTO_TCP && state == TCP_CLOSE)
		return NULL; /* nothing left to report */
	st = bpf_sk_storage_get(&sockets, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!st) {
		stat_inc(LECO_STAT_NO_STORAGE);
		return NULL;
	}
	if (st->cookie)
		return st; /* a hook was first */
	st->cookie = bpf_get_socket_cookie(sk);
	st->cgroup_id = sk_cgroup_id(sk);
	st->uid = sk->sk_uid.val;
	st->flags = LECO_F_NO_PROC | LECO_F_ADOPTED;
	stat_inc(LECO_STAT_ADOPTED);
	if (protocol == IPPROTO_TCP) {
		__u64 key = port_key(sk);

		/* a listener only names its children's process */
		if (state == TCP_LISTEN)
			return st;
		st->flags |= LECO_F_TCP_SEEN;
		if (state == TCP_SYN_SENT)
			return st;
		st->flags |= LECO_F_ANNOUNCED;
		if (bpf_map_lookup_elem(&listen_ports, &key))
			st->flags |= LECO_F_INBOUND;
	} else if (has_peer(sk)) {
		/* a connected datagram socket is a flow; an unconnected one's
		 * destinations are announced as it sends */
		st->flags |= LECO_F_ANNOUNCED;
	}
	return st;
}

/* TRUSTED: SK is a pointer helpers take (else it is only read through). */
static __always_inline void write_rec(struct seq_file *seq, struct sock *sk, const struct leco_sock *st,
				      bool trusted)
{
	struct leco_sock_rec rec = {};
	struct leco_event e = {};

	__builtin_memcpy(&rec.s, st, sizeof(rec.s));
	rec.protocol = sk->sk_protocol;
	/* a live TCP socket's counters are TCP's own, up to this moment */
	if (rec.protocol == IPPROTO_TCP && !(st->flags & LECO_F_COUNTED)) {
		if (trusted)
			tcp_counters(sk, &rec.s);
		else
			tcp_counters_probe(sk, &rec.s);
	}
	sk_tuple(sk, &e);
	__builtin_memcpy(rec.local_addr, e.local_addr, sizeof(rec.local_addr));
	__builtin_memcpy(rec.remote_addr, e.remote_addr, sizeof(rec.remote_addr));
	rec.local_port = e.local_port;
	rec.remote_port = e.remote_port;
	rec.family = e.family;
	rec.netns = e.netns;
	rec.state = sk->__sk_common.skc_state;
	bpf_seq_write(seq, &rec, sizeof(rec));
}

/* A socket of the tcp or udp walk: adopted if need be, written. */
static __always_inline void walk_one(struct seq_file *seq, struct sock *sk)
{
	struct leco_sock *st = walk_state(sk);

	if (st)
		write_rec(seq, sk, st, true);
}

SEC("iter/bpf_sk_storage_map")
int dump_sockets(struct bpf_iter__bpf_sk_storage_map *ctx)
{
	struct leco_sock *st = ctx->value;
	struct sock *sk = ctx->sk;

	if (!sk || !st)
		return 0;
	write_rec(ctx->meta->seq, sk, st, true);
	return 0;
}

SEC("iter/tcp")
int tcp_sockets(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct sock *sk;

	if (!skc)
		return 0;
	/* full sockets only: time-wait and request socks have no storage */
	sk = (struct sock *)bpf_skc_to_tcp_sock(skc);
	if (sk)
		walk_one(ctx->meta->seq, sk);
	return 0;
}

SEC("iter/udp")
int udp_sockets(struct bpf_iter__udp *ctx)
{
	struct sock *sk = (struct sock *)ctx->udp_sk;

	if (sk)
		walk_one(ctx->meta->seq, sk);
	return 0;
}

SEC("iter/task_file")
int task_sockets(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct task_struct *me;
	struct leco_sock st;
	struct socket *sock;
	struct sock *sk;
	__u16 family;
	__u8 protocol;
	__u64 cookie;

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	/* not a pointer helpers take here: read through it only */
	sk = sock->sk;
	if (!sk)
		return 0;
	family = sk->__sk_common.skc_family;
	if (family != AF_INET && family != AF_INET6)
		return 0;
	cookie = sk->__sk_common.skc_cookie.counter;
	if (!storage_of(sk, cookie, &st))
		return 0;
	if (st.flags & LECO_F_NO_PROC) {
		/* the first process found holding it: for this record, and
		 * for the tcp/udp walks to keep in the socket's storage */
		struct leco_owner owner = { .pid = task->tgid };

		__builtin_memcpy(owner.comm, task->comm, sizeof(owner.comm));
		bpf_map_update_elem(&owners, &cookie, &owner, BPF_NOEXIST);
		st.pid = owner.pid;
		__builtin_memcpy(st.comm, owner.comm, sizeof(st.comm));
		st.flags &= ~LECO_F_NO_PROC;
	}
	protocol = sk->sk_protocol;
	me = bpf_get_current_task_btf();
	if (tcp_udp_walks && (protocol == IPPROTO_TCP || protocol == IPPROTO_UDP) &&
	    sk->__sk_common.skc_net.net->ns.inum == me->nsproxy->net_ns->ns.inum)
		return 0;
	write_rec(ctx->meta->seq, sk, &st, false);
	return 0;
}
