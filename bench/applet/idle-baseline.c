/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The baseline of bench/applet's idle measurement: a GTK4 GtkApplication
 * that starts like leco-applet does (registers on the session bus, opens
 * the display, holds itself) and then does nothing at all.
 */
#include <gtk/gtk.h>

static void
startup (GApplication *app, gpointer data)
{
  g_application_hold (app);
}

static void
activate (GApplication *app, gpointer data)
{
}

int
main (int argc, char **argv)
{
  g_autoptr (GtkApplication) app = gtk_application_new ("org.leco.Bench.IdleBaseline", G_APPLICATION_DEFAULT_FLAGS);

  g_signal_connect (app, "startup", G_CALLBACK (startup), NULL);
  g_signal_connect (app, "activate", G_CALLBACK (activate), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
