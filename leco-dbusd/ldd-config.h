/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * leco-dbusd's configuration file (/etc/leco/leco-dbusd.conf, a GKeyFile):
 * tunables in [Daemon], events nobody wants to hear about in [Ignore].
 * The file is parsed strictly: anything unknown or malformed is an error
 * that names the file, group, key and value, never a silent default.
 */
#pragma once

#include <glib.h>

#define LDD_CONFIG_PATH "/etc/leco/leco-dbusd.conf"

/* Larger files are refused before they are read. */
#define LDD_CONFIG_MAX_FILE_SIZE (1024 * 1024)
/* At most this many entries per [Ignore] key. */
#define LDD_CONFIG_MAX_PATTERNS 256
/* Longest Units=/Comms= pattern, in bytes (systemd's unit name limit). */
#define LDD_CONFIG_MAX_PATTERN_LEN 255

typedef enum {
	LDD_IGNORE_UNIT,
	LDD_IGNORE_COMM,
	LDD_IGNORE_ADDRESS,
	LDD_IGNORE_PORT,
} LddIgnoreKind;

typedef struct {
	guint update_interval_ms; /* [Daemon] UpdateInterval, default 2000, 100..3600000 */
	guint flow_table_size;    /* [Daemon] FlowTableSize, default 16384, 16..1048576 */
	guint closed_history;     /* [Daemon] ClosedHistory, default 256, 0..65536: recently closed flows kept */
	guint blocked_history;    /* [Daemon] BlockedHistory, default 1000, 1..100000 */
	guint coalesce_window_ms; /* [Daemon] CoalesceWindow, default 5000, 100..3600000 */
	guint drain_interval_ms;  /* [Daemon] DrainInterval, default 200, 10..5000: ring buffer drain timer */

	/* private: the [Ignore] rules, in file order; use ldd_config_ignores() */
	GPtrArray *ignore;
} LddConfig;

LddConfig *ldd_config_new_default(void);

/*
 * path NULL, or a missing file with missing_ok: the defaults.  Any unknown
 * group or key, bad value, out-of-range number, bad pattern, or a file that
 * is not a valid UTF-8 key file: NULL and an error (G_IO_ERROR for I/O,
 * G_KEY_FILE_ERROR for content) whose message names the file, group, key and
 * offending value and says what is expected.
 */
LddConfig *ldd_config_load(const char *path, gboolean missing_ok, GError **error);
void ldd_config_free(LddConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LddConfig, ldd_config_free)

/* What an event looks like to the ignore rules; any field may be NULL/0 (unknown). */
typedef struct {
	const char *unit;          /* "sshd.service"; NULL or "" = none */
	const char *comm;          /* "curl"; NULL or "" = unknown */
	int family;                /* AF_INET / AF_INET6 / 0 */
	const guint8 *remote_addr; /* 4 or 16 bytes by family, network order */
	guint16 remote_port;       /* host order, 0 = unknown */
	guint16 local_port;        /* host order, 0 = unknown */
} LddIgnoreQuery;

/* TRUE when any [Ignore] rule matches the event.  An unknown field matches
 * no rule of its kind. */
gboolean ldd_config_ignores(const LddConfig *config, const LddIgnoreQuery *q);

/* Number of [Ignore] rules of one kind (after loading). */
guint ldd_config_count_ignores(const LddConfig *config, LddIgnoreKind kind);

/* Human-readable one-line summary for --verbose logging. */
char *ldd_config_describe(const LddConfig *config);
