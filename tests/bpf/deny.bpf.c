// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * Test fixtures standing in for what systemd and admins attach to cgroups:
 * an egress filter that drops everything (IPAddressDeny=any) and a connect
 * hook that refuses every connect().  Attached to test cgroups only.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("cgroup_skb/egress")
int deny_egress(struct __sk_buff *skb)
{
	return 0;
}

SEC("cgroup/connect4")
int deny_connect4(struct bpf_sock_addr *ctx)
{
	return 0;
}

SEC("cgroup/connect6")
int deny_connect6(struct bpf_sock_addr *ctx)
{
	return 0;
}
