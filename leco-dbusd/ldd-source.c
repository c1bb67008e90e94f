/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "leco-source"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <systemd/sd-daemon.h>

#include "leco-event.h"
#include "leco-walk.h"
#include "ldd-source.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define SUFFIX "_v" STR (LECO_ABI_VERSION)

G_DEFINE_QUARK (ldd-source-error-quark, ldd_source_error)

struct _LddSource {
  int events_fd, meta_fd, stats_fd, cgroups_fd, dests_fd;
  int walk_link_fd[LECO_HOOK_MAX]; /* fd store: the socket walks' iterator links */
  char *pin_dir;
  ino_t events_ino;           /* pins: which events map we opened */
  guint32 netns;              /* our network namespace (the tcp/udp walks see its sockets) */
  struct leco_meta meta;
  struct ring_buffer *rb;
  guint epoll_watch;
  guint drain_timer;
  guint drain_ms, max_ms, cur_ms;
  LddEventFunc func;
  gpointer user_data;
  guint64 malformed;
  int ncpus;
  guint budget;               /* records the current drain may still take */
  gboolean backlog;           /* the last drain stopped at its budget */
  guint more;                 /* idle source continuing a cut drain */
};

static const struct {
  const char *name;
  enum bpf_map_type type;
  guint key_size, value_size;
  gsize fd_offset;
} maps[] = {
  { "events", BPF_MAP_TYPE_RINGBUF, 0, 0, G_STRUCT_OFFSET (LddSource, events_fd) },
  { "meta", BPF_MAP_TYPE_ARRAY, 4, sizeof (struct leco_meta), G_STRUCT_OFFSET (LddSource, meta_fd) },
  { "stats", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, G_STRUCT_OFFSET (LddSource, stats_fd) },
  { "cgroup_stats", BPF_MAP_TYPE_LRU_PERCPU_HASH, 8, sizeof (struct leco_cgroup_stats),
    G_STRUCT_OFFSET (LddSource, cgroups_fd) },
  { "dests", BPF_MAP_TYPE_LRU_HASH, sizeof (struct leco_dest_key), 8, G_STRUCT_OFFSET (LddSource, dests_fd) },
};

#define MAP_FD(self, i) (*(int *) ((char *) (self) + maps[i].fd_offset))

static LddSource *
source_alloc (void)
{
  LddSource *self = g_new0 (LddSource, 1);

  self->events_fd = self->meta_fd = self->stats_fd = self->cgroups_fd = self->dests_fd = -1;
  for (guint i = 0; i < G_N_ELEMENTS (self->walk_link_fd); i++)
    self->walk_link_fd[i] = -1;
  self->ncpus = libbpf_num_possible_cpus ();
  {
    struct stat st;

    self->netns = stat ("/proc/self/ns/net", &st) == 0 ? (guint32) st.st_ino : 0;
  }
  return self;
}

/* Is FD the map we expect?  Pins are trusted no more than their mode: a
 * wrong type or layout (another version, another program) is an error. */
static gboolean
check_map (int fd, guint i, GError **error)
{
  struct bpf_map_info info = {};
  __u32 len = sizeof (info);

  if (bpf_obj_get_info_by_fd (fd, &info, &len) < 0)
    {
      g_set_error (error, LDD_SOURCE_ERROR, LDD_SOURCE_ERROR_BAD_MAP,
                   "\"%s%s\" is not a BPF map: %s", maps[i].name, SUFFIX, g_strerror (errno));
      return FALSE;
    }
  if (info.type != maps[i].type || info.key_size != maps[i].key_size ||
      info.value_size != maps[i].value_size)
    {
      g_set_error (error, LDD_SOURCE_ERROR, LDD_SOURCE_ERROR_BAD_MAP,
                   "map \"%s%s\" has type %u, key %u and value %u bytes; expected type %u, "
                   "key %u, value %u: was it loaded by another version of leco-ebpf-load?",
                   maps[i].name, SUFFIX, info.type, info.key_size, info.value_size,
                   maps[i].type, maps[i].key_size, maps[i].value_size);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_meta (LddSource *self, GError **error)
{
  __u32 key = 0;

  if (bpf_map_lookup_elem (self->meta_fd, &key, &self->meta) < 0)
    {
      g_set_error (error, LDD_SOURCE_ERROR, LDD_SOURCE_ERROR_FAILED,
                   "cannot read the meta map: %s", g_strerror (errno));
      return FALSE;
    }
  self->meta.build_id[sizeof (self->meta.build_id) - 1] = '\0';
  if (self->meta.abi_version != LECO_ABI_VERSION)
    {
      g_set_error (error, LDD_SOURCE_ERROR, LDD_SOURCE_ERROR_BAD_MAP,
                   "the kernel side speaks ABI %u, this daemon ABI %d: run leco-ebpf-load of "
                   "this version", self->meta.abi_version, LECO_ABI_VERSION);
      return FALSE;
    }
  return TRUE;
}

LddSource *
ldd_source_new_from_pins (const char *dir, GError **error)
{
  g_autoptr (LddSource) self = source_alloc ();

  for (guint i = 0; i < G_N_ELEMENTS (maps); i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s%s", dir, maps[i].name, SUFFIX);
      gboolean rw = maps[i].type == BPF_MAP_TYPE_RINGBUF;
      LIBBPF_OPTS (bpf_obj_get_opts, opts, .file_flags = rw ? 0 : BPF_F_RDONLY);
      int fd = bpf_obj_get_opts (path, &opts);

      if (fd < 0)
        {
          int err = errno;

          g_set_error (error, LDD_SOURCE_ERROR,
                       err == EACCES || err == EPERM ? LDD_SOURCE_ERROR_PERMISSION
                       : err == ENOENT ? LDD_SOURCE_ERROR_NOT_LOADED : LDD_SOURCE_ERROR_FAILED,
                       "cannot open \"%s\": %s%s", path, g_strerror (err),
                       err == ENOENT ? " (run leco-ebpf-load first)"
                       : err == EACCES ? " (is this user in the group given to leco-ebpf-load --group?)"
                       : "");
          return NULL;
        }
      MAP_FD (self, i) = fd;
      if (!check_map (fd, i, error))
        return NULL;
    }
  self->pin_dir = g_strdup (dir);
  {
    g_autofree char *events = g_strdup_printf ("%s/events%s", dir, SUFFIX);
    struct stat st;

    self->events_ino = stat (events, &st) == 0 ? st.st_ino : 0;
  }
  if (!read_meta (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

LddSource *
ldd_source_new_from_fds (GError **error)
{
  g_autoptr (LddSource) self = source_alloc ();
  g_auto (GStrv) names = NULL;
  int n;

  n = sd_listen_fds_with_names (TRUE, &names);
  if (n < 0)
    {
      g_set_error (error, LDD_SOURCE_ERROR, LDD_SOURCE_ERROR_FAILED,
                   "bad $LISTEN_FDS from systemd: %s", g_strerror (-n));
      return NULL;
    }
  if (n == 0)
    {
      g_set_error_literal (error, LDD_SOURCE_ERROR, LDD_SOURCE_ERROR_NOT_LOADED,
                           "no file descriptors passed by systemd");
      return NULL;
    }
  for (int k = 0; k < n; k++)
    {
      int fd = SD_LISTEN_FDS_START + k;
      const char *name = names && names[k] ? names[k] : "";
      gboolean used = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (maps); i++)
        {
          g_autofree char *want = g_strconcat (maps[i].name, SUFFIX, NULL);

          if (g_str_equal (name, want) && MAP_FD (self, i) < 0)
            {
              MAP_FD (self, i) = fd;
              used = TRUE;
              if (!check_map (fd, i, error))
                return NULL;
            }
        }
      for (guint h = 0; h < LECO_HOOK_MAX; h++)
        {
          const char *prog = leco_walk_program (h);
          g_autofree char *want = prog ? g_strconcat (prog, "_iter", SUFFIX, NULL) : NULL;

          if (want && g_str_equal (name, want) && self->walk_link_fd[h] < 0)
            {
              self->walk_link_fd[h] = fd;
              used = TRUE;
            }
        }
      /* the other maps and links are held for the programs' sake only */
      if (!used)
        g_debug ("fd %d (\"%s\") kept, unused", fd, name);
    }
  for (guint i = 0; i < G_N_ELEMENTS (maps); i++)
    if (MAP_FD (self, i) < 0)
      {
        g_set_error (error, LDD_SOURCE_ERROR, LDD_SOURCE_ERROR_NOT_LOADED,
                     "systemd passed no \"%s%s\" (is ExecStartPre=+leco-ebpf-load --fdstore set?)",
                     maps[i].name, SUFFIX);
        return NULL;
      }
  if (!read_meta (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
ldd_source_free (LddSource *self)
{
  if (!self)
    return;
  g_clear_handle_id (&self->epoll_watch, g_source_remove);
  g_clear_handle_id (&self->drain_timer, g_source_remove);
  g_clear_handle_id (&self->more, g_source_remove);
  g_clear_pointer (&self->rb, ring_buffer__free);
  for (guint i = 0; i < G_N_ELEMENTS (maps); i++)
    if (MAP_FD (self, i) >= 0)
      close (MAP_FD (self, i));
  for (guint i = 0; i < G_N_ELEMENTS (self->walk_link_fd); i++)
    if (self->walk_link_fd[i] >= 0)
      close (self->walk_link_fd[i]);
  g_free (self->pin_dir);
  g_free (self);
}

/* What on_record returns to stop a drain at its budget.  libbpf counts the
 * record as consumed (the consumer position moves past it) and returns the
 * value from ring_buffer__consume(). */
#define STOP_AT_BUDGET (-ECANCELED)

static int
on_record (void *ctx, void *data, size_t len)
{
  LddSource *self = ctx;
  struct leco_event e;
  char why[128];

  if (leco_event_decode (data, len, &e, why, sizeof (why)) < 0)
    {
      /* kernel data is untrusted too: count it, say it once in a while */
      if (self->malformed++ % 1000 == 0)
        g_warning ("malformed ring buffer record (%s), ignoring; %" G_GUINT64_FORMAT " so far",
                   why, self->malformed);
    }
  else
    self->func (&e, self->user_data);
  return --self->budget == 0 ? STOP_AT_BUDGET : 0;
}

static gboolean
on_more (gpointer user_data)
{
  LddSource *self = user_data;

  self->more = 0;
  ldd_source_drain (self);
  return G_SOURCE_REMOVE;
}

int
ldd_source_drain (LddSource *self)
{
  int n;

  if (!self->rb)
    return 0;
  /* ring_buffer__consume() alone returns only once it finds the buffer
   * empty: while producers outpace us that is never, and nothing else of
   * the main loop (bus calls, timers) would run */
  self->budget = LDD_SOURCE_DRAIN_BUDGET;
  self->backlog = FALSE;
  n = ring_buffer__consume (self->rb);
  if (n == STOP_AT_BUDGET)
    {
      self->backlog = TRUE;
      /* the rest after whatever else is due: no wakeup may come for it */
      if (!self->more)
        self->more = g_idle_add_full (G_PRIORITY_DEFAULT, on_more, self, NULL);
      return LDD_SOURCE_DRAIN_BUDGET;
    }
  if (n < 0)
    g_warning ("reading the ring buffer failed: %s", g_strerror (-n));
  return MAX (n, 0);
}

gboolean
ldd_source_backlog (LddSource *self)
{
  return self->backlog;
}

static gboolean
on_epoll_ready (int fd, GIOCondition cond, gpointer user_data)
{
  ldd_source_drain (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean on_drain_timer (gpointer user_data);

static void
schedule_drain (LddSource *self)
{
  self->drain_timer = g_timeout_add (self->cur_ms, on_drain_timer, self);
}

/* Routine events do not wake us (BPF_RB_NO_WAKEUP): poll, quickly while
 * they flow, backing off to max_ms while nothing comes. */
static gboolean
on_drain_timer (gpointer user_data)
{
  LddSource *self = user_data;

  if (ldd_source_drain (self) > 0)
    self->cur_ms = self->drain_ms;
  else
    self->cur_ms = MIN (self->cur_ms * 2, self->max_ms);
  schedule_drain (self);
  return G_SOURCE_REMOVE;
}

void
ldd_source_start (LddSource *self, guint drain_ms, guint max_ms, LddEventFunc func, gpointer user_data)
{
  g_return_if_fail (self->rb == NULL);

  self->func = func;
  self->user_data = user_data;
  self->rb = ring_buffer__new (self->events_fd, on_record, self, NULL);
  if (!self->rb)
    {
      g_warning ("cannot map the ring buffer: %s; no events will be reported", g_strerror (errno));
      return;
    }
  self->epoll_watch = g_unix_fd_add (ring_buffer__epoll_fd (self->rb), G_IO_IN, on_epoll_ready, self);
  self->drain_ms = self->cur_ms = MAX (drain_ms, 1);
  self->max_ms = MAX (max_ms, self->drain_ms);
  schedule_drain (self);
  ldd_source_drain (self);
}

const char *
ldd_source_get_pin_dir (LddSource *self)
{
  return self->pin_dir;
}

gboolean
ldd_source_pins_changed (LddSource *self)
{
  g_autofree char *events = NULL;
  struct stat st;

  if (!self->pin_dir)
    return FALSE;
  events = g_strdup_printf ("%s/events%s", self->pin_dir, SUFFIX);
  return stat (events, &st) < 0 || st.st_ino != self->events_ino;
}

const struct leco_meta *
ldd_source_get_meta (LddSource *self)
{
  return &self->meta;
}

static gboolean
sum_percpu (LddSource *self, int fd, const void *key, gsize vsize, guint64 *sum, gsize nfields)
{
  g_autofree guint64 *vals = g_malloc0_n (self->ncpus, vsize);

  if (bpf_map_lookup_elem (fd, key, vals) < 0)
    return FALSE;
  memset (sum, 0, nfields * sizeof (*sum));
  for (int c = 0; c < self->ncpus; c++)
    for (gsize f = 0; f < nfields; f++)
      sum[f] += vals[c * (vsize / sizeof (guint64)) + f];
  return TRUE;
}

guint64
ldd_source_malformed (LddSource *self)
{
  return self->malformed;
}

static guint64
stat_sum (LddSource *self, __u32 key)
{
  guint64 v = 0;

  if (!sum_percpu (self, self->stats_fd, &key, sizeof (guint64), &v, 1))
    v = 0;
  return v;
}

guint64
ldd_source_blocked_total (LddSource *self)
{
  return stat_sum (self, LECO_STAT_DROPS_SEEN) + stat_sum (self, LECO_STAT_DENIED);
}

static void
array_free (gpointer p)
{
  g_array_unref (p);
}

GHashTable *
ldd_source_read_dests (LddSource *self)
{
  GHashTable *out = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, array_free);
  struct leco_dest_key key, next;
  void *prev = NULL;
  guint n = 0;

  while (bpf_map_get_next_key (self->dests_fd, prev, &next) == 0 && n++ < (1u << 20))
    {
      GArray *a = g_hash_table_lookup (out, &next.cookie);

      if (!a)
        {
          a = g_array_new (FALSE, FALSE, sizeof (struct leco_dest_key));
          g_hash_table_insert (out, g_memdup2 (&next.cookie, sizeof (next.cookie)), a);
        }
      g_array_append_val (a, next);
      key = next;
      prev = &key;
    }
  return out;
}

guint64
ldd_source_events_lost (LddSource *self)
{
  __u32 key = LECO_STAT_RB_DROPPED;
  guint64 v = 0;

  if (!sum_percpu (self, self->stats_fd, &key, sizeof (guint64), &v, 1))
    v = 0;
  return v + self->malformed;
}

gboolean
ldd_source_read_cgroups (LddSource *self, GArray *out, GError **error)
{
  guint64 key, next;
  void *prev = NULL;
  guint n = 0;

  g_array_set_size (out, 0);
  /* the map is bounded (LRU); walk it, tolerating entries that vanish (a
   * deleted key restarts the walk: the count bounds it) */
  for (;;)
    {
      LddCgroupTotals t;

      if (bpf_map_get_next_key (self->cgroups_fd, prev, &next) < 0)
        {
          if (errno == ENOENT)
            break;
          g_set_error (error, LDD_SOURCE_ERROR, LDD_SOURCE_ERROR_FAILED,
                       "reading per-cgroup counters failed: %s", g_strerror (errno));
          return FALSE;
        }
      key = next;
      prev = &key;
      t.cgroup_id = key;
      if (sum_percpu (self, self->cgroups_fd, &key, sizeof (struct leco_cgroup_stats),
                      (guint64 *) &t.s, sizeof (t.s) / sizeof (guint64)))
        g_array_append_val (out, t);
      if (++n > 1u << 20)
        break;
    }
  return TRUE;
}

gboolean
ldd_source_read_sockets (LddSource *self, struct leco_sock_rec **out, gsize *n, GError **error)
{
  enum leco_hook walks[4];
  gsize nwalks = leco_walks_for (self->meta.hooks, walks), nfds = 0;
  int fds[4], r;

  *out = NULL;
  *n = 0;
  if (nwalks == 0)
    {
      g_set_error_literal (error, LDD_SOURCE_ERROR, LDD_SOURCE_ERROR_NOT_LOADED,
                           "no socket walk is loaded");
      return FALSE;
    }
  for (gsize i = 0; i < nwalks; i++)
    {
      const char *prog = leco_walk_program (walks[i]);
      int fd;

      if (self->pin_dir)
        {
          g_autofree char *path = g_strdup_printf ("%s/%s_iter%s", self->pin_dir, prog, SUFFIX);

          fd = open (path, O_RDONLY | O_CLOEXEC);
        }
      else if (self->walk_link_fd[walks[i]] >= 0)
        fd = bpf_iter_create (self->walk_link_fd[walks[i]]);
      else
        {
          errno = ENOENT;
          fd = -1;
        }
      if (fd < 0)
        {
          int err = errno;

          while (nfds)
            close (fds[--nfds]);
          g_set_error (error, LDD_SOURCE_ERROR, LDD_SOURCE_ERROR_FAILED,
                       "cannot open the socket walk %s: %s", prog, g_strerror (err));
          return FALSE;
        }
      fds[nfds++] = fd;
    }
  /* no copy: the walk's array is the caller's */
  r = leco_walk_read (fds, nfds, 1u << 20, out, n, &self->malformed);
  if (r < 0)
    {
      g_set_error (error, LDD_SOURCE_ERROR, LDD_SOURCE_ERROR_FAILED,
                   "reading the socket walks failed: %s", g_strerror (-r));
      return FALSE;
    }
  return TRUE;
}

LddWalkSees
ldd_source_walk_sees (LddSource *self, guint32 netns, guint8 protocol)
{
  guint64 hooks = self->meta.hooks;

  if (hooks & (1ULL << LECO_HOOK_ITER_SOCKETS))
    return LDD_WALK_SEES_ALWAYS;
  /* every TCP and UDP socket of our namespace */
  if (netns == self->netns && (protocol == IPPROTO_TCP || protocol == IPPROTO_UDP) &&
      (hooks & (1ULL << (protocol == IPPROTO_TCP ? LECO_HOOK_ITER_TCP : LECO_HOOK_ITER_UDP))))
    return LDD_WALK_SEES_ALWAYS;
  if (!(hooks & (1ULL << LECO_HOOK_ITER_TASK_FILE)))
    return LDD_WALK_BLIND;
  /* sockets processes hold; a TCP socket its process closed lives on
   * (an orphan finishing its close) where no walk meets it */
  return protocol == IPPROTO_TCP ? LDD_WALK_SEES_HELD : LDD_WALK_SEES_ALWAYS;
}
