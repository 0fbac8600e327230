#!/usr/bin/env bash
# A software GPU for LiteRT's GPU accelerator (tests/test_gpu.py): the Vulkan loader and Mesa's lavapipe 25,
# which Dawn accepts (bookworm's Mesa 22 lavapipe it refuses). lavapipe 25 is in the bookworm-backports suite;
# the entry for it is made from the Debian entry this machine already has (same mirror, same key), so no host
# is written down here. Idempotent; exits 0 when the device is already there.
set -euo pipefail
icd=/usr/share/vulkan/icd.d/lvp_icd.json  # lavapipe's (Mesa 25 names it without the architecture)
if [ -f "$icd" ] && dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q '^2[5-9]'; then
  exit 0
fi
src=/etc/apt/sources.list.d/debian.sources
dst=/etc/apt/sources.list.d/edgegan-backports.sources
if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  # the first stanza of the machine's own entry (the main archive), with its suite swapped for backports
  awk 'BEGIN{RS=""; ORS="\n\n"} NR==1' "$src" | sed -E 's/^Suites:.*/Suites: bookworm-backports/' > "$dst"
fi
install() {
  apt-get update -qq && apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
}
install || { sleep 10; install; }  # one retry: a mirror's hiccup
test -f "$icd"
