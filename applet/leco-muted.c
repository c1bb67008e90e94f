/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The traffic window's muted-apps button: what "Mute this app" in a
 * notification did, undoable.  A GtkMenuButton with a popover listing
 * GSettings muted-apps, one row per app or unit with an "Unmute" button
 * (action app.unmute, which a test or another front end can activate too).
 * Rebuilt on changed::muted-apps only: no timers.
 */
#define G_LOG_DOMAIN "leco-applet"

#include "config.h"

#include <glib/gi18n.h>

#include "leco-muted.h"
#include "leco-row.h"

typedef struct {
  GSettings *settings;
  GtkWidget *list;            /* GtkBox of rows */
  GStrv listed;
} Muted;

static void
muted_free (gpointer p)
{
  Muted *m = p;

  g_signal_handlers_disconnect_by_data (m->settings, m);
  g_object_unref (m->settings);
  g_strfreev (m->listed);
  g_free (m);
}

static GtkWidget *
row_new (const char *app)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *title, *button;
  g_autofree char *name = NULL;
  g_autoptr (GIcon) icon = NULL;

  leco_app_lookup (app, &name, &icon);
  gtk_box_append (GTK_BOX (row), icon ? gtk_image_new_from_gicon (icon)
                                      : gtk_image_new_from_icon_name ("application-x-executable-symbolic"));
  title = gtk_label_new (name ? name : app);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (title), 32);
  gtk_box_append (GTK_BOX (texts), title);
  if (name && g_strcmp0 (name, app) != 0)
    {
      GtkWidget *sub = gtk_label_new (app);

      gtk_label_set_xalign (GTK_LABEL (sub), 0);
      gtk_label_set_ellipsize (GTK_LABEL (sub), PANGO_ELLIPSIZE_MIDDLE);
      gtk_label_set_max_width_chars (GTK_LABEL (sub), 32);
      gtk_widget_add_css_class (sub, "dim-label");
      gtk_widget_add_css_class (sub, "caption");
      gtk_box_append (GTK_BOX (texts), sub);
    }
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_widget_set_valign (texts, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (row), texts);
  button = gtk_button_new_with_label (_("Unmute"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "app.unmute");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), g_variant_new_string (app));
  gtk_widget_set_tooltip_text (button, _("Show notifications of this application again"));
  gtk_box_append (GTK_BOX (row), button);
  return row;
}

static void
rebuild (GSettings *settings, const char *key, Muted *m)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (m->list)))
    gtk_box_remove (GTK_BOX (m->list), child);
  g_strfreev (m->listed);
  m->listed = g_settings_get_strv (m->settings, "muted-apps");
  for (guint i = 0; m->listed[i]; i++)
    gtk_box_append (GTK_BOX (m->list), row_new (m->listed[i]));
  if (!m->listed[0])
    {
      GtkWidget *empty = gtk_label_new (_("No muted applications"));

      gtk_widget_add_css_class (empty, "dim-label");
      gtk_widget_set_margin_top (empty, 12);
      gtk_widget_set_margin_bottom (empty, 12);
      gtk_box_append (GTK_BOX (m->list), empty);
    }
}

GtkWidget *
leco_muted_button_new (GSettings *settings)
{
  GtkWidget *button = gtk_menu_button_new ();
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *heading = gtk_label_new (_("Muted applications"));
  Muted *m = g_new0 (Muted, 1);

  m->settings = g_object_ref (settings);
  m->list = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_add_css_class (heading, "heading");
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_box_append (GTK_BOX (box), heading);
  gtk_box_append (GTK_BOX (box), m->list);
  gtk_widget_set_size_request (box, 260, -1);
  gtk_popover_set_child (GTK_POPOVER (popover), box);
  /* Not autohide: an autohide popover grabs the keyboard, the traffic
   * window turns inactive and hides itself (it closes when the user looks
   * elsewhere), taking the popover with it.  This one closes with a second
   * click on the button, or when the window hides. */
  gtk_popover_set_autohide (GTK_POPOVER (popover), FALSE);
  g_signal_connect_swapped (button, "unmap", G_CALLBACK (gtk_popover_popdown), popover);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (button), popover);
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "notifications-disabled-symbolic");
  gtk_widget_set_tooltip_text (button, _("Muted applications"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Muted applications"), -1);
  g_object_set_data_full (G_OBJECT (button), "leco-muted", m, muted_free);
  g_signal_connect (settings, "changed::muted-apps", G_CALLBACK (rebuild), m);
  rebuild (settings, "muted-apps", m);
  return button;
}

void
leco_muted_button_dump (GtkWidget *button, GString *out)
{
  Muted *m = g_object_get_data (G_OBJECT (button), "leco-muted");
  GtkWidget *popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)));

  g_string_append (out, "\"muted-listed\": [");
  for (guint i = 0; m->listed[i]; i++)
    {
      g_autofree char *s = g_strescape (m->listed[i], NULL);

      g_string_append_printf (out, "%s\"%s\"", i ? ", " : "", s);
    }
  g_string_append_printf (out, "], \"muted-popover-visible\": %s", gtk_widget_get_visible (popover) ? "true" : "false");
  {
    /* where it is in its window, for a test to click it */
    GtkWidget *win = GTK_WIDGET (gtk_widget_get_root (button));
    graphene_rect_t r;

    if (win && gtk_widget_compute_bounds (button, win, &r))
      g_string_append_printf (out, ", \"muted-button\": [%d, %d, %d, %d]", (int) r.origin.x, (int) r.origin.y,
                              (int) r.size.width, (int) r.size.height);
  }
}
