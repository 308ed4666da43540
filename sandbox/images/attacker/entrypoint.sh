#!/bin/sh
# Entrypoint of the attacker role: the man in the middle on :25 and its control API on :8080, as user attacker.
set -eu
: "${LAB_SUBNET:?LAB_SUBNET is required (e.g. 10.231.7)}"
# A small heap: it relays a few test messages and keeps nothing in memory.
exec /usr/bin/node --max-old-space-size=24 --max-semi-space-size=1 /opt/attacker/attacker.mjs
