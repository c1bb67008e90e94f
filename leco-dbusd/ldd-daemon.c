/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon proper: kernel events in, org.leco.Overseer1 out.
 *
 * Flows and blocked attempts are kept in bounded tables; per-cgroup totals
 * are never kept here at all but read from the kernel's map on each traffic
 * tick, so a restarted daemon continues exactly where the kernel is.
 */
#define G_LOG_DOMAIN "leco-dbusd"

#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <systemd/sd-journal.h>

#include "leco-event.h"
#include "leco-overseer-generated.h"
#include "ldd-blocked.h"
#include "ldd-daemon.h"
#include "ldd-flows.h"

/* journalctl MESSAGE_ID=... finds every blocked attempt LECO reported */
#define LDD_MESSAGE_BLOCKED "4f0b1e6c9d2a4c8e9a1b7d3f5e6a2c10"
#define USER_CACHE_MAX 1024
#define EXE_CACHE_MAX 4096
#define EXE_CACHE_US (10 * G_USEC_PER_SEC)
#define LOG_BURST 20
/* How stale the cgroup names may get: the traffic tick rescans the tree at
 * most this often (a removed cgroup's row goes when a scan notices). */
#define CGROUP_REFRESH_MS 5000

static const GDBusErrorEntry ldd_error_entries[] = {
  { LDD_ERROR_NOT_FOUND, "org.leco.Overseer1.Error.NotFound" },
  { LDD_ERROR_UNAVAILABLE, "org.leco.Overseer1.Error.Unavailable" },
};

GQuark
ldd_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("ldd-error-quark", &quark, ldd_error_entries,
                                      G_N_ELEMENTS (ldd_error_entries));
  return (GQuark) quark;
}

typedef struct {
  guint64 rx, tx, blocked;
  guint connections;
  guint64 rx_rate, tx_rate;
} TrafficRow;

typedef struct {
  char *exe;
  gint64 at;
} ExeEntry;

struct _LddDaemon {
  LddConfig *config;
  LddSource *source;
  LddCgroups *cgroups;
  LddFlows *flows;
  LddBlockedTable *blocked;
  LecoOverseer1 *skeleton;
  GDBusConnection *bus;
  gboolean exported;
  GHashTable *users;          /* uid -> name */
  GHashTable *exes;           /* pid -> ExeEntry */
  GHashTable *traffic;        /* cgroup id -> TrafficRow (last sent) */
  gint64 traffic_mono;
  guint traffic_timer;
  guint blocked_timer;
  gint64 blocked_due;
  gboolean journal;
  gboolean pins_gone;
  /* log lines: at most LOG_BURST per second, the rest counted */
  gint64 log_window;
  guint log_in_window;
  guint64 log_suppressed;
  /* work since the last tick that left freed memory behind */
  guint churn;
  guint trim_idle;
  guint unflushed;            /* connection signals queued since the last flush */
  gint64 reap_logged_us;
  gboolean events_started;
};

/* Bursts (thousands of signals, a listing of every flow) free what they
 * allocated, but glibc keeps the pages: give them back once things calm. */
#define CHURN_TRIM 1000

static void
note_churn (LddDaemon *self, guint n)
{
  self->churn += n;
}

static gboolean
trim_memory (gpointer user_data)
{
  LddDaemon *self = user_data;

  self->trim_idle = 0;
  /* a big reply or a burst of signals is freed once written */
  if (self->bus)
    g_dbus_connection_flush_sync (self->bus, NULL, NULL);
  self->unflushed = 0;
  malloc_trim (0);
  self->churn = 0;
  return G_SOURCE_REMOVE;
}

/* Trim once the work at hand has freed what it allocated (its locals go at
 * its return): from an idle callback, in the same main loop iteration when
 * nothing else is pending. */
static void
schedule_trim (LddDaemon *self)
{
  if (self->churn >= CHURN_TRIM && !self->trim_idle)
    self->trim_idle = g_idle_add_full (G_PRIORITY_LOW, trim_memory, self, NULL);
}

static void
exe_entry_free (gpointer p)
{
  ExeEntry *e = p;

  g_free (e->exe);
  g_free (e);
}

static gboolean
stderr_is_journal (void)
{
  const char *js = g_getenv ("JOURNAL_STREAM");
  unsigned long long dev, ino;
  struct stat st;

  return js && sscanf (js, "%llu:%llu", &dev, &ino) == 2 && fstat (STDERR_FILENO, &st) == 0 &&
         st.st_dev == dev && st.st_ino == ino;
}

LddDaemon *
ldd_daemon_new (LddConfig *config, LddSource *source, LddCgroups *cgroups, LddLogTarget log)
{
  LddDaemon *self = g_new0 (LddDaemon, 1);

  self->config = config;
  self->source = source;
  self->cgroups = cgroups;
  self->flows = ldd_flows_new (config->flow_table_size, config->closed_history);
  self->blocked = ldd_blocked_table_new (config->blocked_history, config->coalesce_window_ms);
  self->users = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->exes = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, exe_entry_free);
  self->traffic = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->journal = log == LDD_LOG_JOURNAL || (log == LDD_LOG_AUTO && stderr_is_journal ());
  return self;
}

void
ldd_daemon_stop (LddDaemon *self)
{
  g_clear_handle_id (&self->traffic_timer, g_source_remove);
  g_clear_handle_id (&self->blocked_timer, g_source_remove);
  if (self->exported)
    {
      g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->skeleton));
      self->exported = FALSE;
    }
}

void
ldd_daemon_free (LddDaemon *self)
{
  if (!self)
    return;
  ldd_daemon_stop (self);
  g_clear_handle_id (&self->trim_idle, g_source_remove);
  g_clear_object (&self->skeleton);
  g_clear_object (&self->bus);
  g_clear_pointer (&self->flows, ldd_flows_free);
  g_clear_pointer (&self->blocked, ldd_blocked_table_free);
  g_clear_pointer (&self->source, ldd_source_free);
  g_clear_pointer (&self->cgroups, ldd_cgroups_free);
  g_clear_pointer (&self->config, ldd_config_free);
  g_clear_pointer (&self->users, g_hash_table_unref);
  g_clear_pointer (&self->exes, g_hash_table_unref);
  g_clear_pointer (&self->traffic, g_hash_table_unref);
  g_free (self);
}

/* The drain timer backs off while nothing comes, but never past 2 s: with a
 * long UpdateInterval routine events would otherwise wait that long. */
static guint
drain_max_ms (LddDaemon *self)
{
  return MIN (self->config->update_interval_ms, 2000);
}

/* ---- records ------------------------------------------------------------ */

#define PUT(b, key, fmt, ...) g_variant_builder_add ((b), "{sv}", (key), g_variant_new ((fmt), __VA_ARGS__))

/* A finished a{sv} record, flattened at once: a tree of small GVariants per
 * key costs kilobytes per record, which a listing of every flow multiplies;
 * serialised it is a few hundred bytes. */
static GVariant *
record_end (GVariantBuilder *b)
{
  GVariant *v = g_variant_builder_end (b);   /* floating, for the caller to sink */

  g_variant_get_data (v);
  return v;
}

/* ---- names ------------------------------------------------------------ */

static const char *
user_name (LddDaemon *self, guint32 uid)
{
  char buf[4096], *name;
  struct passwd pw, *res = NULL;

  name = g_hash_table_lookup (self->users, GUINT_TO_POINTER (uid));
  if (name)
    return name;
  if (g_hash_table_size (self->users) >= USER_CACHE_MAX)
    g_hash_table_remove_all (self->users);
  if (getpwuid_r (uid, &pw, buf, sizeof (buf), &res) == 0 && res && g_utf8_validate (pw.pw_name, -1, NULL))
    name = g_strdup (pw.pw_name);
  else
    name = g_strdup_printf ("%u", uid);
  g_hash_table_insert (self->users, GUINT_TO_POINTER (uid), name);
  return name;
}

/* Best effort: /proc/PID/exe is readable for our own user's processes (and
 * with CAP_SYS_PTRACE); "" otherwise or when the process is gone. */
static const char *
exe_of (LddDaemon *self, guint32 pid)
{
  gint64 now = g_get_monotonic_time ();
  ExeEntry *e;
  char path[64];
  g_autofree char *target = NULL;

  if (pid == 0)
    return "";
  e = g_hash_table_lookup (self->exes, GUINT_TO_POINTER (pid));
  if (e && now - e->at < EXE_CACHE_US)
    return e->exe;
  if (g_hash_table_size (self->exes) >= EXE_CACHE_MAX)
    g_hash_table_remove_all (self->exes);
  g_snprintf (path, sizeof (path), "/proc/%u/exe", pid);
  target = g_file_read_link (path, NULL);
  e = g_new0 (ExeEntry, 1);
  e->exe = target ? g_utf8_make_valid (target, -1) : g_strdup ("");
  e->at = now;
  g_hash_table_replace (self->exes, GUINT_TO_POINTER (pid), e);
  return e->exe;
}

static const char *
protocol_name (guint8 proto, char *buf, gsize len)
{
  return leco_protocol_name (proto, buf, len);
}

static void
add_cgroup (LddDaemon *self, GVariantBuilder *d, guint64 cgroup_id)
{
  const LddCgroupInfo *ci = ldd_cgroups_lookup (self->cgroups, cgroup_id);

  PUT (d, "cgroup-id", "t", cgroup_id);
  PUT (d, "cgroup", "s", ci ? ci->path : "");
  PUT (d, "unit", "s", ci ? ci->unit : "");
  PUT (d, "slice", "s", ci ? ci->slice : "");
  PUT (d, "app-id", "s", ci ? ci->app_id : "");
}

static void
add_tuple (GVariantBuilder *d, guint16 family, guint8 proto, guint8 dir, const guint8 *laddr, guint16 lport,
           const guint8 *raddr, guint16 rport)
{
  char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN], pb[16];
  static const guint8 zero[LECO_ADDR_LEN];

  PUT (d, "protocol", "s", protocol_name (proto, pb, sizeof (pb)));
  PUT (d, "family", "s", leco_family_name (family));
  PUT (d, "direction", "s", leco_direction_name (dir));
  PUT (d, "local-address", "s",
                         memcmp (laddr, zero, family == AF_INET ? 4 : 16) == 0 && lport == 0
                           ? "" : leco_addr_to_string (family, laddr, la, sizeof (la)));
  PUT (d, "local-port", "q", lport);
  PUT (d, "remote-address", "s",
       memcmp (raddr, zero, family == AF_INET ? 4 : 16) == 0 && rport == 0
         ? "" : leco_addr_to_string (family, raddr, ra, sizeof (ra)));
  PUT (d, "remote-port", "q", rport);
}

static void
add_process (LddDaemon *self, GVariantBuilder *d, guint32 pid, const char *comm, guint32 uid, const char *exe)
{
  PUT (d, "pid", "u", pid);
  PUT (d, "comm", "s", comm);
  PUT (d, "exe", "s", exe ? exe : "");
  PUT (d, "uid", "u", uid);
  PUT (d, "user", "s", user_name (self, uid));
}

static GVariant *
flow_dict (LddDaemon *self, const LddFlow *f)
{
  GVariantBuilder d;
  const char *state;

  g_variant_builder_init (&d, G_VARIANT_TYPE_VARDICT);
  PUT (&d, "id", "t", f->id);
  add_tuple (&d, f->family, f->protocol, f->direction, f->local_addr, f->local_port, f->remote_addr,
             f->remote_port);
  if (f->failed)
    state = "failed";
  else if (f->closed)
    state = "closed";
  else if (f->protocol == IPPROTO_TCP && f->tcp_state)
    state = leco_tcp_state_name (f->tcp_state);
  else
    state = "active";
  PUT (&d, "state", "s", state);
  add_process (self, &d, f->pid, f->comm, f->uid, f->exe);
  add_cgroup (self, &d, f->cgroup_id);
  PUT (&d, "rx-bytes", "t", f->rx_bytes);
  PUT (&d, "tx-bytes", "t", f->tx_bytes);
  PUT (&d, "started", "x", f->started_us);
  if (f->closed)
    PUT (&d, "ended", "x", f->ended_us);
  if (f->failed)
    {
      const char *name = f->err > 0 ? strerrorname_np (f->err) : NULL;

      PUT (&d, "error", "s", name ? name : "");
    }
  return record_end (&d);
}

static const char *
kernel_reason_name (const struct leco_event *e)
{
  /* the kernel programs report exactly these (matched by CO-RE enum value) */
  switch (e->reason)
    {
    case LECO_REASON_NETFILTER:
      return "NETFILTER_DROP";
    case LECO_REASON_CGROUP_BPF:
      return "BPF_CGROUP_EGRESS";
    case LECO_REASON_SECURITY:
      return "SECURITY_HOOK";
    case LECO_REASON_CONNECT:
      return e->err == EACCES ? "EACCES" : "EPERM";
    default:
      return "";
    }
}

static GVariant *
blocked_dict (LddDaemon *self, const LddBlocked *b)
{
  const struct leco_event *e = &b->first;
  GVariantBuilder d;

  g_variant_builder_init (&d, G_VARIANT_TYPE_VARDICT);
  PUT (&d, "id", "t", b->id);
  add_tuple (&d, e->family, e->protocol, e->direction, e->local_addr, e->local_port, e->remote_addr,
             e->remote_port);
  add_process (self, &d, e->pid, e->comm, e->uid, exe_of (self, e->pid));
  add_cgroup (self, &d, e->cgroup_id);
  PUT (&d, "reason", "s", leco_reason_name (e->reason));
  PUT (&d, "kernel-reason", "s", kernel_reason_name (e));
  PUT (&d, "count", "u", (guint32) MIN (b->count, G_MAXUINT32));
  PUT (&d, "started", "x", b->started_us);
  PUT (&d, "last-seen", "x", b->last_us);
  return record_end (&d);
}

/* ---- journal ------------------------------------------------------------ */

static void
log_blocked (LddDaemon *self, const LddBlocked *b)
{
  const struct leco_event *e = &b->first;
  const LddCgroupInfo *ci = ldd_cgroups_lookup (self->cgroups, e->cgroup_id);
  const char *unit = ci && ci->unit[0] ? ci->unit : ci ? ci->path : "";
  char ra[INET6_ADDRSTRLEN], pb[16];
  const char *proto = protocol_name (e->protocol, pb, sizeof (pb));
  g_autofree char *msg = NULL;

  /* a storm of distinct attempts must not become a storm of log lines */
  {
    gint64 sec = g_get_monotonic_time () / G_USEC_PER_SEC;

    if (sec != self->log_window)
      {
        self->log_window = sec;
        self->log_in_window = 0;
      }
    if (++self->log_in_window > LOG_BURST)
      {
        self->log_suppressed++;
        return;
      }
  }
  if (self->log_suppressed)
    {
      if (self->journal)
        sd_journal_send ("MESSAGE=%" G_GUINT64_FORMAT " more blocked attempts not logged (rate limit); "
                         "ListBlocked has them", self->log_suppressed,
                         "PRIORITY=%d", 5, "SYSLOG_IDENTIFIER=leco-dbusd", NULL);
      else
        fprintf (stderr, "leco-dbusd: %" G_GUINT64_FORMAT " more blocked attempts not logged (rate limit); "
                 "ListBlocked has them\n", self->log_suppressed);
      self->log_suppressed = 0;
    }
  leco_addr_to_string (e->family, e->remote_addr, ra, sizeof (ra));
  msg = g_strdup_printf ("blocked %s %s %s%s%s:%u by %s (%s, pid %u, unit \"%s\", %" G_GUINT64_FORMAT " attempts)",
                         leco_direction_name (e->direction), proto, e->family == AF_INET6 ? "[" : "", ra,
                         e->family == AF_INET6 ? "]" : "",
                         e->direction == LECO_DIR_IN ? e->local_port : e->remote_port,
                         leco_reason_name (e->reason), e->comm[0] ? e->comm : "-", e->pid, unit, b->count);
  if (!self->journal)
    {
      fprintf (stderr, "leco-dbusd: %s\n", msg);
      return;
    }
  sd_journal_send ("MESSAGE=%s", msg,
                   "MESSAGE_ID=" LDD_MESSAGE_BLOCKED,
                   "PRIORITY=%d", 5,
                   "SYSLOG_IDENTIFIER=leco-dbusd",
                   "LECO_UNIT=%s", unit,
                   "LECO_CGROUP=%s", ci ? ci->path : "",
                   "LECO_APP_ID=%s", ci ? ci->app_id : "",
                   "LECO_PID=%u", e->pid,
                   "LECO_COMM=%s", e->comm,
                   "LECO_UID=%u", e->uid,
                   "LECO_PROTOCOL=%s", proto,
                   "LECO_DIRECTION=%s", leco_direction_name (e->direction),
                   "LECO_REMOTE=%s", ra,
                   "LECO_REMOTE_PORT=%u", e->remote_port,
                   "LECO_LOCAL_PORT=%u", e->local_port,
                   "LECO_REASON=%s", leco_reason_name (e->reason),
                   "LECO_KERNEL_REASON=%s", kernel_reason_name (e),
                   "LECO_COUNT=%" G_GUINT64_FORMAT, b->count,
                   NULL);
}

/* ---- events ------------------------------------------------------------- */

static gboolean
ignored (LddDaemon *self, const struct leco_event *e)
{
  const LddCgroupInfo *ci;
  LddIgnoreQuery q = {
    .comm = e->comm, .family = e->family, .remote_addr = e->remote_addr,
    .remote_port = e->remote_port, .local_port = e->local_port,
  };

  if (!self->config->ignore || self->config->ignore->len == 0)
    return FALSE;
  ci = ldd_cgroups_lookup (self->cgroups, e->cgroup_id);
  q.unit = ci ? ci->unit : NULL;
  return ldd_config_ignores (self->config, &q);
}

static void emit_due_blocked (LddDaemon *self);

static gboolean
on_blocked_timer (gpointer user_data)
{
  LddDaemon *self = user_data;

  self->blocked_timer = 0;
  self->blocked_due = 0;
  emit_due_blocked (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_blocked (LddDaemon *self, gint64 due_mono)
{
  gint64 now = g_get_monotonic_time ();

  if (due_mono == 0 || (self->blocked_timer && self->blocked_due <= due_mono))
    return;
  g_clear_handle_id (&self->blocked_timer, g_source_remove);
  self->blocked_due = due_mono;
  self->blocked_timer = g_timeout_add (due_mono > now ? (due_mono - now + 999) / 1000 : 0,
                                       on_blocked_timer, self);
}

static void
emit_blocked (LddDaemon *self, const LddBlocked *b)
{
  log_blocked (self, b);
  if (self->exported)
    leco_overseer1_emit_connection_blocked (self->skeleton, blocked_dict (self, b));
}

static void
emit_due_blocked (LddDaemon *self)
{
  gint64 next = 0;
  g_autoptr (GPtrArray) due = ldd_blocked_take_due (self->blocked, g_get_monotonic_time (), &next);

  for (guint i = 0; i < due->len; i++)
    emit_blocked (self, due->pdata[i]);
  schedule_blocked (self, next);
}

/*
 * Connection signals come one per event, thousands a second under churn,
 * and GDBus queues each message for its worker thread without a bound: when
 * the bus reads slower than we emit, the queue is what the daemon's memory
 * grows by.  Every FLUSH_EVERY signals, wait until the queue is written:
 * the kernel's ring buffer is the one place a backlog may wait (and
 * overflow, counted in EventsLost), not the daemon's heap.
 */
#define FLUSH_EVERY 256

static void
connection_signal_sent (LddDaemon *self)
{
  g_autoptr (GError) error = NULL;

  if (++self->unflushed < FLUSH_EVERY || !self->bus)
    return;
  self->unflushed = 0;
  if (!g_dbus_connection_flush_sync (self->bus, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    g_debug ("flushing the bus connection: %s", error->message);
}

static void
emit_opened (LddDaemon *self, LddFlow *f)
{
  leco_overseer1_emit_connection_opened (self->skeleton, flow_dict (self, f));
  connection_signal_sent (self);
}

static void
emit_closed (LddDaemon *self, LddFlow *f)
{
  leco_overseer1_emit_connection_closed (self->skeleton, flow_dict (self, f));
  connection_signal_sent (self);
}

/* A flow new to the table: name its executable, and say so when asked. */
static void
flow_created (LddDaemon *self, LddFlow *f, gboolean announce)
{
  f->exe = g_ref_string_new_intern (exe_of (self, f->pid));
  if (announce && self->exported)
    emit_opened (self, f);
}

void
ldd_daemon_handle_event (LddDaemon *self, const struct leco_event *e)
{
  gint64 now = g_get_monotonic_time ();

  note_churn (self, 1);
  switch (e->type)
    {
    case LECO_EV_FLOW_OPEN:
      {
        gboolean created;
        LddFlow *f;

        if (ignored (self, e))
          return;
        f = ldd_flows_open (self->flows, e, now, &created);
        if (created)
          flow_created (self, f, TRUE);
        else if (e->protocol == IPPROTO_TCP)
          /* a connect found waiting (SYN_SENT) by the socket walk, now
           * established: its local port and state */
          ldd_flows_state (self->flows, e);
        break;
      }
    case LECO_EV_FLOW_STATE:
      ldd_flows_state (self->flows, e);
      break;
    case LECO_EV_FLOW_CLOSE:
    case LECO_EV_FLOW_FAIL:
      {
        g_autoptr (GPtrArray) closed = NULL;

        if (ignored (self, e))
          return;
        if (e->type == LECO_EV_FLOW_FAIL && !ldd_flows_knows_socket (self->flows, e->cookie))
          {
            /* a connect that failed before anyone announced it (the kernel
             * announces outbound TCP once established): opened, then
             * closed, so that every ConnectionClosed has its Opened */
            struct leco_event o = *e;
            gboolean created;
            LddFlow *f;

            o.type = LECO_EV_FLOW_OPEN;
            o.state = 2; /* TCP_SYN_SENT */
            f = ldd_flows_open (self->flows, &o, now, &created);
            if (created)
              flow_created (self, f, TRUE);
          }
        closed = ldd_flows_close (self->flows, e, now);
        for (guint i = 0; i < closed->len && self->exported; i++)
          emit_closed (self, closed->pdata[i]);
        break;
      }
    case LECO_EV_BLOCKED:
    case LECO_EV_DENIED:
      {
        gboolean emit_now;
        LddBlocked *b;

        if (ignored (self, e))
          return;
        b = ldd_blocked_add (self->blocked, e, now, &emit_now);
        if (emit_now)
          emit_blocked (self, b);
        else
          schedule_blocked (self, b->emitted_mono + (gint64) self->config->coalesce_window_ms * 1000);
        break;
      }
    default:
      break;
    }
}

static void
on_event (const struct leco_event *e, gpointer user_data)
{
  ldd_daemon_handle_event (user_data, e);
}

/* Flows of an unconnected socket found alive at start: one per destination
 * the kernel announced for it (the socket itself has no peer). */
static void
open_dests (LddDaemon *self, const struct leco_sock_rec *r, GArray *dests, gint64 now, gboolean announce)
{
  for (guint i = 0; i < dests->len; i++)
    {
      const struct leco_dest_key *k = &g_array_index (dests, struct leco_dest_key, i);
      struct leco_event e = {
        .type = LECO_EV_FLOW_OPEN, .family = k->family, .protocol = r->protocol, .direction = LECO_DIR_OUT,
        .pid = r->s.pid, .uid = r->s.uid, .cookie = r->s.cookie, .cgroup_id = r->s.cgroup_id,
        .local_port = r->local_port, .remote_port = k->remote_port, .netns = r->netns,
      };
      gboolean created;
      LddFlow *f;

      memcpy (e.local_addr, r->local_addr, sizeof (e.local_addr));
      memcpy (e.remote_addr, k->remote_addr, sizeof (e.remote_addr));
      memcpy (e.comm, r->s.comm, sizeof (e.comm));
      f = ldd_flows_open (self->flows, &e, now, &created);
      if (created)
        flow_created (self, f, announce);
    }
}

/* Bytes and calls of live sockets, per cgroup: the kernel folds a socket's
 * counters into its cgroup's only when it closes. */
typedef struct {
  guint64 tx, rx, txc, rxc;
} LiveSum;

/* Flows whose close the kernel reported while we were not reading fast
 * enough (EventsLost): the ring buffer had no room for the event, so the
 * flow would stay "open" here for good, and a table full of them evicts
 * live ones.  below_id: the next flow id before the kernel's live sockets
 * were read; alive: the cookies of those still announced and not closed.
 * A socket that closed before that read has its close event in the ring
 * buffer ahead of anything newer: drain first, so that those closes carry
 * their exact counts.  Under a backlog some may still wait behind it; the
 * flow table remembers reaped sockets and their late close closes nothing
 * twice (ldd_flows_close). */
/* Only a flow whose socket the walks would have met can be found gone
 * (on kernels that refuse the storage map iterator, the fallback walks see
 * less: ldd_source_walk_sees). */
static LddWalkSees
walk_sees (const LddFlow *f, gpointer user_data)
{
  LddDaemon *self = user_data;

  return ldd_source_walk_sees (self->source, f->netns, f->protocol);
}

static void
reap_lost_flows (LddDaemon *self, GHashTable *alive, guint64 below_id)
{
  g_autoptr (GPtrArray) closed = NULL;

  ldd_source_drain (self->source);
  closed = ldd_flows_reap (self->flows, alive, below_id, g_get_monotonic_time (), walk_sees, self);
  if (closed->len == 0)
    return;
  note_churn (self, closed->len);
  for (guint i = 0; i < closed->len && self->exported; i++)
    emit_closed (self, closed->pdata[i]);
  if (g_get_monotonic_time () - self->reap_logged_us >= 10 * G_USEC_PER_SEC)
    {
      self->reap_logged_us = g_get_monotonic_time ();
      g_message ("%u flows closed whose sockets are gone but whose close event did not come (EventsLost, "
                 "or a backlog), %" G_GUINT64_FORMAT " so far", closed->len, ldd_flows_reaped (self->flows));
    }
}

/* Live byte counts and sockets opened before we started, from the kernel;
 * with live, also the per-cgroup sums of the sockets still open.  Flows of
 * sockets the kernel no longer has are closed (reap_lost_flows). */
static void
refresh_sockets_full (LddDaemon *self, gboolean announce, GHashTable *live)
{
  g_autofree struct leco_sock_rec *socks = NULL;
  gsize nsocks = 0;
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) dests = NULL;
  g_autoptr (GHashTable) alive = g_hash_table_new (g_int64_hash, g_int64_equal);
  guint64 below_id = ldd_flows_next_id (self->flows);
  gint64 now = g_get_monotonic_time ();
  static const guint8 zero[LECO_ADDR_LEN];

  if (!ldd_source_read_sockets (self->source, &socks, &nsocks, &error))
    {
      g_debug ("live sockets unavailable: %s", error->message);
      return;
    }
  for (gsize i = 0; i < nsocks; i++)
    {
      const struct leco_sock_rec *r = &socks[i];
      gboolean created;
      LddFlow *f;

      if (ldd_sock_rec_is_flow (r))
        g_hash_table_add (alive, (gpointer) &r->s.cookie);

      if (live && !(r->s.flags & (LECO_F_COUNTED | LECO_F_CGROUP_LIVE)))
        {
          LiveSum *sum = g_hash_table_lookup (live, &r->s.cgroup_id);

          if (!sum)
            {
              sum = g_new0 (LiveSum, 1);
              g_hash_table_insert (live, g_memdup2 (&r->s.cgroup_id, sizeof (guint64)), sum);
            }
          sum->tx += r->s.tx_bytes;
          sum->rx += r->s.rx_bytes;
          sum->txc += r->s.tx_calls;
          sum->rxc += r->s.rx_calls;
        }
      if (r->s.flags & LECO_F_COUNTED)
        continue; /* closed, only waiting to be freed */
      if (!ldd_flows_has_socket (self->flows, r->s.cookie))
        {
          /* the [Ignore] rules apply to what we find as to what we are told */
          struct leco_event probe = {
            .family = r->family, .protocol = r->protocol, .cookie = r->s.cookie,
            .cgroup_id = r->s.cgroup_id, .local_port = r->local_port, .remote_port = r->remote_port,
          };

          memcpy (probe.remote_addr, r->remote_addr, sizeof (probe.remote_addr));
          memcpy (probe.comm, r->s.comm, sizeof (probe.comm));
          if (ignored (self, &probe))
            continue;
        }
      if (!ldd_flows_has_socket (self->flows, r->s.cookie) && (r->s.flags & LECO_F_ANNOUNCED) &&
          r->remote_port == 0 && memcmp (r->remote_addr, zero, sizeof (zero)) == 0)
        {
          GArray *mine;

          if (!dests)
            dests = ldd_source_read_dests (self->source);
          mine = g_hash_table_lookup (dests, &r->s.cookie);
          if (mine)
            open_dests (self, r, mine, now, announce);
        }
      f = ldd_flows_apply_socket (self->flows, r, now, &created);
      if (f && created)
        flow_created (self, f, announce);
    }
  reap_lost_flows (self, alive, below_id);
  /* a walk of many sockets (its records, the cookie set) leaves the heap
   * grown by megabytes that glibc keeps: count it as churn */
  note_churn (self, nsocks);
}

static void
refresh_sockets (LddDaemon *self, gboolean announce)
{
  refresh_sockets_full (self, announce, NULL);
}

/* The kernel's per-cgroup totals: closed sockets' (the map) plus the live
 * ones'.  The map is read first: a socket closing in between is missed for
 * one tick rather than counted twice. */
static gboolean
read_totals (LddDaemon *self, GArray *totals, GError **error)
{
  g_autoptr (GHashTable) live = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  GHashTableIter it;
  gpointer key, value;

  if (!ldd_source_read_cgroups (self->source, totals, error))
    return FALSE;
  refresh_sockets_full (self, TRUE, live);
  for (guint i = 0; i < totals->len; i++)
    {
      LddCgroupTotals *t = &g_array_index (totals, LddCgroupTotals, i);
      LiveSum *sum = g_hash_table_lookup (live, &t->cgroup_id);

      if (!sum)
        continue;
      t->s.tx_bytes += sum->tx;
      t->s.rx_bytes += sum->rx;
      t->s.tx_calls += sum->txc;
      t->s.rx_calls += sum->rxc;
      g_hash_table_remove (live, &t->cgroup_id);
    }
  /* cgroups whose sockets have not closed, announced nothing, met no block */
  g_hash_table_iter_init (&it, live);
  while (g_hash_table_iter_next (&it, &key, &value))
    {
      LiveSum *sum = value;
      LddCgroupTotals t = { .cgroup_id = *(guint64 *) key };

      if (!sum->tx && !sum->rx)
        continue;
      t.s.tx_bytes = sum->tx;
      t.s.rx_bytes = sum->rx;
      t.s.tx_calls = sum->txc;
      t.s.rx_calls = sum->rxc;
      g_array_append_val (totals, t);
    }
  return TRUE;
}

/* ---- traffic ------------------------------------------------------------ */

/* A removed cgroup keeps its counters in the kernel's map until the LRU
 * needs the room (16,384 cgroups): without a name, of no use to anyone, and
 * with a churn of transient scopes (every app launch, every systemd-run)
 * they would pile up in every ListTraffic.  Its row goes once the cgroup
 * scan notices the removal, unless a socket of it is still open. */
static gboolean
gone (LddDaemon *self, guint64 cgroup_id, guint connections)
{
  return connections == 0 && ldd_cgroups_is_gone (self->cgroups, cgroup_id);
}

static GVariant *
traffic_dict (LddDaemon *self, guint64 id, const TrafficRow *row)
{
  GVariantBuilder d;

  g_variant_builder_init (&d, G_VARIANT_TYPE_VARDICT);
  add_cgroup (self, &d, id);
  PUT (&d, "rx-bytes", "t", row->rx);
  PUT (&d, "tx-bytes", "t", row->tx);
  PUT (&d, "rx-rate", "t", row->rx_rate);
  PUT (&d, "tx-rate", "t", row->tx_rate);
  PUT (&d, "connections", "u", row->connections);
  PUT (&d, "blocked", "t", row->blocked);
  return record_end (&d);
}

static void
update_properties (LddDaemon *self)
{
  guint64 lost = ldd_source_events_lost (self->source);

  if (leco_overseer1_get_events_lost (self->skeleton) != lost)
    leco_overseer1_set_events_lost (self->skeleton, lost);
  guint64 blocked = ldd_source_blocked_total (self->source);

  /* the kernel's count: since the hooks were loaded, across daemon restarts */
  if (leco_overseer1_get_blocked_total (self->skeleton) != blocked)
    leco_overseer1_set_blocked_total (self->skeleton, blocked);
  if (leco_overseer1_get_flows_evicted (self->skeleton) != ldd_flows_evicted (self->flows))
    leco_overseer1_set_flows_evicted (self->skeleton, ldd_flows_evicted (self->flows));
}

guint
ldd_daemon_traffic_tick (LddDaemon *self)
{
  g_autoptr (GArray) totals = g_array_new (FALSE, FALSE, sizeof (LddCgroupTotals));
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  GVariantBuilder rows;
  gint64 now = g_get_monotonic_time ();
  gint64 dt = self->traffic_mono ? now - self->traffic_mono : 0;
  guint changed = 0;

  ldd_source_drain (self->source);
  if (self->exported)
    update_properties (self);
  ldd_cgroups_refresh (self->cgroups, CGROUP_REFRESH_MS);
  if (!read_totals (self, totals, &error))
    {
      g_warning ("%s, ignoring", error->message);
      return 0;
    }
  self->traffic_mono = now;
  g_variant_builder_init (&rows, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < totals->len; i++)
    {
      const LddCgroupTotals *t = &g_array_index (totals, LddCgroupTotals, i);
      TrafficRow *old = g_hash_table_lookup (self->traffic, &t->cgroup_id);
      TrafficRow row = {
        .rx = t->s.rx_bytes, .tx = t->s.tx_bytes, .blocked = t->s.blocked,
        .connections = ldd_flows_open_in_cgroup (self->flows, t->cgroup_id),
      };

      if (gone (self, t->cgroup_id, row.connections))
        continue;
      g_hash_table_add (seen, (gpointer) &t->cgroup_id);
      /* a cgroup new since the last tick moved all its bytes within it */
      if (dt > 0)
        {
          guint64 orx = old ? old->rx : 0, otx = old ? old->tx : 0;

          row.rx_rate = row.rx >= orx ? (row.rx - orx) * G_USEC_PER_SEC / dt : 0;
          row.tx_rate = row.tx >= otx ? (row.tx - otx) * G_USEC_PER_SEC / dt : 0;
        }
      if (old && old->rx == row.rx && old->tx == row.tx && old->blocked == row.blocked &&
          old->connections == row.connections && old->rx_rate == row.rx_rate && old->tx_rate == row.tx_rate)
        continue;
      g_variant_builder_add_value (&rows, traffic_dict (self, t->cgroup_id, &row));
      changed++;
      if (!old)
        {
          guint64 *key = g_memdup2 (&t->cgroup_id, sizeof (guint64));

          old = g_new0 (TrafficRow, 1);
          g_hash_table_insert (self->traffic, key, old);
        }
      *old = row;
    }
  /* rows sent before that ListTraffic no longer has (the cgroup is gone,
   * or the kernel's LRU map let go of it): say so, or clients that follow
   * TrafficUpdated would keep them */
  {
    GHashTableIter it;
    gpointer key;

    g_hash_table_iter_init (&it, self->traffic);
    while (g_hash_table_iter_next (&it, &key, NULL))
      if (!g_hash_table_contains (seen, key))
        {
          GVariantBuilder d;

          g_variant_builder_init (&d, G_VARIANT_TYPE_VARDICT);
          PUT (&d, "cgroup-id", "t", *(guint64 *) key);
          PUT (&d, "removed", "b", TRUE);
          g_variant_builder_add_value (&rows, record_end (&d));
          changed++;
          g_hash_table_iter_remove (&it);
        }
  }
  if (changed && self->exported)
    leco_overseer1_emit_traffic_updated (self->skeleton, g_variant_builder_end (&rows));
  else
    g_variant_builder_clear (&rows);
  schedule_trim (self);
  return changed;
}

static void on_event (const struct leco_event *e, gpointer user_data);
static void publish_meta (LddDaemon *self);

/* leco-ebpf-load replaced (or removed) the pins under us: follow it.  The
 * old maps stay readable but no program writes them any more. */
static void
follow_pins (LddDaemon *self)
{
  const char *dir = ldd_source_get_pin_dir (self->source);
  g_autoptr (GError) error = NULL;
  LddSource *fresh;

  if (!dir || !ldd_source_pins_changed (self->source))
    return;
  fresh = ldd_source_new_from_pins (dir, &error);
  if (!fresh)
    {
      if (!self->pins_gone)
        g_warning ("the kernel side in %s went away (%s); waiting for leco-ebpf-load", dir, error->message);
      self->pins_gone = TRUE;
      return;
    }
  g_message ("the kernel side in %s was replaced (%s -> %s), following it", dir,
             ldd_source_get_meta (self->source)->build_id, ldd_source_get_meta (fresh)->build_id);
  ldd_source_drain (self->source);
  ldd_source_free (self->source);
  self->source = fresh;
  self->pins_gone = FALSE;
  /* counters restart with the new maps: rates must not go negative */
  g_hash_table_remove_all (self->traffic);
  self->traffic_mono = 0;
  ldd_source_start (self->source, self->config->drain_interval_ms, drain_max_ms (self),
                    on_event, self);
  refresh_sockets (self, FALSE);
  publish_meta (self);
}

static gboolean
on_traffic_timer (gpointer user_data)
{
  follow_pins (user_data);
  ldd_daemon_traffic_tick (user_data);
  return G_SOURCE_CONTINUE;
}

/* ---- methods ------------------------------------------------------------ */

typedef struct {
  LddDaemon *self;
  GVariantDict *filter;
  GVariantBuilder *out;
} ListCtx;

static gboolean
filter_str (GVariantDict *f, const char *key, const char *value)
{
  const char *want;

  return !g_variant_dict_lookup (f, key, "&s", &want) || g_str_equal (want, value);
}

static void
list_one (gpointer data, gpointer user_data)
{
  const LddFlow *flow = data;
  ListCtx *c = user_data;
  const LddCgroupInfo *ci;
  char pb[16];
  guint64 t;
  guint32 u;

  if (g_variant_dict_lookup (c->filter, "cgroup-id", "t", &t) && t != flow->cgroup_id)
    return;
  if (g_variant_dict_lookup (c->filter, "pid", "u", &u) && u != flow->pid)
    return;
  if (g_variant_dict_lookup (c->filter, "uid", "u", &u) && u != flow->uid)
    return;
  if (!filter_str (c->filter, "protocol", protocol_name (flow->protocol, pb, sizeof (pb))) ||
      !filter_str (c->filter, "direction", leco_direction_name (flow->direction)))
    return;
  if (g_variant_dict_contains (c->filter, "unit"))
    {
      ci = ldd_cgroups_lookup (c->self->cgroups, flow->cgroup_id);
      if (!filter_str (c->filter, "unit", ci ? ci->unit : ""))
        return;
    }
  g_variant_builder_add_value (c->out, flow_dict (c->self, flow));
}

gboolean
ldd_daemon_check_filter (GVariant *filter, GError **error)
{
  static const struct { const char *key, *type; } known[] = {
    { "unit", "s" }, { "cgroup-id", "t" }, { "pid", "u" }, { "uid", "u" },
    { "protocol", "s" }, { "direction", "s" },
  };
  GVariantIter it;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&it, filter);
  while (g_variant_iter_loop (&it, "{&sv}", &key, &value))
    {
      gboolean found = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (known); i++)
        {
          if (!g_str_equal (key, known[i].key))
            continue;
          found = TRUE;
          if (!g_variant_is_of_type (value, G_VARIANT_TYPE (known[i].type)))
            {
              g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                           "filter \"%s\" must be of type '%s', not '%s'", key, known[i].type,
                           g_variant_get_type_string (value));
              g_variant_unref (value);
              return FALSE;
            }
        }
      if (!found)
        {
          g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                       "unknown filter \"%s\" (known: unit, cgroup-id, pid, uid, protocol, direction)", key);
          g_variant_unref (value);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
handle_list_connections (LecoOverseer1 *object, GDBusMethodInvocation *inv, GVariant *filter, LddDaemon *self)
{
  g_autoptr (GError) error = NULL;
  GVariantBuilder out;
  GVariantDict f;
  ListCtx c = { self, &f, &out };

  if (!ldd_daemon_check_filter (filter, &error))
    {
      g_dbus_method_invocation_return_gerror (inv, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  ldd_source_drain (self->source);
  refresh_sockets (self, TRUE);
  g_variant_dict_init (&f, filter);
  g_variant_builder_init (&out, G_VARIANT_TYPE ("aa{sv}"));
  ldd_flows_foreach_open (self->flows, list_one, &c);
  g_variant_dict_clear (&f);
  note_churn (self, ldd_flows_open_count (self->flows));
  schedule_trim (self);
  leco_overseer1_complete_list_connections (object, inv, g_variant_builder_end (&out));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_get_connection (LecoOverseer1 *object, GDBusMethodInvocation *inv, guint64 id, LddDaemon *self)
{
  LddFlow *f;

  ldd_source_drain (self->source);
  f = ldd_flows_lookup (self->flows, id);
  if (f && !f->closed)
    {
      /* fresh counters; events handled meanwhile may close and, with a
       * short ClosedHistory, free it: look it up again */
      refresh_sockets (self, TRUE);
      f = ldd_flows_lookup (self->flows, id);
    }
  if (!f)
    {
      g_dbus_method_invocation_return_error (inv, LDD_ERROR, LDD_ERROR_NOT_FOUND,
                                             "no connection with id %" G_GUINT64_FORMAT
                                             " (closed too long ago, or never)", id);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  leco_overseer1_complete_get_connection (object, inv, flow_dict (self, f));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_list_blocked (LecoOverseer1 *object, GDBusMethodInvocation *inv, guint max, LddDaemon *self)
{
  g_autoptr (GPtrArray) list = NULL;
  GVariantBuilder out;

  ldd_source_drain (self->source);
  list = ldd_blocked_list (self->blocked, max);
  g_variant_builder_init (&out, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < list->len; i++)
    g_variant_builder_add_value (&out, blocked_dict (self, list->pdata[i]));
  leco_overseer1_complete_list_blocked (object, inv, g_variant_builder_end (&out));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_list_traffic (LecoOverseer1 *object, GDBusMethodInvocation *inv, LddDaemon *self)
{
  g_autoptr (GArray) totals = g_array_new (FALSE, FALSE, sizeof (LddCgroupTotals));
  g_autoptr (GError) error = NULL;
  GVariantBuilder out;

  ldd_source_drain (self->source);
  if (!read_totals (self, totals, &error))
    {
      g_dbus_method_invocation_return_error (inv, LDD_ERROR, LDD_ERROR_UNAVAILABLE, "%s", error->message);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_variant_builder_init (&out, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < totals->len; i++)
    {
      const LddCgroupTotals *t = &g_array_index (totals, LddCgroupTotals, i);
      const TrafficRow *last = g_hash_table_lookup (self->traffic, &t->cgroup_id);
      TrafficRow row = {
        .rx = t->s.rx_bytes, .tx = t->s.tx_bytes, .blocked = t->s.blocked,
        .connections = ldd_flows_open_in_cgroup (self->flows, t->cgroup_id),
        .rx_rate = last ? last->rx_rate : 0, .tx_rate = last ? last->tx_rate : 0,
      };

      if (gone (self, t->cgroup_id, row.connections))
        continue;
      g_variant_builder_add_value (&out, traffic_dict (self, t->cgroup_id, &row));
    }
  leco_overseer1_complete_list_traffic (object, inv, g_variant_builder_end (&out));
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- lifecycle ---------------------------------------------------------- */

/* Why hook I of META is not attached, in words. */
static char *
hook_unavailable_reason (const struct leco_meta *meta, int i)
{
  int err = meta->hook_errno[i];
  const char *name = err > 0 ? strerrorname_np (err) : NULL;

  switch (meta->hook_status[i])
    {
    case LECO_HS_MISSING:
      return g_strdup ("missing: not in this kernel (leco-ebpf-load --check tells why)");
    case LECO_HS_LEFT_OUT:
      return g_strdup ("left out (leco-ebpf-load --without)");
    case LECO_HS_REFUSED_LOAD:
    case LECO_HS_REFUSED_ATTACH:
      return g_strdup_printf ("refused by the kernel%s: %s (%s)%s%s",
                              meta->hook_status[i] == LECO_HS_REFUSED_ATTACH ? " at attach" : "",
                              name ? name : "?", g_strerror (err),
                              err == EPERM && meta->lockdown >= LECO_LOCKDOWN_INTEGRITY ? ", lockdown=" : "",
                              err == EPERM && meta->lockdown >= LECO_LOCKDOWN_INTEGRITY
                              ? leco_lockdown_name (meta->lockdown) : "");
    default:
      return g_strdup ("not attached");
    }
}

/* KernelHooks, UnavailableHooks, LostFeatures and Since, from what the
 * loader recorded; what is lost is said once in the log. */
static void
publish_meta (LddDaemon *self)
{
  const struct leco_meta *meta = ldd_source_get_meta (self->source);
  g_autoptr (GPtrArray) hooks = g_ptr_array_new ();
  g_autoptr (GPtrArray) lost = g_ptr_array_new ();
  g_autoptr (GString) unavailable_log = g_string_new (NULL);
  const struct leco_loss *losses[16];
  GVariantBuilder unavailable;
  struct timespec boot;
  gint64 since;
  gsize n;

  g_variant_builder_init (&unavailable, G_VARIANT_TYPE ("a{ss}"));
  for (int i = 0; i < LECO_HOOK_MAX; i++)
    if (meta->hooks & (1ULL << i))
      g_ptr_array_add (hooks, (gpointer) leco_hook_name (i));
    else
      {
        g_autofree char *why = hook_unavailable_reason (meta, i);

        g_variant_builder_add (&unavailable, "{ss}", leco_hook_name (i), why);
        g_string_append_printf (unavailable_log, "%s%s (%s)", unavailable_log->len ? ", " : "",
                                leco_hook_name (i), why);
      }
  g_ptr_array_add (hooks, NULL);
  n = leco_lost_features (meta->hooks, losses, G_N_ELEMENTS (losses));
  for (gsize k = 0; k < n && k < G_N_ELEMENTS (losses); k++)
    g_ptr_array_add (lost, (gpointer) losses[k]->what);
  g_ptr_array_add (lost, NULL);
  clock_gettime (CLOCK_BOOTTIME, &boot);
  since = g_get_real_time () - ((gint64) boot.tv_sec * G_USEC_PER_SEC + boot.tv_nsec / 1000 -
                                (gint64) (meta->load_time_ns / 1000));
  g_object_set (self->skeleton,
                "kernel-hooks", (const char *const *) hooks->pdata,
                "unavailable-hooks", g_variant_builder_end (&unavailable),
                "lost-features", (const char *const *) lost->pdata,
                "since", since,
                NULL);
  if (unavailable_log->len)
    g_message ("kernel hooks not attached: %s; kernel lockdown: %s", unavailable_log->str,
               leco_lockdown_name (meta->lockdown));
  for (gsize k = 0; k < n && k < G_N_ELEMENTS (losses); k++)
    g_message ("this kernel's hooks cannot show %s", losses[k]->what);
}

gboolean
ldd_daemon_start (LddDaemon *self, GDBusConnection *bus, GError **error)
{
  self->skeleton = leco_overseer1_skeleton_new ();
  g_object_set (self->skeleton,
                "version", LECO_VERSION,
                "update-interval", self->config->update_interval_ms,
                NULL);
  publish_meta (self);
  g_signal_connect (self->skeleton, "handle-list-connections", G_CALLBACK (handle_list_connections), self);
  g_signal_connect (self->skeleton, "handle-get-connection", G_CALLBACK (handle_get_connection), self);
  g_signal_connect (self->skeleton, "handle-list-blocked", G_CALLBACK (handle_list_blocked), self);
  g_signal_connect (self->skeleton, "handle-list-traffic", G_CALLBACK (handle_list_traffic), self);

  /* what was open before we started, without announcing it again */
  refresh_sockets (self, FALSE);
  if (bus)
    {
      self->bus = g_object_ref (bus);
      if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->skeleton), bus,
                                             LDD_OBJECT_PATH, error))
        return FALSE;
      self->exported = TRUE;
    }
  update_properties (self);
  return TRUE;
}

void
ldd_daemon_start_events (LddDaemon *self)
{
  if (self->events_started)
    return;
  self->events_started = TRUE;
  ldd_source_start (self->source, self->config->drain_interval_ms, drain_max_ms (self),
                    on_event, self);
  ldd_daemon_traffic_tick (self);
  self->traffic_timer = g_timeout_add (self->config->update_interval_ms, on_traffic_timer, self);
}
