#!/usr/bin/env bash
# The dashboard's browser tests drive Debian's headless Chromium. Installs it (as root, from Debian's packages)
# when it is missing; otherwise says how to.
source "$(dirname "$0")/lib.sh"

[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" != 0 ]; then
  warn "Chromium is missing: the browser tests need it (sudo apt-get install chromium)"
  exit 0
fi
say "installing Chromium from Debian's packages for the browser tests (apt-get)"
{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$LOGS/chromium-install.log" 2>&1 ||
  die "could not install Chromium (see $LOGS/chromium-install.log)"
