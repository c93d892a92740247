#!/usr/bin/env bash
# Installs the Servicepunkt kiosk on Raspberry Pi OS (bookworm, 64-bit, Desktop) — run once
# as root on a fresh SD card, again after copying a newer release: it is idempotent.
#
#   sudo scripts/install-kiosk.sh                 # from a source checkout (pip into a venv)
#   sudo scripts/install-kiosk.sh --bundle dist/kiosk   # the PyInstaller one-folder build
#   scripts/install-kiosk.sh --root /tmp/stage --no-system  # lay out the files only (tests, images)
#   sudo scripts/install-kiosk.sh --bundle dist/kiosk --rotation 90   # a panel mounted turned
#
# --rotation 0|90|180|270: turn the picture clockwise by that much, and the touch with it (the
# official Touch Display 2 is 720x1280 portrait: 90 or 270 for landscape). --display-output NAME:
# the output to turn (default: the first connected DSI output, else the first connected one).
# Without --rotation a re-run keeps the rotation set before (0 on a first install).
#
# What it does: Debian packages; a `kiosk` user that logs in to the desktop automatically; the
# app in /opt/servicepunkt; /usr/local/bin/kiosk; /etc/servicepunkt (config, private to the
# kiosk user) and /var/lib/servicepunkt (data); the systemd unit with watchdog; udev rules;
# screen blanking off (X server, LightDM, console); X11 instead of Wayland (xset, SDL, xdotool).
# Then: `sudo kiosk provision` (docs/technician.md).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root=""
bundle=""
system=1
user=kiosk
rotation=""
display_output=""

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --bundle) bundle="$(cd "$2" && pwd)"; shift 2 ;;
    --no-system) system=0; shift ;;
    --user) user="$2"; shift 2 ;;
    --rotation) rotation="$2"; shift 2 ;;
    --display-output) display_output="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 2 ;;
  esac
done

case "$rotation" in
  ""|0|90|180|270) ;;
  *) echo "--rotation: 0, 90, 180 or 270 (degrees clockwise), not '$rotation'" >&2; exit 2 ;;
esac
if ! [[ "$display_output" =~ ^[A-Za-z0-9_-]*$ ]]; then
  echo "--display-output: an output name as 'xrandr --query' lists it, e.g. DSI-1" >&2
  exit 2
fi

if [ "$system" = 1 ] && [ "$(id -u)" -ne 0 ]; then
  echo "run as root: sudo $0 $*" >&2
  exit 1
fi

# Debian packages the app needs at run time: SDL/GL for Kivy, X tools to keep the screen on and
# hide the pointer, speech, the browser for video calls and e-services, and the venv to install into.
PACKAGES=(python3 python3-venv python3-dev libgl1 libgles2 libegl1 libmtdev1 libsdl2-2.0-0
          libsdl2-image-2.0-0 libsdl2-mixer-2.0-0 libsdl2-ttf-2.0-0 x11-xserver-utils unclutter
          espeak-ng chromium-browser fonts-dejavu-core)

install_packages() {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
  # ModemManager probes serial ports with AT commands; nothing on a kiosk needs it.
  systemctl disable --now ModemManager.service 2>/dev/null || true
}

create_user() {
  id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
  usermod -aG dialout,video,render,audio,systemd-journal "$user"
  # Not in `input`: the touchscreen is read by the X server alone (docs/technician.md, "Touch
  # and rotation"); a kiosk user who may open /dev/input/event* lets a second reader in.
  gpasswd -d "$user" input >/dev/null 2>&1 || true
}

install_app() {
  local opt="$root/opt/servicepunkt"
  mkdir -p "$opt" "$root/usr/local/bin"
  if [ -n "$bundle" ]; then
    rm -rf "$opt/kiosk.new" && cp -a "$bundle" "$opt/kiosk.new"
    rm -rf "$opt/kiosk" && mv "$opt/kiosk.new" "$opt/kiosk"
    real="/opt/servicepunkt/kiosk/kiosk"
  else
    python3 -m venv "$opt/venv"
    "$opt/venv/bin/pip" install -q --upgrade pip
    # The locked dependencies, checked against their hashes, then our code without resolving more.
    "$opt/venv/bin/pip" install -q --require-hashes -r "$here/requirements/kiosk.txt"
    "$opt/venv/bin/pip" install -q --no-deps "$here"
    real="/opt/servicepunkt/venv/bin/kiosk"
  fi
  # Root runs the commands as the kiosk user, so the files they make (the database, its WAL,
  # the device key) stay the app's. Only writing udev rules needs root.
  cat > "$root/usr/local/bin/kiosk" <<EOF
#!/bin/sh
if [ "\$(id -u)" -eq 0 ] && ! printf '%s\n' "\$@" | grep -qx stable-names; then
  exec runuser -u $user -- $real "\$@"
fi
exec $real "\$@"
EOF
  chmod 755 "$root/usr/local/bin/kiosk"
}

install_files() {
  install -d -m 0700 "$root/etc/servicepunkt" "$root/var/lib/servicepunkt"
  install -D -m 0644 "$here/deploy/servicepunkt-kiosk.service" "$root/etc/systemd/system/servicepunkt-kiosk.service"
  # The unit names the Debian package's /usr/bin/kiosk; this install's wrapper is in /usr/local/bin.
  sed -i 's#^ExecStart=/usr/bin/kiosk #ExecStart=/usr/local/bin/kiosk #' "$root/etc/systemd/system/servicepunkt-kiosk.service"
  install -D -m 0644 "$here/deploy/99-servicepunkt.rules" "$root/etc/udev/rules.d/99-servicepunkt.rules"
  # Screen blanking off for the X server LightDM starts, and for the text console.
  install -D -m 0644 "$here/deploy/lightdm-servicepunkt.conf" "$root/etc/lightdm/lightdm.conf.d/50-servicepunkt.conf"
  sed -i "s/^autologin-user=.*/autologin-user=$user/" "$root/etc/lightdm/lightdm.conf.d/50-servicepunkt.conf"
  if [ "$system" = 1 ]; then
    chown "$user:$user" "$root/etc/servicepunkt" "$root/var/lib/servicepunkt"
  fi
}

# X output rotation (xrandr's word) and libinput's CalibrationMatrix "a b c d e f 0 0 1", which
# maps the panel's own touch coordinates (0..1, unturned) to the turned screen's:
# x' = a*x + b*y + c, y' = d*x + e*y + f.
rotation_settings() {
  case "$1" in
    0) echo "normal|1 0 0 0 1 0 0 0 1" ;;
    90) echo "right|0 1 0 -1 0 1 0 0 1" ;;
    180) echo "inverted|-1 0 1 0 -1 1 0 0 1" ;;
    270) echo "left|0 -1 1 1 0 0 0 0 1" ;;
  esac
}

# The picture is turned by LightDM's display-setup script (as root, when the X server starts,
# the way Raspberry Pi OS's own screen configuration does it), the touch by X's libinput
# driver: one place for every program on the screen, the kiosk app and Chromium alike.
install_rotation() {
  local setup="$root/usr/local/lib/servicepunkt/display-setup"
  local touch="$root/etc/X11/xorg.conf.d/90-servicepunkt-touch.conf"
  if [ -z "$rotation" ] && [ -f "$setup" ] && [ -f "$touch" ]; then
    return  # a re-run keeps the rotation chosen before
  fi
  local degrees="${rotation:-0}" settings xrandr matrix
  settings="$(rotation_settings "$degrees")"
  xrandr="${settings%%|*}"
  matrix="${settings#*|}"
  mkdir -p "$(dirname "$setup")" "$(dirname "$touch")"
  cat > "$setup" <<SETUP
#!/bin/sh
# Written by install-kiosk.sh --rotation $degrees: the picture turned $degrees degrees clockwise.
# LightDM runs this as root when the X server starts (display-setup-script).
output="$display_output"
if [ -z "\$output" ]; then
  connected="\$(xrandr --query | awk '/ connected/ {print \$1}')"
  output="\$(printf '%s\n' "\$connected" | grep -m1 '^DSI' || printf '%s\n' "\$connected" | head -n1)"
fi
[ -n "\$output" ] && xrandr --output "\$output" --rotate $xrandr
exit 0
SETUP
  chmod 755 "$setup"
  cat > "$touch" <<TOUCH
# Written by install-kiosk.sh --rotation $degrees: touches turned with the picture, so a tap
# lands under the finger. Re-run the script with another --rotation to change it.
Section "InputClass"
    Identifier "servicepunkt touchscreen rotation"
    MatchIsTouchscreen "on"
    MatchDriver "libinput"
    Option "CalibrationMatrix" "$matrix"
EndSection
TOUCH
  chmod 644 "$touch"
}

configure_system() {
  # X11, not Wayland: the X server's blanking can be turned off and SDL/xdotool work as tested.
  command -v raspi-config >/dev/null && raspi-config nonint do_wayland W1 || true
  for cmdline in /boot/firmware/cmdline.txt /boot/cmdline.txt; do
    if [ -f "$cmdline" ] && ! grep -q consoleblank=0 "$cmdline"; then
      sed -i '1 s/$/ consoleblank=0/' "$cmdline"
      break
    fi
  done
  udevadm control --reload-rules && udevadm trigger --subsystem-match=tty
  systemctl daemon-reload
  systemctl enable servicepunkt-kiosk.service
}

if [ "$system" = 1 ]; then
  install_packages
  create_user
fi
install_app
install_files
install_rotation
if [ "$system" = 1 ]; then
  configure_system
  echo "Installed. Next: sudo kiosk provision   (see docs/technician.md), then reboot."
else
  echo "Files laid out under ${root:-/}."
fi
