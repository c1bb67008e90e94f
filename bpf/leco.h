/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The one header shared by the kernel programs (bpf/leco.bpf.c) and every
 * userspace reader (loader, daemon, tests).  Rules: no includes, fixed-width
 * __u* types only, no pointers, explicit padding; userspace asserts the sizes
 * (see LECO_ASSERT_ABI below).  Any change to a struct or map layout here bumps
 * LECO_ABI_VERSION, which is part of every pinned object's name.
 */
#ifndef LECO_H
#define LECO_H

#define LECO_ABI_VERSION 3

#define LECO_COMM_LEN 16
#define LECO_ADDR_LEN 16

/* What an event on the ring buffer reports. */
enum leco_event_type {
	LECO_EV_FLOW_OPEN = 1,   /* new flow: TCP connection established (outbound, with its
	                          * local port) or accepted, first datagram to a destination */
	LECO_EV_FLOW_STATE = 2,  /* TCP state change: no longer emitted (an outbound connection
	                          * is announced when established); readers accept it */
	LECO_EV_FLOW_CLOSE = 3,  /* socket closed: final byte counts */
	LECO_EV_FLOW_FAIL = 4,   /* TCP connect failed before established (err set) */
	LECO_EV_BLOCKED = 5,     /* packet dropped by a policy (reason set) */
	LECO_EV_DENIED = 6,      /* connect() returned -EPERM or -EACCES (err set) */
	LECO_EV_TYPE_MAX,
};

enum leco_direction {
	LECO_DIR_UNKNOWN = 0,
	LECO_DIR_OUT = 1,        /* we initiated it / the packet was leaving */
	LECO_DIR_IN = 2,         /* accepted / the packet was arriving */
};

/* Why something was blocked, normalised from the kernel's own reason. */
enum leco_reason {
	LECO_REASON_NONE = 0,
	LECO_REASON_NETFILTER = 1,   /* nftables/iptables DROP or REJECT */
	LECO_REASON_CGROUP_BPF = 2,  /* cgroup eBPF egress filter (systemd IPAddressDeny=, ...) */
	LECO_REASON_SECURITY = 3,    /* an LSM hook dropped the packet */
	LECO_REASON_CONNECT = 4,     /* connect() denied (cgroup connect hook, LSM) */
	LECO_REASON_MAX,
};

/* Bits of leco_meta.hooks: which hooks this load attached. */
enum leco_hook {
	LECO_HOOK_TCP_STATE = 0,     /* tp_btf/inet_sock_set_state */
	LECO_HOOK_KFREE_SKB,         /* tp_btf/kfree_skb */
	LECO_HOOK_CONNECT_EXIT,      /* tracepoint/syscalls/sys_exit_connect */
	LECO_HOOK_CG_CONNECT4,       /* cgroup/connect4 on the cgroup2 root */
	LECO_HOOK_CG_CONNECT6,       /* cgroup/connect6 */
	LECO_HOOK_CG_SENDMSG4,       /* cgroup/sendmsg4 */
	LECO_HOOK_CG_SENDMSG6,       /* cgroup/sendmsg6 */
	LECO_HOOK_CG_SOCK_RELEASE,   /* cgroup/sock_release */
	LECO_HOOK_SEND_LENGTH,       /* tp_btf/sock_send_length (6.3+) */
	LECO_HOOK_RECV_LENGTH,       /* tp_btf/sock_recv_length (6.3+) */
	LECO_HOOK_ITER_SOCKETS,      /* iter/bpf_sk_storage_map: live sockets LECO tracks, every netns */
	LECO_HOOK_ITER_TCP,          /* iter/tcp: live TCP sockets of the reader's netns */
	LECO_HOOK_ITER_UDP,          /* iter/udp: live UDP sockets (v4 and v6) of the reader's netns */
	LECO_HOOK_ITER_TASK_FILE,    /* iter/task_file: sockets' processes; tracked sockets the
	                              * tcp/udp walks cannot see (other netns, raw, ICMP) */
	LECO_HOOK_MAX,
};

/* Well-known indices of the stats map (a per-CPU array of __u64). */
enum leco_stat {
	LECO_STAT_RB_DROPPED = 0,    /* ring buffer reserve failures: events lost */
	LECO_STAT_EVENTS,            /* events submitted */
	LECO_STAT_DROPS_SEEN,        /* policy drops seen (before coalescing) */
	LECO_STAT_DROPS_COALESCED,   /* policy drops folded into an earlier event */
	LECO_STAT_NO_STORAGE,        /* socket storage could not be created */
	LECO_STAT_DENIED,            /* connect() calls denied (EPERM/EACCES) */
	LECO_STAT_ADOPTED,           /* sockets open before LECO loaded, found by a walk */
	LECO_STAT_MAX,
};

/* Flags on leco_event.flags and leco_sock.flags. */
#define LECO_F_V6        (1u << 0)   /* addresses are IPv6 (else IPv4 in the first 4 bytes) */
#define LECO_F_NO_PROC   (1u << 1)   /* no process context was ever seen for this socket */
#define LECO_F_ANNOUNCED (1u << 2)   /* a FLOW_OPEN went out for this socket */
#define LECO_F_TCP_SEEN  (1u << 3)   /* the TCP state hook has seen this socket */
#define LECO_F_COUNTED   (1u << 4)   /* closed: its counters are in the cgroup map now */
#define LECO_F_INBOUND   (1u << 5)   /* announced as inbound (accepted, first received);
                                      * an announced socket without it went out */
#define LECO_F_CGROUP_LIVE (1u << 7) /* counted into its cgroup's totals call by call (kernels
                                      * without the close hook): a reader adding live
                                      * sockets to the cgroup map leaves it out */
#define LECO_F_ADOPTED   (1u << 6)   /* open before LECO loaded, found by a socket walk: a
                                      * TCP socket's counters are TCP's own since it began,
                                      * a datagram socket's count from when it was found */

/*
 * One ring buffer record.  Addresses in network byte order, ports in host
 * byte order.  "local"/"remote" are from this machine's point of view.
 */
struct leco_event {
	__u16 type;                  /* enum leco_event_type */
	__u16 family;                /* AF_INET, AF_INET6, AF_PACKET, ... */
	__u8 protocol;               /* IPPROTO_* */
	__u8 direction;              /* enum leco_direction */
	__u8 state;                  /* TCP state after the change (TCP_* numbering) */
	__u8 old_state;
	__u32 pid;                   /* tgid; 0 when never seen in process context */
	__u32 uid;                   /* socket owner (sk_uid) or current uid */
	__u64 ts_ns;                 /* bpf_ktime_get_boot_ns() on BLOCKED, DENIED and new
	                              * unconnected destinations; 0 on the other flow events
	                              * (a clock read per connection costs more than the
	                              * reader's own stamp when it drains the event) */
	__u64 cookie;                /* socket cookie (0: no socket, e.g. an ingress drop) */
	__u64 cgroup_id;             /* cgroup v2 id */
	__u8 local_addr[LECO_ADDR_LEN];
	__u8 remote_addr[LECO_ADDR_LEN];
	__u16 local_port;
	__u16 remote_port;
	__u32 reason;                /* enum leco_reason */
	__u32 kernel_reason;         /* raw enum skb_drop_reason value (name via BTF) */
	__u32 count;                 /* drops folded into this event (>= 1) */
	__s32 err;                   /* positive errno for FAIL/DENIED */
	__u32 flags;                 /* LECO_F_* */
	char comm[LECO_COMM_LEN];
	__u64 tx_bytes;              /* FLOW_CLOSE: final counters */
	__u64 rx_bytes;
	__u64 tx_calls;
	__u64 rx_calls;
	__u32 netns;                 /* network namespace inode */
	__u32 _pad0;
};

/*
 * Per-socket state (BPF_MAP_TYPE_SK_STORAGE, cloned from a listener to its
 * accepted children): who owns the socket and what it moved.
 */
struct leco_sock {
	__u64 cookie;
	__u64 cgroup_id;
	__u64 tx_bytes;
	__u64 rx_bytes;
	__u64 tx_calls;
	__u64 rx_calls;
	__u32 pid;
	__u32 uid;
	__u32 flags;                 /* LECO_F_* */
	__u32 _pad0;
	char comm[LECO_COMM_LEN];
};

/*
 * Per-cgroup counters (per-CPU hash keyed by cgroup id: sum over CPUs).
 * Bytes and calls of a socket are folded in when it closes; live sockets'
 * are in their socket storage (read them through the iterator and add the
 * records without LECO_F_COUNTED).  Blocked attempts count as they happen.
 */
struct leco_cgroup_stats {
	__u64 tx_bytes;
	__u64 rx_bytes;
	__u64 tx_calls;
	__u64 rx_calls;
	__u64 blocked;               /* blocked packets and denied connects */
};

/* Key of the in-kernel drop coalescing map. */
struct leco_drop_key {
	__u64 cgroup_id;
	__u8 remote_addr[LECO_ADDR_LEN];
	__u16 remote_port;
	__u16 local_port;
	__u8 protocol;
	__u8 direction;
	__u16 family;
	__u32 kernel_reason;
	__u32 _pad0;
};

struct leco_drop_val {
	__u64 last_emit_ns;
	__u64 folded;                /* drops since the last event */
};

/* Key of the per-destination map for unconnected sends (sendto/sendmsg). */
struct leco_dest_key {
	__u64 cookie;
	__u8 remote_addr[LECO_ADDR_LEN];
	__u16 remote_port;
	__u16 family;
	__u32 _pad0;
};

/*
 * One record of the live-socket iterator (the pinned iter link: read it like
 * a file, records back to back).
 */
struct leco_sock_rec {
	struct leco_sock s;
	__u8 local_addr[LECO_ADDR_LEN];
	__u8 remote_addr[LECO_ADDR_LEN];
	__u16 local_port;
	__u16 remote_port;
	__u16 family;
	__u8 protocol;
	__u8 state;
	__u32 netns;
	__u32 _pad0;
};

/* The kernel's lockdown mode when the loader ran (leco_meta.lockdown). */
enum leco_lockdown {
	LECO_LOCKDOWN_UNKNOWN = 0,   /* securityfs not readable */
	LECO_LOCKDOWN_NONE = 1,
	LECO_LOCKDOWN_INTEGRITY = 2,
	LECO_LOCKDOWN_CONFIDENTIALITY = 3,
};

/* Why a hook is not attached (leco_meta.hook_status[hook]). */
enum leco_hook_status {
	LECO_HS_ATTACHED = 0,
	LECO_HS_MISSING = 1,         /* this kernel does not have it (BTF, tracefs, arch) */
	LECO_HS_REFUSED_LOAD = 2,    /* the kernel refused to load the program (hook_errno) */
	LECO_HS_REFUSED_ATTACH = 3,  /* loaded, but attaching it failed (hook_errno) */
	LECO_HS_LEFT_OUT = 4,        /* left out on purpose (leco-ebpf-load --without) */
};

#define LECO_META_HOOKS 32           /* room for enum leco_hook */

/* Single entry of the meta array map: what the loader loaded, for readers. */
struct leco_meta {
	__u32 abi_version;           /* LECO_ABI_VERSION */
	__u32 lockdown;              /* enum leco_lockdown */
	__u64 hooks;                 /* bitmask of enum leco_hook actually attached */
	__u64 load_time_ns;          /* CLOCK_BOOTTIME when loaded */
	char build_id[48];           /* loader version + object hash: idempotency key */
	__u8 hook_status[LECO_META_HOOKS];  /* enum leco_hook_status per hook */
	__s32 hook_errno[LECO_META_HOOKS];  /* positive errno of a refusal, else 0 */
};

#ifndef __bpf__
/* Userspace: pin layout checks. */
#define LECO_ASSERT_ABI()                                                          \
	_Static_assert(sizeof(struct leco_event) == 152, "leco_event layout");     \
	_Static_assert(sizeof(struct leco_sock) == 80, "leco_sock layout");        \
	_Static_assert(sizeof(struct leco_cgroup_stats) == 40, "cgroup stats");    \
	_Static_assert(sizeof(struct leco_drop_key) == 40, "drop key layout");     \
	_Static_assert(sizeof(struct leco_drop_val) == 16, "drop val layout");     \
	_Static_assert(sizeof(struct leco_dest_key) == 32, "dest key layout");     \
	_Static_assert(sizeof(struct leco_sock_rec) == 128, "sock rec layout");    \
	_Static_assert(sizeof(struct leco_meta) == 72 + 32 + 128, "meta layout"); \
	_Static_assert(LECO_HOOK_MAX <= LECO_META_HOOKS, "hook bits")
#endif

#endif /* LECO_H */
