/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which of LECO's hooks this kernel supports, decided from the kernel's own
 * BTF and tracefs before anything is loaded, so that a missing optional hook
 * turns its program's autoload off instead of failing the whole load.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "leco-event.h"
#include "loader.h"

struct hook leco_hooks[LECO_HOOK_MAX] = {
	{ LECO_HOOK_TCP_STATE, "tcp_state", HOOK_TP_BTF, "inet_sock_set_state", true },
	{ LECO_HOOK_KFREE_SKB, "kfree_skb", HOOK_TP_BTF, "kfree_skb", true },
	{ LECO_HOOK_CONNECT_EXIT, "connect_exit", HOOK_TRACEPOINT, "syscalls/sys_exit_connect", false },
	{ LECO_HOOK_CG_CONNECT4, "connect4", HOOK_CGROUP, "BPF_CGROUP_INET4_CONNECT", false },
	{ LECO_HOOK_CG_CONNECT6, "connect6", HOOK_CGROUP, "BPF_CGROUP_INET6_CONNECT", false },
	{ LECO_HOOK_CG_SENDMSG4, "sendmsg4", HOOK_CGROUP, "BPF_CGROUP_UDP4_SENDMSG", false },
	{ LECO_HOOK_CG_SENDMSG6, "sendmsg6", HOOK_CGROUP, "BPF_CGROUP_UDP6_SENDMSG", false },
	{ LECO_HOOK_CG_SOCK_RELEASE, "sock_release", HOOK_CGROUP, "BPF_CGROUP_INET_SOCK_RELEASE", false },
	{ LECO_HOOK_SEND_LENGTH, "send_length", HOOK_TP_BTF, "sock_send_length", false },
	{ LECO_HOOK_RECV_LENGTH, "recv_length", HOOK_TP_BTF, "sock_recv_length", false },
	{ LECO_HOOK_ITER_SOCKETS, "dump_sockets", HOOK_ITER, "bpf_sk_storage_map", false },
	{ LECO_HOOK_ITER_TCP, "tcp_sockets", HOOK_ITER, "tcp", false },
	{ LECO_HOOK_ITER_UDP, "udp_sockets", HOOK_ITER, "udp", false },
	{ LECO_HOOK_ITER_TASK_FILE, "task_sockets", HOOK_ITER, "task_file", false },
};

const char *hook_kind_name(enum hook_kind kind)
{
	switch (kind) {
	case HOOK_TP_BTF:
		return "tp_btf";
	case HOOK_TRACEPOINT:
		return "tracepoint";
	case HOOK_CGROUP:
		return "cgroup";
	case HOOK_ITER:
		return "iter";
	}
	return "?";
}

static int btf_enum_value(const struct btf *btf, const char *enum_name, const char *value, int *out)
{
	int id = btf__find_by_name_kind(btf, enum_name, BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *e;

	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (unsigned i = 0; i < btf_vlen(t); i++, e++) {
		if (strcmp(btf__name_by_offset(btf, e->name_off), value) == 0) {
			if (out)
				*out = e->val;
			return 0;
		}
	}
	return -ENOENT;
}

/* Number of parameters of the raw tracepoint btf_trace_NAME (incl. the ctx), or <0. */
static int tp_btf_params(const struct btf *btf, const char *tp)
{
	char name[128];
	const struct btf_type *t;
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	t = btf__type_by_id(btf, t->type); /* pointer */
	if (!t || !btf_is_ptr(t))
		return -EINVAL;
	t = btf__type_by_id(btf, t->type); /* func proto */
	if (!t || !btf_is_func_proto(t))
		return -EINVAL;
	return btf_vlen(t);
}

static void probe_one(struct hook *h, const struct btf *btf)
{
	char path[256];
	int n;

	h->status = LECO_HS_MISSING;
	h->err = 0;
	switch (h->kind) {
	case HOOK_TP_BTF:
		n = tp_btf_params(btf, h->target);
		if (n < 0) {
			snprintf(h->why, sizeof(h->why),
				 "raw tracepoint %s not in this kernel%s", h->target,
				 strncmp(h->target, "sock_", 5) == 0 ? " (needs 6.3+)" : "");
			return;
		}
		if (h->bit == LECO_HOOK_KFREE_SKB) {
			/* ctx, skb, location, reason: the reason argument came in 5.17 */
			if (n < 4 || btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM) < 0) {
				snprintf(h->why, sizeof(h->why),
					 "kfree_skb has no drop reason here (needs 5.17+)");
				return;
			}
			if (btf_enum_value(btf, "skb_drop_reason", "SKB_DROP_REASON_NETFILTER_DROP", NULL) ||
			    btf_enum_value(btf, "skb_drop_reason", "SKB_DROP_REASON_BPF_CGROUP_EGRESS", NULL)) {
				snprintf(h->why, sizeof(h->why),
					 "kernel lacks the NETFILTER_DROP/BPF_CGROUP_EGRESS drop reasons (needs 6.0+)");
				return;
			}
		}
		break;
	case HOOK_TRACEPOINT:
		if (ensure_tracefs() < 0) {
			snprintf(h->why, sizeof(h->why), "tracefs is not mounted and could not be mounted");
			return;
		}
		snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/id", h->target);
		if (access(path, R_OK) < 0) {
			snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/%s/id", h->target);
			if (access(path, R_OK) < 0) {
				snprintf(h->why, sizeof(h->why),
					 "tracepoint %s missing (kernel built without CONFIG_FTRACE_SYSCALLS?)",
					 h->target);
				return;
			}
		}
		break;
	case HOOK_CGROUP:
		if (btf_enum_value(btf, "bpf_attach_type", h->target, NULL)) {
			snprintf(h->why, sizeof(h->why), "attach type %s not in this kernel", h->target);
			return;
		}
		if (libbpf_probe_bpf_prog_type(h->bit == LECO_HOOK_CG_SOCK_RELEASE ? BPF_PROG_TYPE_CGROUP_SOCK
										  : BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
					       NULL) != 1) {
			snprintf(h->why, sizeof(h->why), "cgroup socket programs not supported");
			return;
		}
		break;
	case HOOK_ITER:
		snprintf(path, sizeof(path), "bpf_iter__%s", h->target);
		if (btf__find_by_name_kind(btf, path, BTF_KIND_STRUCT) < 0) {
			snprintf(h->why, sizeof(h->why), "iterator %s not in this kernel", h->target);
			return;
		}
		break;
	}
	h->status = LECO_HS_ATTACHED;
	h->why[0] = '\0';
}

int hooks_probe(bool verbose)
{
	struct btf *btf;
	int err;

	btf = btf__load_vmlinux_btf();
	err = libbpf_get_error(btf);
	if (err)
		return err < 0 ? err : -err;
	for (int i = 0; i < LECO_HOOK_MAX; i++)
		probe_one(&leco_hooks[i], btf);

#if !defined(__x86_64__) && !defined(__aarch64__)
	/* connect_exit reads connect()'s arguments from the saved user
	 * registers: known for x86-64 and arm64 only */
	if (hook_wanted(&leco_hooks[LECO_HOOK_CONNECT_EXIT])) {
		leco_hooks[LECO_HOOK_CONNECT_EXIT].status = LECO_HS_MISSING;
		snprintf(leco_hooks[LECO_HOOK_CONNECT_EXIT].why, sizeof(leco_hooks[LECO_HOOK_CONNECT_EXIT].why),
			 "connect()'s arguments are read from the syscall registers, known for x86-64 and arm64 only");
	}
#endif
	if (verbose)
		for (int i = 0; i < LECO_HOOK_MAX; i++)
			fprintf(stderr, "hook %s: %s%s%s\n", leco_hooks[i].prog,
				hook_wanted(&leco_hooks[i]) ? "available" : "missing",
				hook_wanted(&leco_hooks[i]) ? "" : ": ", leco_hooks[i].why);
	btf__free(btf);
	return 0;
}

enum leco_lockdown read_lockdown(void)
{
	const char *path = "/sys/kernel/security/lockdown";
	char buf[128] = "";
	FILE *f = fopen(path, "re");

	/* securityfs not mounted (no systemd): mount it where it belongs */
	if (!f && errno == ENOENT && access("/sys/kernel/security", F_OK) == 0 &&
	    mount("securityfs", "/sys/kernel/security", "securityfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) {
		f = fopen(path, "re");
		if (!f && errno == ENOENT)
			return LECO_LOCKDOWN_NONE; /* securityfs without the lockdown LSM */
	}
	if (!f)
		return LECO_LOCKDOWN_UNKNOWN;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	if (strstr(buf, "[none]"))
		return LECO_LOCKDOWN_NONE;
	if (strstr(buf, "[integrity]"))
		return LECO_LOCKDOWN_INTEGRITY;
	if (strstr(buf, "[confidentiality]"))
		return LECO_LOCKDOWN_CONFIDENTIALITY;
	return LECO_LOCKDOWN_UNKNOWN;
}

void hook_refused(struct hook *h, enum leco_hook_status status, int err, enum leco_lockdown lockdown)
{
	const char *name = strerrorname_np(err);

	h->status = status;
	h->err = err;
	snprintf(h->why, sizeof(h->why), "refused by the kernel%s: %s (%s)%s%s",
		 status == LECO_HS_REFUSED_ATTACH ? " at attach" : "", name ? name : "?", strerror(err),
		 err == EPERM && lockdown >= LECO_LOCKDOWN_INTEGRITY ? ", lockdown=" : "",
		 err == EPERM && lockdown >= LECO_LOCKDOWN_INTEGRITY ? leco_lockdown_name(lockdown) : "");
}
