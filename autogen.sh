#!/bin/sh
# Regenerate the autotools build (configure, Makefile.in).
set -e
cd "$(dirname "$0")"
autoreconf -fi
