#!/usr/bin/env bash
# Runs every test project in the solution and ends with one plain summary line
# ("tests: N passed, N failed, N skipped"), exiting non-zero if anything failed.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
results="$root/build/test-results"
rm -rf "$results"; mkdir -p "$results"
dotnet test FaceMatch.sln -c Release --nologo --logger "trx" --results-directory "$results" \
  -- RunConfiguration.TreatNoTestsAsError=false 2>&1 | tee "$results/log.txt"
status=${PIPESTATUS[0]}
python3 - "$results" "$status" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for f in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(f).getroot().find(".//{*}Counters")
    if c is None: continue
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    skipped += int(c.get("notExecuted", 0))
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
if passed == 0 and int(sys.argv[2]) == 0:
    print("error: no test ran"); sys.exit(1)
PY
py=$?
[[ $status -eq 0 && $py -eq 0 ]]
