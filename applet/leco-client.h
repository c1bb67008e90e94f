/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The applet's view of leco-dbusd: follows it across restarts. */
typedef enum {
  LECO_CLIENT_CONNECTING,    /* looking for the bus or the daemon */
  LECO_CLIENT_CONNECTED,
  LECO_CLIENT_DISCONNECTED,  /* the daemon is not on the bus */
  LECO_CLIENT_DENIED,        /* the bus policy refuses us: not in the monitor group */
} LecoClientState;

#define LECO_TYPE_CLIENT (leco_client_get_type ())
G_DECLARE_FINAL_TYPE (LecoClient, leco_client, LECO, CLIENT, GObject)

/* bus: NULL for the system bus, else a D-Bus address */
LecoClient *leco_client_new (const char *bus);
LecoClientState leco_client_get_state (LecoClient *self);
/* Why, in words, for DISCONNECTED/DENIED. */
const char *leco_client_get_message (LecoClient *self);

/* What the kernel under the daemon cannot show with the hooks it accepted,
 * one sentence each for people (LostFeatures), and the hooks not attached
 * with why (UnavailableHooks, a{ss}).  Read each time the daemon appears;
 * empty (never NULL) before, while it is away and from a daemon without
 * them.  Owned by the client. */
const char *const *leco_client_get_lost_features (LecoClient *self);
GVariant *leco_client_get_unavailable_hooks (LecoClient *self);

void leco_client_list_connections (LecoClient *self, guint64 cgroup_id, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
/* aa{sv}, or NULL with error */
GVariant *leco_client_list_connections_finish (LecoClient *self, GAsyncResult *res, GError **error);

/* Signals:
 *   "state-changed" ()
 *   "reset" (GVariant *traffic aa{sv}, GVariant *blocked aa{sv}): state read (again) after connecting
 *   "traffic" (GVariant *rows aa{sv}): TrafficUpdated
 *   "blocked" (GVariant *attempt a{sv}): ConnectionBlocked
 *   "limits-changed" (): lost features or unavailable hooks changed
 */

G_END_DECLS
