/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/types.h>

#include "leco.h"

/* Exit codes of leco-ebpf-load, documented in leco-ebpf-load(8) and README. */
enum {
	EXIT_LOADED = 0,         /* loaded, or the same version was already there */
	EXIT_FAILURE_OTHER = 1,  /* anything not listed below */
	EXIT_BAD_OPTIONS = 2,
	EXIT_NOT_PRIVILEGED = 3,
	EXIT_NO_BTF = 4,
	EXIT_NO_BPFFS = 5,
	EXIT_NOT_BPFFS = 6,      /* the pin dir is not on a bpf filesystem */
	EXIT_NO_CGROUP2 = 7,
	EXIT_VERIFIER = 8,       /* the kernel rejected the programs */
	EXIT_NO_SYSTEMD = 9,     /* --fdstore outside a systemd service */
	EXIT_ATTACH = 10,        /* a required hook could not be attached */
};

#define LECO_DEFAULT_PIN "/sys/fs/bpf/leco"
#define LECO_DEFAULT_RINGBUF (1u << 20)

struct loader_opts {
	const char *pin_dir;
	const char *group;
	const char *cgroup_root;     /* NULL: found in /proc/self/mountinfo */
	mode_t mode;                 /* ring buffer mode; the group's read-only pins get mode & 0440 */
	uint32_t ringbuf_size;
	bool fdstore;
	bool unload;
	bool check;
	bool verbose;
	uint64_t without;            /* hooks left out on purpose (--without), bits of enum leco_hook */
};

/* One kernel hook: a program of the skeleton and how to attach it. */
enum hook_kind {
	HOOK_TP_BTF,
	HOOK_TRACEPOINT,
	HOOK_CGROUP,
	HOOK_ITER,
};

struct hook {
	enum leco_hook bit;
	const char *prog;            /* program name in bpf/leco.bpf.c */
	enum hook_kind kind;
	const char *target;          /* tracepoint name, cgroup attach type name, ... */
	bool required;
	/* filled by hooks_probe(), then by the load; ATTACHED until then
	 * means "in this kernel and wanted: the load tries it" */
	enum leco_hook_status status;
	int err;                     /* positive errno of a refusal */
	char why[200];               /* why not attached */
};

extern struct hook leco_hooks[LECO_HOOK_MAX];

/* In this kernel, wanted, not refused so far: the load (still) tries it. */
static inline bool hook_wanted(const struct hook *h)
{
	return h->status == LECO_HS_ATTACHED;
}

/* Decide which hooks this kernel supports; never loads anything. */
int hooks_probe(bool verbose);
const char *hook_kind_name(enum hook_kind kind);
/* The kernel's lockdown mode (mounts securityfs if nothing is there). */
enum leco_lockdown read_lockdown(void);
/* Mark H refused by the kernel with positive errno ERR; why says so, with
 * the lockdown mode where it explains an EPERM. */
void hook_refused(struct hook *h, enum leco_hook_status status, int err, enum leco_lockdown lockdown);

/* Filesystem helpers (pins.c). */
int ensure_bpffs(const char *dir, bool *created);
int ensure_tracefs(void);
int pin_dir_is_bpffs(const char *dir);
int set_pin_access(const char *path, gid_t gid, bool have_group, mode_t mode);
int remove_leco_pins(const char *dir, const char *keep_suffix);
