#!/usr/bin/env bash
# Refreshes the screenshots in docs/img/ from the real app under Xvfb: the end-to-end parcel
# test drives the kiosk like a person and saves what the screen shows at each step.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m pytest -q tests/e2e/test_parcel_flow.py
shots=test-output/test_staff_stores_a_parcel_and_a_resident_picks_it_up
for name in 02-home 03-staff-unknown-barcode-refused 04-staff-door-open 05-staff-code-shown 09-pickup-done; do
  cp "$shots/$name.png" "docs/img/${name#??-}.png"
done
echo "docs/img/ updated"
