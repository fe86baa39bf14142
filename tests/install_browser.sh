#!/usr/bin/env bash
# Debian's chromium + chromium-driver for the headless-browser demo test (tests/test_demo.py).
# Part of the README's test command: it installs them where they are missing and apt-get can (root on
# Debian/Ubuntu); anywhere else it says so and the two browser tests are skipped (pytest -ra lists them).
set -u
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's chromium and chromium-driver for the browser demo test"
    if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; then
        exit 0
    fi
    echo "apt-get could not install chromium; the browser demo test will be skipped" >&2
    exit 0
fi
echo "no chromium/chromedriver and no root apt-get here; the browser demo test will be skipped" \
     "(install chromium and chromium-driver to run it)" >&2
exit 0
