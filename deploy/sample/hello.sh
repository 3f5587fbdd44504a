#!/usr/bin/env bash
set -euo pipefail
for i in 1 2 3; do echo "step output line $i"; done
