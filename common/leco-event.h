/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Userspace side of the kernel ABI in bpf/leco.h: validate ring buffer
 * records before trusting them, and name what they carry.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "leco.h"

/* Copy and validate one ring buffer record.  Returns 0, or -EBADMSG with a
 * reason in err (which may be NULL). */
int leco_event_decode(const void *data, size_t len, struct leco_event *out, char *err, size_t errlen);

/* Validate one record of the live-socket iterator. */
int leco_sock_rec_decode(const void *data, size_t len, struct leco_sock_rec *out, char *err, size_t errlen);

const char *leco_event_type_name(unsigned type);
const char *leco_reason_name(unsigned reason);
const char *leco_direction_name(unsigned dir);
const char *leco_protocol_name(unsigned proto, char *buf, size_t len);
const char *leco_family_name(unsigned family);
const char *leco_tcp_state_name(unsigned state);
const char *leco_hook_name(unsigned hook);
/* enum leco_hook of a name leco_hook_name() gives, or -ENOENT. */
int leco_hook_from_name(const char *name);
const char *leco_hook_status_name(unsigned status);   /* enum leco_hook_status */
const char *leco_lockdown_name(unsigned mode);         /* enum leco_lockdown */

/* A capability a reader loses when hooks are missing: a stable id and a
 * sentence for people. */
struct leco_loss {
	const char *id;
	const char *what;
};
/* What is lost with only the hooks in HOOKS (bits of enum leco_hook)
 * attached: fills up to MAX entries of OUT, returns how many there are. */
size_t leco_lost_features(uint64_t hooks, const struct leco_loss **out, size_t max);

/* Address (network order, 4 or 16 bytes used) as text; "" for an unknown family. */
const char *leco_addr_to_string(unsigned family, const uint8_t addr[LECO_ADDR_LEN], char *buf, size_t len);

/* Make a kernel-supplied comm safe to print: NUL-terminated, printable ASCII. */
void leco_sanitize_comm(char comm[LECO_COMM_LEN]);

/* One line of "key=value" pairs (tests, leco-ebpf-load debugging). */
int leco_event_format(const struct leco_event *e, char *buf, size_t len);
