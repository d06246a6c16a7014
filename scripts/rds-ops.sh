#!/usr/bin/env bash
# The RDS operations rdsim implements against botocore's RDS model (the
# action table, controlplane/api/actions.c): "N of M", then the model's
# operations not implemented with --missing. Needs python3 with botocore.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - "${1:-}" <<'PY'
import gzip, json, os, re, sys
import botocore
model = os.path.join(os.path.dirname(botocore.__file__), "data/rds/2014-10-31/service-2.json.gz")
ops = set(json.load(gzip.open(model))["operations"])
table = open("controlplane/api/actions.c").read()
ours = set(re.findall(r'\{"(\w+)", \w+, (?:true|false)\}', table))
print(f"{len(ours & ops)} of {len(ops)} RDS operations (rdsim-only: {', '.join(sorted(ours - ops))})")
if sys.argv[1] == "--missing":
    print("\n".join(sorted(ops - ours)))
PY
