#!/usr/bin/env bash
# Runs the tests marked `keychain` against a REAL Secret Service: a throw-away
# gnome-keyring-daemon, unlocked with a throw-away password, on a private D-Bus session
# bus. HOME and the XDG dirs point at a temp dir, so no real keyring is ever touched.
#
#   scripts/test-keychain.sh            # extra arguments go to pytest
#
# Installs what is missing (gnome-keyring, dbus) with apt-get, as root or through sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}

missing=()
command -v gnome-keyring-daemon >/dev/null 2>&1 || missing+=(gnome-keyring)
{ command -v dbus-run-session && command -v dbus-daemon && command -v dbus-send; } \
  >/dev/null 2>&1 || missing+=(dbus)
if ((${#missing[@]})); then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "test-keychain: please install: ${missing[*]} (and dbus-run-session)" >&2
    exit 1
  fi
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "test-keychain: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
"$PY" -c "import secretstorage" 2>/dev/null || {
  echo "test-keychain: secretstorage is missing from the venv (pip install -e '.[dev]')" >&2
  exit 1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/contactdesk-keychain.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/data" "$tmp/config" "$tmp/cache" "$tmp/run"
chmod 700 "$tmp/run"
export HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" \
  XDG_CACHE_HOME="$tmp/cache" XDG_RUNTIME_DIR="$tmp/run"
# Let keyring find its backend the normal way, as the app will.
unset PYTHON_KEYRING_BACKEND GNOME_KEYRING_CONTROL SSH_AUTH_SOCK
export QT_QPA_PLATFORM=offscreen QT_API=pyside6
# Throw-away; the locked-keychain test uses it to unlock the collection again.
export CONTACTDESK_TEST_KEYRING_PASSWORD="throwaway-test-password"

# shellcheck disable=SC2016  # expanded by the inner shell
dbus-run-session -- bash -c '
  set -euo pipefail
  # Starts the daemon, creates the "login" keyring with this password and unlocks it.
  eval "$(printf %s "$CONTACTDESK_TEST_KEYRING_PASSWORD" |
    gnome-keyring-daemon --unlock --components=secrets 2>"$XDG_RUNTIME_DIR/gkd.log")"
  export GNOME_KEYRING_CONTROL
  # The daemon forks; wait (up to 10 s) until it answers on the bus.
  for _ in $(seq 100); do
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
      grep -q "boolean true" && break
    sleep 0.1
  done
  exec "$0" -m pytest -p no:cacheprovider -m keychain -q "$@"
' "$PY" "$@"
