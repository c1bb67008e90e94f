/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's ring buffer reader against a real BPF ring buffer: a drain
 * takes at most LDD_SOURCE_DRAIN_BUDGET records and lets the main loop run
 * before the rest, and nothing is lost or read twice on the way.
 *
 * Needs what the daemon's kernel side needs (root or CAP_BPF, bpffs at
 * /sys/fs/bpf); skipped otherwise.  The maps are pinned, as leco-ebpf-load
 * pins them, in /sys/fs/bpf/leco-test-unit-source-PID, removed at the end.
 * The records come from a socket filter program that submits one event per
 * run, run N times by BPF_PROG_TEST_RUN.  Also: the daemon takes no event
 * before it is told to (it owns its bus name then).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <linux/bpf.h>

#include "ldd-daemon.h"
#include "ldd-source.h"

#define BPF_FS_MAGIC_ 0xcafe4a11

static char pin_dir[64];
static const char *const names[] = { "events", "meta", "stats", "cgroup_stats", "dests" };

static void
unpin_all (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s_v%d", pin_dir, names[i], LECO_ABI_VERSION);

      unlink (path);
    }
  rmdir (pin_dir);
}

static int
pin (int fd, const char *name)
{
  g_autofree char *path = g_strdup_printf ("%s/%s_v%d", pin_dir, name, LECO_ABI_VERSION);

  return bpf_obj_pin (fd, path);
}

/* A socket filter that submits one 152-byte event (type FLOW_STATE,
 * family AF_INET, the rest zero) to the ring buffer per run. */
static int
load_producer (int rb_fd)
{
  struct bpf_insn insns[32];
  guint n = 0;

#define INSN(c, d, s, o, i) (insns[n++] = (struct bpf_insn) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
  /* *(u64 *)(r10 - 152 + 8k) = 0, the first word: type 2, family 2 */
  for (int k = 1; k < 19; k++)
    INSN (BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, -152 + 8 * k, 0);
  INSN (BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, -152, LECO_EV_FLOW_STATE | (AF_INET << 16));
  INSN (BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, rb_fd);   /* r1 = map */
  INSN (0, 0, 0, 0, 0);
  INSN (BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);             /* r2 = r10 - 152 */
  INSN (BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -152);
  INSN (BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, 152);                    /* r3 = size */
  INSN (BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 0);                      /* r4 = flags */
  INSN (BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_output);
  INSN (BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
  INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
#undef INSN
  return bpf_prog_load (BPF_PROG_TYPE_SOCKET_FILTER, "leco_rb_fill", "GPL", insns, n, NULL);
}

static void
produce (int prog_fd, guint count)
{
  guint8 packet[64] = { 0 };
  LIBBPF_OPTS (bpf_test_run_opts, opts, .data_in = packet, .data_size_in = sizeof (packet), .repeat = count);

  g_assert_cmpint (bpf_prog_test_run_opts (prog_fd, &opts), ==, 0);
}

typedef struct {
  guint events;
  guint bad;
  guint at_idle;      /* events seen when the idle callback ran */
  gboolean idle_ran;
} Count;

static void
on_event (const struct leco_event *e, gpointer user_data)
{
  Count *c = user_data;

  if (e->type == LECO_EV_FLOW_STATE && e->family == AF_INET)
    c->events++;
  else
    c->bad++;
}

static gboolean
on_idle (gpointer user_data)
{
  Count *c = user_data;

  c->idle_ran = TRUE;
  c->at_idle = c->events;
  return G_SOURCE_REMOVE;
}

typedef struct {
  int fds[5];
  int prog;
} Kernel;

/* The daemon's maps, pinned, and the producer; FALSE (the test skipped)
 * where this process may not. */
static gboolean
kernel_setup (Kernel *k, guint rb_size)
{
  struct leco_meta meta = { .abi_version = LECO_ABI_VERSION, .build_id = "unit-test" };
  struct statfs sfs;
  __u32 zero = 0;
  int r;

  if (geteuid () != 0 || statfs ("/sys/fs/bpf", &sfs) < 0 || sfs.f_type != BPF_FS_MAGIC_)
    {
      g_test_skip ("needs root and bpffs at /sys/fs/bpf");
      return FALSE;
    }
  k->fds[0] = bpf_map_create (BPF_MAP_TYPE_RINGBUF, "events", 0, 0, rb_size, NULL);
  if (k->fds[0] < 0)
    {
      g_autofree char *why = g_strdup_printf ("cannot create a BPF ring buffer: %s", g_strerror (errno));

      g_test_skip (why);
      return FALSE;
    }
  k->fds[1] = bpf_map_create (BPF_MAP_TYPE_ARRAY, "meta", 4, sizeof (struct leco_meta), 1, NULL);
  k->fds[2] = bpf_map_create (BPF_MAP_TYPE_PERCPU_ARRAY, "stats", 4, 8, LECO_STAT_MAX, NULL);
  k->fds[3] = bpf_map_create (BPF_MAP_TYPE_LRU_PERCPU_HASH, "cgroup_stats", 8, sizeof (struct leco_cgroup_stats),
                              16, NULL);
  k->fds[4] = bpf_map_create (BPF_MAP_TYPE_LRU_HASH, "dests", sizeof (struct leco_dest_key), 8, 16, NULL);
  for (guint i = 1; i < G_N_ELEMENTS (k->fds); i++)
    g_assert_cmpint (k->fds[i], >=, 0);
  g_assert_cmpint (bpf_map_update_elem (k->fds[1], &zero, &meta, BPF_ANY), ==, 0);
  g_snprintf (pin_dir, sizeof (pin_dir), "/sys/fs/bpf/leco-test-unit-source-%d", (int) getpid ());
  g_assert_cmpint (mkdir (pin_dir, 0700), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (k->fds); i++)
    {
      r = pin (k->fds[i], names[i]);
      if (r < 0)
        unpin_all ();
      g_assert_cmpint (r, ==, 0);
    }
  k->prog = load_producer (k->fds[0]);
  if (k->prog < 0)
    {
      g_autofree char *why = g_strdup_printf ("cannot load the producer program: %s", g_strerror (errno));

      unpin_all ();
      g_test_skip (why);
      return FALSE;
    }
  return TRUE;
}

static void
kernel_close (Kernel *k)
{
  close (k->prog);
  for (guint i = 0; i < G_N_ELEMENTS (k->fds); i++)
    close (k->fds[i]);
}

/* Records in the ring buffer not consumed yet (producer - consumer
 * position, read from the map's own pages: nothing is consumed). */
static gsize
pending (int rb_fd)
{
  long page = sysconf (_SC_PAGESIZE);
  unsigned long *cons = mmap (NULL, page, PROT_READ, MAP_SHARED, rb_fd, 0);
  unsigned long *prod = mmap (NULL, page, PROT_READ, MAP_SHARED, rb_fd, page);
  gsize bytes;

  g_assert_true (cons != MAP_FAILED && prod != MAP_FAILED);
  bytes = __atomic_load_n (prod, __ATOMIC_ACQUIRE) - __atomic_load_n (cons, __ATOMIC_ACQUIRE);
  munmap (cons, page);
  munmap (prod, page);
  return bytes / (BPF_RINGBUF_HDR_SZ + sizeof (struct leco_event));
}

static void
test_drain_budget (void)
{
  const guint budget = LDD_SOURCE_DRAIN_BUDGET, total = 8 * LDD_SOURCE_DRAIN_BUDGET + 100;
  g_autoptr (GError) error = NULL;
  g_autoptr (LddSource) src = NULL;
  Count c = { 0 };
  Kernel k;
  guint rounds = 0;

  if (!kernel_setup (&k, 4 << 20))
    return;
  produce (k.prog, total);
  g_assert_cmpuint (pending (k.fds[0]), ==, total);
  src = ldd_source_new_from_pins (pin_dir, &error);
  unpin_all ();
  g_assert_no_error (error);
  g_assert_nonnull (src);

  /* a long drain interval: what runs here is the budget's doing */
  ldd_source_start (src, 5000, 5000, on_event, &c);
  /* start drains at once, and stops at the budget */
  g_assert_cmpuint (c.events, ==, budget);
  g_assert_true (ldd_source_backlog (src));
  g_assert_cmpuint (pending (k.fds[0]), ==, total - budget);
  /* an explicit drain takes the next batch, no more */
  g_assert_cmpint (ldd_source_drain (src), ==, (int) budget);
  g_assert_cmpuint (c.events, ==, 2 * budget);
  /* the rest goes on from the main loop, a batch per source that drains
   * (the continuation, the ring buffer's fd): what else is due there runs
   * long before all of it is read */
  g_idle_add_full (G_PRIORITY_DEFAULT, on_idle, &c, NULL);
  while (c.events < total && rounds++ < 100)
    g_main_context_iteration (NULL, FALSE);
  g_assert_true (c.idle_ran);
  g_assert_cmpuint (c.at_idle, <=, 4 * budget);
  g_assert_cmpuint (c.events, ==, total);
  g_assert_cmpuint (c.bad, ==, 0);
  g_assert_false (ldd_source_backlog (src));
  /* nothing left, nothing read twice */
  g_assert_cmpint (ldd_source_drain (src), ==, 0);
  g_assert_cmpuint (pending (k.fds[0]), ==, 0);
  g_assert_cmpuint (c.events, ==, total);
  g_assert_cmpuint (ldd_source_events_lost (src), ==, 0);

  /* a batch below the budget is read whole */
  produce (k.prog, 10);
  g_assert_cmpint (ldd_source_drain (src), ==, 10);
  g_assert_false (ldd_source_backlog (src));
  g_assert_cmpuint (c.events, ==, total + 10);
  kernel_close (&k);
}

/* A daemon on the pinned maps (then unpinned), naming cgroups under root
 * (its LddCgroups in *cgroups_out when asked), started without a bus. */
static LddDaemon *
daemon_on_pins (const char *root, LddCgroups **cgroups_out)
{
  g_autoptr (GError) error = NULL;
  LddSource *src;
  LddCgroups *cgroups;
  LddDaemon *daemon;

  src = ldd_source_new_from_pins (pin_dir, &error);
  unpin_all ();
  g_assert_no_error (error);
  cgroups = ldd_cgroups_new (root, &error);
  g_assert_no_error (error);
  daemon = ldd_daemon_new (ldd_config_new_default (), src, cgroups, LDD_LOG_STDERR);
  g_assert_true (ldd_daemon_start (daemon, NULL, &error));
  g_assert_no_error (error);
  if (cgroups_out)
    *cgroups_out = cgroups;
  return daemon;
}

/* The daemon takes nothing from the ring buffer until it is told to start
 * its events (main.c: once it owns its bus name). */
static void
test_daemon_events_wait (void)
{
  g_autofree char *root = g_dir_make_tmp ("leco-source-XXXXXX", NULL);
  g_autoptr (LddDaemon) daemon = NULL;
  Kernel k;
  guint rounds = 0;

  if (!kernel_setup (&k, 1 << 20))
    {
      g_rmdir (root);
      return;
    }
  produce (k.prog, 500);
  daemon = daemon_on_pins (root, NULL);
  while (g_main_context_iteration (NULL, FALSE) && rounds++ < 100)
    ;
  g_assert_cmpuint (pending (k.fds[0]), ==, 500);
  ldd_daemon_start_events (daemon);
  rounds = 0;
  while (pending (k.fds[0]) > 0 && rounds++ < 100)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (pending (k.fds[0]), ==, 0);
  ldd_daemon_stop (daemon);
  g_clear_pointer (&daemon, ldd_daemon_free);
  g_rmdir (root);
  kernel_close (&k);
}

/* A cgroup whose row went out in TrafficUpdated and that is then removed
 * goes out once more, as a removal, and then never again. */
static void
test_daemon_removed_row (void)
{
  g_autofree char *root = g_dir_make_tmp ("leco-source-XXXXXX", NULL);
  g_autofree char *x = g_build_filename (root, "x.scope", NULL);
  g_autoptr (LddDaemon) daemon = NULL;
  g_autofree struct leco_cgroup_stats *vals = NULL;
  LddCgroups *cgroups;
  struct stat st;
  guint64 id;
  int ncpus = libbpf_num_possible_cpus ();
  Kernel k;

  if (!kernel_setup (&k, 1 << 20))
    {
      g_rmdir (root);
      return;
    }
  g_assert_cmpint (g_mkdir (x, 0755), ==, 0);
  g_assert_cmpint (stat (x, &st), ==, 0);
  id = st.st_ino;
  vals = g_new0 (struct leco_cgroup_stats, ncpus);
  vals[0].tx_bytes = 100;
  g_assert_cmpint (bpf_map_update_elem (k.fds[3], &id, vals, BPF_ANY), ==, 0);
  daemon = daemon_on_pins (root, &cgroups);
  ldd_daemon_start_events (daemon);            /* its first tick sends the row */
  g_assert_cmpuint (ldd_daemon_traffic_tick (daemon), ==, 0);
  g_assert_cmpint (g_rmdir (x), ==, 0);
  ldd_cgroups_rescan (cgroups);
  ldd_cgroups_rescan (cgroups);
  g_assert_true (ldd_cgroups_is_gone (cgroups, id));
  g_assert_cmpuint (ldd_daemon_traffic_tick (daemon), ==, 1);   /* the removal */
  g_assert_cmpuint (ldd_daemon_traffic_tick (daemon), ==, 0);   /* once */
  ldd_daemon_stop (daemon);
  g_clear_pointer (&daemon, ldd_daemon_free);
  g_rmdir (root);
  kernel_close (&k);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/source/drain-budget", test_drain_budget);
  g_test_add_func ("/daemon/events-wait-for-start", test_daemon_events_wait);
  g_test_add_func ("/daemon/removed-row", test_daemon_removed_row);
  return g_test_run ();
}
