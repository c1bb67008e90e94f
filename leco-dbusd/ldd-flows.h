/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <linux/types.h>

#include "leco.h"

/* One flow: a TCP connection, or one destination of a datagram/raw socket.
 * Byte counts are the socket's: a socket talking to several destinations
 * reports them on its first ("primary") flow only. */
typedef struct {
  guint64 id;
  guint64 cookie;
  guint16 family;
  guint8 protocol;
  guint8 direction;
  guint8 local_addr[LECO_ADDR_LEN];
  guint8 remote_addr[LECO_ADDR_LEN];
  guint16 local_port;
  guint16 remote_port;
  guint32 pid;
  guint32 uid;
  guint64 cgroup_id;
  guint32 netns;             /* network namespace inode */
  char comm[LECO_COMM_LEN];
  char *exe;                 /* interned (g_ref_string_new_intern), may be NULL */
  guint8 tcp_state;          /* TCP_* of the kernel, 0 for others */
  guint8 missed;             /* socket walks in a row that did not meet it (ldd_flows_reap) */
  guint8 walk_met;           /* a socket walk met it once */
  gboolean primary;
  gboolean closed;
  gboolean failed;
  int err;
  gint64 started_us;         /* CLOCK_REALTIME */
  gint64 ended_us;
  gint64 active_us;          /* monotonic, for eviction */
  guint64 rx_bytes;
  guint64 tx_bytes;
  GList lru;                 /* open: in the LRU queue; closed: in the history */
  gpointer next_of_socket;   /* open: the socket's next flow (private to ldd-flows.c) */
} LddFlow;

typedef struct _LddFlows LddFlows;

LddFlows *ldd_flows_new (guint max_open, guint max_closed);
void ldd_flows_free (LddFlows *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LddFlows, ldd_flows_free)

/* FLOW_OPEN: the flow, new (*created) or the existing one for its key. */
LddFlow *ldd_flows_open (LddFlows *self, const struct leco_event *e, gint64 now_us, gboolean *created);
/* FLOW_STATE: the socket's flow with its tuple and state updated, or NULL. */
LddFlow *ldd_flows_state (LddFlows *self, const struct leco_event *e);
/* FLOW_CLOSE/FLOW_FAIL: the socket's flows, closed and moved to the history
 * (a closed flow of an unknown socket is made up from the event; the late
 * close of a reaped socket closes nothing again, it only sets the final
 * byte counts of its flow). */
GPtrArray *ldd_flows_close (LddFlows *self, const struct leco_event *e, gint64 now_us);
/* Whether a live socket from the kernel's iterator is a flow: announced,
 * or an outbound TCP connect still waiting for its answer (the kernel
 * announces those only once established or failed). */
gboolean ldd_sock_rec_is_flow (const struct leco_sock_rec *r);
/* A live socket from the kernel's iterator: refresh counters; create the
 * flow of a socket that is a flow (ldd_sock_rec_is_flow) the table does not
 * know (daemon restart, a connect waiting in SYN_SENT). */
LddFlow *ldd_flows_apply_socket (LddFlows *self, const struct leco_sock_rec *r, gint64 now_us, gboolean *created);

/* Open flows whose close the daemon has not heard of (the kernel lost the
 * event, or it still waits in the ring buffer): those with an id below
 * below_id (opened before the caller looked at the kernel's live sockets)
 * whose socket cookie (guint64*) is not in alive (sockets the kernel still
 * has, announced and not closed) are closed and moved to the history,
 * keeping the byte counts last seen.  Their sockets are remembered (the
 * last 4096) so that a close event coming later closes nothing twice.
 * Returns them. */
/* How surely the walk that filled alive meets a flow's socket while it is
 * open: always (not met: gone), while a process holds it (a TCP socket its
 * process closed may still finish its close unseen for a moment: one that
 * a walk met before is gone once two walks in a row miss it, one no walk
 * ever met at once), or not at all (never reaped: only its close event
 * closes it).  SEEN NULL: always. */
typedef enum {
  LDD_WALK_SEES_ALWAYS,
  LDD_WALK_SEES_HELD,
  LDD_WALK_BLIND,
} LddWalkSees;
typedef LddWalkSees (*LddFlowSeenFunc) (const LddFlow *flow, gpointer user_data);
GPtrArray *ldd_flows_reap (LddFlows *self, GHashTable *alive, guint64 below_id, gint64 now_us,
                           LddFlowSeenFunc seen, gpointer user_data);
/* The id the next flow will get. */
guint64 ldd_flows_next_id (LddFlows *self);
guint64 ldd_flows_reaped (LddFlows *self);

LddFlow *ldd_flows_lookup (LddFlows *self, guint64 id);
gboolean ldd_flows_has_socket (LddFlows *self, guint64 cookie);
/* Open, or closed by ldd_flows_reap with its close event still to come. */
gboolean ldd_flows_knows_socket (LddFlows *self, guint64 cookie);
/* Open flows, oldest first. */
void ldd_flows_foreach_open (LddFlows *self, GFunc func, gpointer user_data);
guint ldd_flows_open_count (LddFlows *self);
guint ldd_flows_open_in_cgroup (LddFlows *self, guint64 cgroup_id);
guint64 ldd_flows_evicted (LddFlows *self);
