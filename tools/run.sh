#!/bin/sh
# Build LECO and run the whole stack, live:
#   the eBPF hooks (leco-ebpf-load), the daemon (leco-dbusd) on the system bus
#   -- or on a private bus like it where none runs --, the tray applet when a
#   graphical session is there (as the user who ran sudo), and what the daemon
#   reports, in the terminal.  Ctrl-C stops the daemon (the hooks stay loaded; remove
#   them with: build/loader/leco-ebpf-load --unload).
#   LECO_RUN_SECONDS=30 tools/run.sh     stop by itself
# Creates the daemon's system user "leco" and the group "leco-monitor"
# (members may watch) when missing, as a package would.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build=${LECO_BUILD_DIR:-build}
pin=${LECO_PIN:-/sys/fs/bpf/leco}
state=/run/leco-run

"$top/tools/install-deps.sh" run
[ -d "$build/meson-private" ] || meson setup "$build"
ninja -C "$build"

getent group leco >/dev/null || groupadd --system leco
getent passwd leco >/dev/null || useradd --system --gid leco --no-create-home --home-dir /nonexistent \
  --shell /usr/sbin/nologin --comment "LECO connection overseer" leco
getent group leco-monitor >/dev/null || groupadd --system leco-monitor

"$build/loader/leco-ebpf-load" --check
"$build/loader/leco-ebpf-load" --pin "$pin" --group leco

mkdir -p "$state"
pids=""   # daemon first, then the private bus: stopped in that order
cleanup() {
  for p in $pids; do
    kill "$p" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
}
trap cleanup EXIT INT TERM

policy_installed() {
  for d in /etc/dbus-1/system.d /usr/share/dbus-1/system.d /usr/local/share/dbus-1/system.d; do
    [ -f "$d/org.leco.Overseer.conf" ] && return 0
  done
  return 1
}
if [ -S /run/dbus/system_bus_socket ] && policy_installed; then
  address=unix:path=/run/dbus/system_bus_socket
  echo "--- using the system bus"
else
  # no system bus, or LECO not installed into it: a private one with the same rules
  chmod 755 "$state"
  sed -e "s|@SOCKET@|$state/system_bus_socket|" -e "s|@POLICY@|$top/$build/data/org.leco.Overseer.conf|" \
    tools/private-bus.conf.in > "$state/bus.conf"
  out=$(dbus-daemon --config-file="$state/bus.conf" --fork --print-address=1 --print-pid=1)
  address=$(echo "$out" | sed -n 1p)
  pids="$(echo "$out" | sed -n 2p)"
  echo "--- private system bus: DBUS_SYSTEM_BUS_ADDRESS=$address"
fi

setpriv --reuid=leco --regid=leco --clear-groups "$build/leco-dbusd/leco-dbusd" --bus "$address" \
  --pin-path "$pin" &
pids="$! $pids"
for _ in $(seq 50); do
  busctl --address="$address" status org.leco.Overseer >/dev/null 2>&1 && break
  sleep 0.1
done
for prop in KernelHooks UnavailableHooks LostFeatures; do
  printf '%s: ' "$prop"
  busctl --address="$address" get-property org.leco.Overseer /org/leco/Overseer org.leco.Overseer1 "$prop"
done

# a graphical session: the tray applet too, as the desktop's user
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  user=${SUDO_USER:-root}
  if [ "$user" != root ] && ! id -nG "$user" | grep -qw leco-monitor; then
    echo "--- adding $user to leco-monitor so the applet may watch (usermod -aG leco-monitor $user)"
    usermod -aG leco-monitor "$user"
  fi
  runuser -u "$user" -- env DISPLAY="${DISPLAY:-}" WAYLAND_DISPLAY="${WAYLAND_DISPLAY:-}" \
    XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/run/user/$(id -u "$user")}" \
    ${DBUS_SESSION_BUS_ADDRESS:+DBUS_SESSION_BUS_ADDRESS="$DBUS_SESSION_BUS_ADDRESS"} \
    GSETTINGS_SCHEMA_DIR="$top/$build/data/applet" LECO_ICON_DIR="$top/data/icons" \
    "$top/$build/applet/leco-applet" --bus "$address" &
  pids="$! $pids"
  echo "--- leco-applet started in the tray (click it for the traffic window)"
fi

echo "--- org.leco.Overseer signals: connections opened and closed, blocked attempts, traffic; Ctrl-C to stop"
echo "--- e.g.  busctl --address=$address call org.leco.Overseer /org/leco/Overseer org.leco.Overseer1 ListTraffic"
if [ -n "${LECO_RUN_SECONDS:-}" ]; then
  timeout "$LECO_RUN_SECONDS" gdbus monitor --address "$address" --dest org.leco.Overseer || true
else
  gdbus monitor --address "$address" --dest org.leco.Overseer || true
fi
