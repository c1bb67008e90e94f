/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ring buffer records (common/leco-event.h) and what the daemon does with the
 * ones it accepts.  The input is a sequence of records, each one tag byte and
 * then the record's bytes:
 *
 *   tag bit 0       0: struct leco_event (ring buffer), 1: struct leco_sock_rec
 *                   (socket iterator)
 *   tag bit 7       set: the record's length is off by ((tag >> 1) & 0x3f) - 32
 *                   bytes (records of the wrong size must be refused)
 *
 * A record cut short by the end of the input is decoded as it is.  The whole
 * input is also decoded as one record.  A cgroup id whose top byte is 0xcc is
 * replaced, after decoding, by one of a small fake cgroup2 tree's ids (low 16
 * bits, modulo the tree size), so events name real units.
 *
 * Accepted events go, as in leco-dbusd, through ldd_daemon_handle_event()
 * (ignore rules, flow table, blocked coalescing, journal lines; no bus), and
 * into a flow table and a blocked table of their own driven by a synthetic
 * clock, so the tables' bookkeeping can be checked after each input.
 *
 * Invariants: an accepted record has every field in range and a printable
 * comm; a refused one leaves the output untouched and a printable reason;
 * leco_event_format() gives printable ASCII and never writes past len; the
 * journal MESSAGE is clean text; the flow and blocked tables agree with
 * themselves (bounds, indices, per-cgroup counts, id order).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <systemd/sd-journal.h>

#include "fuzz-common.h"
#include "leco-event.h"
#include "ldd-blocked.h"
#include "ldd-cgroups.h"
#include "ldd-config.h"
#include "ldd-daemon.h"
#include "ldd-flows.h"

#define FLOWS_OPEN 8
#define FLOWS_CLOSED 4
#define BLOCKED_HISTORY 4
#define BLOCKED_WINDOW_MS 1000

/* The fake cgroup2 root: realistic names, ids are the directories' inodes. */
static const char *const cgroup_dirs[] = {
	"init.scope",
	"system.slice",
	"system.slice/sshd.service",
	"system.slice/ignored-backup.service",
	"system.slice/system-getty.slice",
	"system.slice/system-getty.slice/getty@tty1.service",
	"system.slice/docker-3f4e5d6c7b8a99887766554433221100ffeeddccbbaa99887766554433221100.scope",
	"user.slice",
	"user.slice/user-1000.slice",
	"user.slice/user-1000.slice/session-3.scope",
	"user.slice/user-1000.slice/user@1000.service",
	"user.slice/user-1000.slice/user@1000.service/init.scope",
	"user.slice/user-1000.slice/user@1000.service/app.slice",
	"user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-org.gnome.Terminal-1234.scope",
	"user.slice/user-1000.slice/user@1000.service/app.slice/app-flatpak-org.mozilla.firefox-2222.scope",
	"user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox\\x2desr-999.scope",
	"machine.slice",
	"machine.slice/libpod-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
	"machine.slice/libpod-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope/container",
	"machine.slice/machine-qemu\\x2d1\\x2dfedora.scope",
	/* no unit: root-made, but the name is untrusted text all the same */
	"weird\n\x1b[1mname",
};

/* Ignore rules that the events can hit (units above, addresses, ports, comm). */
static const char daemon_conf[] =
	"[Daemon]\n"
	"FlowTableSize=16\n"
	"ClosedHistory=4\n"
	"BlockedHistory=8\n"
	"CoalesceWindow=100ms\n"
	"[Ignore]\n"
	"Units=ignored-*.service;machine-*.scope\n"
	"Comms=ignoreme\n"
	"Addresses=203.0.113.0/24;2001:db8:dead::/48\n"
	"Ports=9;6000-6010\n";

static char *tmp_root;     /* the fake tree */
static char *conf_path;
static guint64 cgroup_ids[G_N_ELEMENTS(cgroup_dirs) + 1];
static guint n_cgroup_ids;
static guint journal_lines;

static void remove_tree(void)
{
	if (!tmp_root)
		return;
	/* deepest first */
	for (gsize i = G_N_ELEMENTS(cgroup_dirs); i-- > 0;) {
		g_autofree char *p = g_build_filename(tmp_root, cgroup_dirs[i], NULL);

		rmdir(p);
	}
	if (conf_path)
		unlink(conf_path);
	rmdir(tmp_root);
}

/*
 * The daemon logs blocked attempts to the journal: keep them out of the
 * machine's journal, and check the MESSAGE field (the first one) instead.
 * (sd_journal_send() is a macro for this one.)
 */
int sd_journal_send_with_location(const char *file, const char *line, const char *func, const char *format, ...)
{
	g_autofree char *first = NULL;
	va_list ap;

	va_start(ap, format);
	first = g_strdup_vprintf(format, ap);
	va_end(ap);
	FUZZ_CHECK(g_str_has_prefix(first, "MESSAGE="), "first journal field: %s", first);
	FUZZ_CHECK_KNOWN("journal-control-chars", fuzz_text_clean(first), "journal MESSAGE not clean text: %s",
			 first);
	journal_lines++;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	g_autoptr(GError) error = NULL;
	struct stat st;

	fuzz_glib_init();
	/* "flow table full ... evicting" (a g_message, expected with tiny
	 * tables) is dropped by fuzz_log_writer() */

	tmp_root = g_dir_make_tmp("leco-fuzz-cgroup-XXXXXX", &error);
	FUZZ_CHECK(tmp_root, "%s", error->message);
	atexit(remove_tree);
	FUZZ_CHECK(stat(tmp_root, &st) == 0, "stat");
	cgroup_ids[n_cgroup_ids++] = st.st_ino;
	for (gsize i = 0; i < G_N_ELEMENTS(cgroup_dirs); i++) {
		g_autofree char *p = g_build_filename(tmp_root, cgroup_dirs[i], NULL);

		FUZZ_CHECK(mkdir(p, 0700) == 0 && stat(p, &st) == 0, "%s: %s", p, g_strerror(errno));
		cgroup_ids[n_cgroup_ids++] = st.st_ino;
	}
	/* next to the tree, not in it (the tree walk would see only directories anyway) */
	conf_path = g_strconcat(tmp_root, ".conf", NULL);
	FUZZ_CHECK(g_file_set_contents(conf_path, daemon_conf, -1, &error), "%s", error->message);
	return 0;
}

static guint64 map_cgroup(guint64 id)
{
	return id >> 56 == 0xcc ? cgroup_ids[(id & 0xffff) % n_cgroup_ids] : id;
}

static void check_reason(int r, const char *err, size_t errlen)
{
	FUZZ_CHECK(r == -EBADMSG, "decode returned %d", r);
	FUZZ_CHECK(memchr(err, '\0', errlen) != NULL, "reason not NUL-terminated");
	FUZZ_CHECK(fuzz_printable_ascii(err, strlen(err)), "reason not printable");
}

static void check_comm(const char comm[LECO_COMM_LEN])
{
	size_t n = strnlen(comm, LECO_COMM_LEN);

	FUZZ_CHECK(n < LECO_COMM_LEN, "comm not NUL-terminated");
	FUZZ_CHECK(fuzz_printable_ascii(comm, n), "comm not printable");
}

static void check_format(const struct leco_event *e)
{
	char line[1024];
	int n = leco_event_format(e, line, sizeof(line));
	char *exact;

	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(line), "format returned %d", n);
	FUZZ_CHECK(strlen(line) == (size_t)n, "format length %d, string %zu", n, strlen(line));
	FUZZ_CHECK(fuzz_printable_ascii(line, (size_t)n), "format output not printable ASCII: %s", line);
	FUZZ_CHECK(leco_event_format(e, NULL, 0) == -ENOBUFS, "len 0");

	/* heap buffers of exactly the size: ASan sees any write past len */
	exact = g_malloc((size_t)n + 1);
	FUZZ_CHECK(leco_event_format(e, exact, (size_t)n + 1) == n && g_str_equal(exact, line), "exact fit");
	FUZZ_CHECK(leco_event_format(e, exact, (size_t)n) == -ENOBUFS, "one byte short");
	FUZZ_CHECK(strlen(exact) == (size_t)n - 1, "truncated output not terminated");
	g_free(exact);
}

/* The name functions take any value (the meta map's hook bits, kernel data). */
static void check_names(unsigned v)
{
	char pb[16];
	const char *names[] = {
		leco_event_type_name(v), leco_reason_name(v), leco_direction_name(v), leco_family_name(v),
		leco_tcp_state_name(v), leco_hook_name(v), leco_protocol_name(v, pb, sizeof(pb)),
	};

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
		FUZZ_CHECK(names[i] && fuzz_printable_ascii(names[i], strlen(names[i])), "name %zu of %u", i, v);
}

static void check_event(const struct leco_event *e)
{
	FUZZ_CHECK(e->type >= LECO_EV_FLOW_OPEN && e->type < LECO_EV_TYPE_MAX, "type %u", e->type);
	FUZZ_CHECK(e->family == 0 || e->family == AF_INET || e->family == AF_INET6, "family %u", e->family);
	FUZZ_CHECK(e->direction <= LECO_DIR_IN, "direction %u", e->direction);
	FUZZ_CHECK(e->reason < LECO_REASON_MAX, "reason %u", e->reason);
	FUZZ_CHECK(!(e->type == LECO_EV_BLOCKED || e->type == LECO_EV_DENIED) || e->reason != LECO_REASON_NONE,
		   "blocked without a reason");
	FUZZ_CHECK(e->err >= 0 && e->err <= 4095, "err %d", e->err);
	FUZZ_CHECK(e->family != AF_INET6 || (e->flags & LECO_F_V6), "IPv6 without LECO_F_V6");
	check_comm(e->comm);
	check_format(e);
	check_names(e->kernel_reason);
	check_names(e->count);
	check_names(e->state);
	check_names(e->protocol);
}

static int decode_event(const uint8_t *p, size_t len, struct leco_event *out)
{
	struct leco_event e;
	char err[128];
	int r;

	memset(&e, 0xaa, sizeof(e));
	memset(err, 0xff, sizeof(err));
	r = leco_event_decode(p, len, &e, err, sizeof(err));
	if (r != 0) {
		for (size_t i = 0; i < sizeof(e); i++)
			FUZZ_CHECK(((unsigned char *)&e)[i] == 0xaa, "refused record half-decoded");
		check_reason(r, err, sizeof(err));
		/* tiny and absent reason buffers */
		FUZZ_CHECK(leco_event_decode(p, len, &e, err, 1) == r && err[0] == '\0', "errlen 1");
		FUZZ_CHECK(leco_event_decode(p, len, &e, NULL, 0) == r, "no reason buffer");
		return r;
	}
	FUZZ_CHECK(len == sizeof(struct leco_event), "accepted a record of %zu bytes", len);
	FUZZ_CHECK(leco_event_decode(p, len, out, NULL, 0) == 0 && memcmp(out, &e, sizeof(e)) == 0,
		   "decoding twice differs");
	check_event(out);
	return 0;
}

static int decode_sock(const uint8_t *p, size_t len, struct leco_sock_rec *out)
{
	struct leco_sock_rec r;
	char err[128];
	int rc;

	memset(&r, 0xaa, sizeof(r));
	rc = leco_sock_rec_decode(p, len, &r, err, sizeof(err));
	if (rc != 0) {
		for (size_t i = 0; i < sizeof(r); i++)
			FUZZ_CHECK(((unsigned char *)&r)[i] == 0xaa, "refused record half-decoded");
		check_reason(rc, err, sizeof(err));
		return rc;
	}
	FUZZ_CHECK(len >= sizeof(r), "accepted a socket record of %zu bytes", len);
	FUZZ_CHECK(r.family == 0 || r.family == AF_INET || r.family == AF_INET6, "family %u", r.family);
	check_comm(r.s.comm);
	*out = r;
	return 0;
}

typedef struct {
	LddFlows *flows;
	GHashTable *per_cgroup; /* cgroup id -> open count, recounted */
	guint64 last_id;
	guint n;
} FlowCheck;

static void check_open_flow(gpointer data, gpointer user_data)
{
	LddFlow *f = data;
	FlowCheck *c = user_data;
	guint n;

	FUZZ_CHECK(!f->closed && !f->failed, "closed flow %" G_GUINT64_FORMAT " in the open list", f->id);
	FUZZ_CHECK(f->id > c->last_id, "open flows out of id order");
	FUZZ_CHECK(ldd_flows_lookup(c->flows, f->id) == f, "open flow %" G_GUINT64_FORMAT " not by id", f->id);
	FUZZ_CHECK(ldd_flows_has_socket(c->flows, f->cookie), "open flow's cookie unknown");
	check_comm(f->comm);
	c->last_id = f->id;
	c->n++;
	n = GPOINTER_TO_UINT(g_hash_table_lookup(c->per_cgroup, &f->cgroup_id));
	g_hash_table_replace(c->per_cgroup, g_memdup2(&f->cgroup_id, sizeof(f->cgroup_id)), GUINT_TO_POINTER(n + 1));
}

static void check_flows(LddFlows *flows)
{
	FlowCheck c = { flows, g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL), 0, 0 };
	GHashTableIter it;
	gpointer k, v;

	FUZZ_CHECK(ldd_flows_open_count(flows) <= FLOWS_OPEN, "%u open flows", ldd_flows_open_count(flows));
	ldd_flows_foreach_open(flows, check_open_flow, &c);
	FUZZ_CHECK(c.n == ldd_flows_open_count(flows), "foreach saw %u of %u", c.n, ldd_flows_open_count(flows));
	g_hash_table_iter_init(&it, c.per_cgroup);
	while (g_hash_table_iter_next(&it, &k, &v))
		FUZZ_CHECK(ldd_flows_open_in_cgroup(flows, *(guint64 *)k) == GPOINTER_TO_UINT(v),
			   "cgroup %" G_GUINT64_FORMAT ": %u open flows counted, %u there", *(guint64 *)k,
			   ldd_flows_open_in_cgroup(flows, *(guint64 *)k), GPOINTER_TO_UINT(v));
	g_hash_table_unref(c.per_cgroup);
}

static void feed_flows(LddFlows *flows, const struct leco_event *e, gint64 now)
{
	gboolean created;
	LddFlow *f;

	switch (e->type) {
	case LECO_EV_FLOW_OPEN:
		f = ldd_flows_open(flows, e, now, &created);
		FUZZ_CHECK(f && !f->closed && f->cookie == e->cookie, "open");
		FUZZ_CHECK(ldd_flows_lookup(flows, f->id) == f, "opened flow not by id");
		break;
	case LECO_EV_FLOW_STATE:
		f = ldd_flows_state(flows, e);
		FUZZ_CHECK(!f || f->cookie == e->cookie, "state");
		break;
	case LECO_EV_FLOW_CLOSE:
	case LECO_EV_FLOW_FAIL: {
		g_autoptr(GPtrArray) closed = ldd_flows_close(flows, e, now);

		FUZZ_CHECK(closed->len >= 1, "close closed nothing");
		for (guint i = 0; i < closed->len; i++) {
			f = closed->pdata[i];
			FUZZ_CHECK(f->closed && f->cookie == e->cookie, "close");
			FUZZ_CHECK(f->failed == (e->type == LECO_EV_FLOW_FAIL), "failed flag");
			FUZZ_CHECK(ldd_flows_lookup(flows, f->id) == f, "just closed flow not by id");
		}
		FUZZ_CHECK(!ldd_flows_has_socket(flows, e->cookie), "socket open after close");
		break;
	}
	default:
		break;
	}
}

static void feed_blocked(LddBlockedTable *blocked, const struct leco_event *e, gint64 now, guint64 *total)
{
	g_autoptr(GPtrArray) due = NULL;
	g_autoptr(GPtrArray) all = NULL;
	gboolean emit_now;
	gint64 next;
	LddBlocked *b;

	if (e->type != LECO_EV_BLOCKED && e->type != LECO_EV_DENIED)
		return;
	b = ldd_blocked_add(blocked, e, now, &emit_now);
	*total += MAX(e->count, 1);
	FUZZ_CHECK(b && b->count >= 1, "blocked entry");
	FUZZ_CHECK(ldd_blocked_total(blocked) == *total, "total %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT " added",
		   ldd_blocked_total(blocked), *total);
	all = ldd_blocked_list(blocked, 0);
	FUZZ_CHECK(all->len >= 1 && all->len <= BLOCKED_HISTORY, "%u in the history", all->len);
	FUZZ_CHECK(all->pdata[0] == b, "latest attempt not first");
	due = ldd_blocked_take_due(blocked, now, &next);
	FUZZ_CHECK(next == 0 || next > now, "next due %" G_GINT64_FORMAT " not after now %" G_GINT64_FORMAT, next,
		   now);
	for (guint i = 0; i < due->len; i++)
		FUZZ_CHECK(!((LddBlocked *)due->pdata[i])->pending, "due entry still pending");
}

static LddDaemon *new_daemon(void)
{
	g_autoptr(GError) error = NULL;
	LddConfig *config = ldd_config_load(conf_path, FALSE, &error);
	LddCgroups *cgroups;

	FUZZ_CHECK(config, "%s", error->message);
	cgroups = ldd_cgroups_new(tmp_root, &error);
	FUZZ_CHECK(cgroups, "%s", error->message);
	FUZZ_CHECK(ldd_cgroups_size(cgroups) == n_cgroup_ids, "%u cgroups in the tree", ldd_cgroups_size(cgroups));
	return ldd_daemon_new(config, NULL, cgroups, LDD_LOG_JOURNAL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(LddFlows) flows = NULL;
	g_autoptr(LddBlockedTable) blocked = NULL;
	g_autoptr(LddDaemon) daemon = NULL;
	struct leco_event e;
	struct leco_sock_rec r;
	guint64 blocked_total = 0;
	gint64 now = 1000000;
	size_t i = 0;

	/* the whole input as one record */
	(void)decode_event(data, size, &e);
	(void)decode_sock(data, size, &r);

	while (i < size) {
		uint8_t tag = data[i++];
		gboolean sock = tag & 1;
		size_t len = sock ? sizeof(struct leco_sock_rec) : sizeof(struct leco_event);

		if (tag & 0x80)
			len = (size_t)((ssize_t)len + (ssize_t)((tag >> 1) & 0x3f) - 32);
		len = MIN(len, size - i);

		if (!flows) {
			flows = ldd_flows_new(FLOWS_OPEN, FLOWS_CLOSED);
			blocked = ldd_blocked_table_new(BLOCKED_HISTORY, BLOCKED_WINDOW_MS);
		}
		if (sock) {
			if (decode_sock(data + i, len, &r) == 0) {
				gboolean created;

				r.s.cgroup_id = map_cgroup(r.s.cgroup_id);
				(void)ldd_flows_apply_socket(flows, &r, now, &created);
			}
		} else if (decode_event(data + i, len, &e) == 0) {
			/* the synthetic clock: up to ~16 s between events */
			now += (gint64)(e.ts_ns & 0xffffff);
			e.cgroup_id = map_cgroup(e.cgroup_id);
			feed_flows(flows, &e, now);
			feed_blocked(blocked, &e, now, &blocked_total);
			if (!daemon)
				daemon = new_daemon();
			ldd_daemon_handle_event(daemon, &e);
		}
		i += len;
	}
	if (flows)
		check_flows(flows);
	return 0;
}
