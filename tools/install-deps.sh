#!/bin/sh
# Install what LECO needs on Debian 12+ / Ubuntu 22.04+ (as root).
#   tools/install-deps.sh build   compilers and libraries
#   tools/install-deps.sh run     build + what tools/run.sh drives (dbus-daemon, gdbus, busctl)
#   tools/install-deps.sh test    run + what the test suites drive (nftables, iproute2, python3)
#   tools/install-deps.sh bench   test + iperf3
# Idempotent: installs only what is missing, refreshes the package lists once a day at most.
set -eu
what=${1:-build}
export DEBIAN_FRONTEND=noninteractive

build="clang llvm libbpf-dev libelf-dev zlib1g-dev meson ninja-build pkg-config gcc libc6-dev
       libsystemd-dev libglib2.0-dev liburing-dev libgtk-4-dev libnotify-dev libdbusmenu-glib-dev"
run="dbus libglib2.0-bin systemd passwd"
test="python3 nftables iproute2 util-linux libxml2-utils
      xvfb x11-utils xdotool imagemagick dbus-bin dunst libnotify-bin haskell-gtk-sni-tray-utils
      desktop-file-utils appstream adwaita-icon-theme man-db groff-base libclang-rt-dev"
bench="iperf3 strace"

case $what in
  build) pkgs=$build ;;
  run) pkgs="$build $run" ;;
  test) pkgs="$build $run $test" ;;
  bench) pkgs="$build $run $test $bench" ;;
  *) echo "usage: $0 build|run|test|bench" >&2; exit 2 ;;
esac

if [ "$(id -u)" != 0 ]; then
  echo "install-deps: run as root (apt-get)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "install-deps: no apt-get here; install by hand: $pkgs bpftool" >&2
  exit 1
fi

# bpftool: its own package on Debian; part of linux-tools on Ubuntu
if ! command -v bpftool >/dev/null && [ ! -x /usr/sbin/bpftool ]; then
  pkgs="$pkgs BPFTOOL"
fi

missing=""
for p in $pkgs; do
  [ "$p" = BPFTOOL ] && { missing="$missing $p"; continue; }
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

stamp=/var/lib/apt/periodic/leco-update-stamp
if [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
  apt-get update -qq
  mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
real=""
for p in $missing; do
  if [ "$p" = BPFTOOL ]; then
    if apt-cache show bpftool >/dev/null 2>&1; then
      real="$real bpftool"
    else
      real="$real linux-tools-common linux-tools-generic"
      apt-cache show "linux-tools-$(uname -r)" >/dev/null 2>&1 && real="$real linux-tools-$(uname -r)"
    fi
  else
    real="$real $p"
  fi
done
echo "install-deps: installing$real"
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $real >/dev/null
