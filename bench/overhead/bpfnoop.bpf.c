// SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause)
/*
 * Reference programs for bench/overhead/run: do-nothing programs on the same
 * per-call tracepoints LECO uses.  Their bpf_stats average is the floor of
 * the measurement itself (sched_clock around the program, dispatch), so a
 * LECO program's figure can be read against it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sock_send_length")
int noop_send(void *ctx)
{
	return 0;
}

SEC("tp_btf/sock_recv_length")
int noop_recv(void *ctx)
{
	return 0;
}
