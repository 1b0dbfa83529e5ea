#!/bin/sh
# Debian's chromium and a Chinese font for the browser tests (tests/test_browser.py).
# Playwright drives /usr/bin/chromium; it never downloads a browser of its own.
set -eu
if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei"; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-browser.sh: run as root (apt-get install chromium fonts-wqy-microhei)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei fontconfig >/dev/null
