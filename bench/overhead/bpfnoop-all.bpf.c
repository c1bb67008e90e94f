// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * Do-nothing programs on every hook LECO attaches (bpf/leco.bpf.c), for
 * bench/overhead/noop-loader's "all" set: what having any program on these
 * hooks costs the workloads, the floor under LECO's whole hook set.  The
 * cgroup programs return 1 (allow), as LECO's do.
 */
/* the per-call pair (noop_send, noop_recv) and the license */
#include "bpfnoop.bpf.c"

SEC("tp_btf/inet_sock_set_state")
int noop_tcp_state(void *ctx)
{
	return 0;
}

SEC("tp_btf/kfree_skb")
int noop_kfree_skb(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int noop_connect_exit(void *ctx)
{
	return 0;
}

SEC("cgroup/connect4")
int noop_connect4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/connect6")
int noop_connect6(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/sendmsg4")
int noop_sendmsg4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/sendmsg6")
int noop_sendmsg6(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/sock_release")
int noop_sock_release(struct bpf_sock *ctx)
{
	return 1;
}
