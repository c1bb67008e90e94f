#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Manual check (not a meson test): boot this machine's own root, with
# BUILD's install added, as a systemd-nspawn container running a real
# systemd, and drive leco-dbusd.service there: first start with nothing
# pinned, its sandbox as the kernel sees it, calls, a blocked attempt in the
# journal, restart (the loader must find the same build), D-Bus activation,
# --unload and a new load under the running daemon, systemd-analyze security.
#
#   tests/install/boot-unit.sh BUILD      (root; apt-get install systemd-container)
#
# The container gets an overlay of / on a tmpfs (the host's files are not
# written), its own network namespace and a private bpffs; the eBPF hooks it
# loads are the kernel's, so they see the host's traffic while it runs.
set -eu
build=$(cd "${1:?usage: $0 BUILD}" && pwd)
command -v systemd-nspawn >/dev/null || { echo "needs systemd-nspawn (apt-get install systemd-container)" >&2; exit 77; }
w=$(mktemp -d /tmp/leco-boot-XXXXXX)
cleanup() {
  umount "$w/root" 2>/dev/null || true
  umount "$w/bpffs" 2>/dev/null || true
  umount "$w/t" 2>/dev/null || true
  rm -rf "$w"
}
trap cleanup EXIT
mkdir -p "$w/t" "$w/root" "$w/bpffs" "$w/out" "$w/dest"
meson install -C "$build" --destdir "$w/dest" --no-rebuild --quiet
prefix=$(meson introspect --buildoptions "$build" | python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"][0])')
mount -t tmpfs tmpfs "$w/t"
mkdir -p "$w/t/upper" "$w/t/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$w/t/upper,workdir=$w/t/work" "$w/root"
mount -t bpf bpf "$w/bpffs"
cp -a "$w/dest/." "$w/root/"
# a /usr/local build's bus policy is not read by the system bus from there
mkdir -p "$w/root/etc/dbus-1/system.d"
cp "$w/dest$prefix/share/dbus-1/system.d/org.leco.Overseer.conf" "$w/root/etc/dbus-1/system.d/"
cat > "$w/root/etc/systemd/system/leco-check.target" <<'UNIT'
[Unit]
Description=LECO unit check
Requires=basic.target leco-check.service
After=basic.target
UNIT
cat > "$w/root/etc/systemd/system/leco-check.service" <<'UNIT'
[Unit]
After=basic.target dbus.service
Wants=dbus.service
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'exec /out/check.sh > /out/check.log 2>&1'
ExecStopPost=/bin/systemctl --no-block poweroff
UNIT
cat > "$w/out/check.sh" <<'CHECK'
#!/bin/sh
U=leco-dbusd.service
B="org.leco.Overseer /org/leco/Overseer org.leco.Overseer1"
ok=0; bad=0
t() { if "$@" >/dev/null 2>&1; then echo "ok   $*"; ok=$((ok+1)); else echo "FAIL $*"; bad=$((bad+1)); fi; }
udp9() { python3 -c 'import socket
try: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", 9))
except OSError: pass'; }
systemd-sysusers
t systemctl start $U
PID=$(systemctl show -p MainPID --value $U)
grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/$PID/status
t test "$(readlink /proc/$PID/ns/net)" != "$(readlink /proc/1/ns/net)"
t test "$(awk '/^CapEff/ {print $2}' /proc/$PID/status)" = 0000000000000000
t busctl call $B ListTraffic
t sh -c "busctl get-property $B KernelHooks | grep -q tcp-state"
nft add table inet lecochk && nft add chain inet lecochk out '{ type filter hook output priority 0; }' && nft add rule inet lecochk out udp dport 9 drop
udp9; sleep 1
t sh -c "journalctl MESSAGE_ID=4f0b1e6c9d2a4c8e9a1b7d3f5e6a2c10 -o verbose | grep -q LECO_KERNEL_REASON=NETFILTER_DROP"
t sh -c "busctl call $B ListBlocked u 5 | grep -q NETFILTER_DROP"
t systemctl restart $U
t sh -c "journalctl -u $U -o cat | grep -q 'already loaded'"
t systemctl stop $U
t busctl call org.leco.Overseer /org/leco/Overseer org.freedesktop.DBus.Peer Ping
t systemctl is-active $U
L=$(systemctl show -p ExecStartPre --value $U | sed -n 's/.*path=\([^ ;]*\).*/\1/p')
t "$L" --unload --pin /sys/fs/bpf/leco
sleep 3
t "$L" --pin /sys/fs/bpf/leco --group "$(systemctl show -p Group --value $U)"
sleep 4
t sh -c "journalctl -u $U -o cat | grep -q 'following it'"
t busctl call $B ListTraffic
systemd-analyze security $U --no-pager | tail -1
journalctl -u $U -o cat --no-pager | tail -12
systemctl stop $U; "$L" --unload --pin /sys/fs/bpf/leco; nft delete table inet lecochk
echo "$ok passed, $bad failed"
CHECK
chmod +x "$w/out/check.sh"
timeout 400 systemd-nspawn -D "$w/root" --register=no --keep-unit --private-network --capability=all \
  --system-call-filter='bpf perf_event_open' --bind="$w/out:/out" --bind="$w/bpffs:/sys/fs/bpf" \
  -b -- systemd.unit=leco-check.target > "$w/boot.log" 2>&1 || { echo "systemd-nspawn failed:"; tail -20 "$w/boot.log"; }
cat "$w/out/check.log"
grep -q ' 0 failed$' "$w/out/check.log"
