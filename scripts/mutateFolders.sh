#!/usr/bin/env bash
# Mutation testing one folder at a time (docs/development.md, mutation testing). Each folder keeps its own
# incremental file and report, so a session that runs out of time keeps every folder it finished, and a
# rerun tests only what changed. Prints the merged per-folder table at the end.
#   bash scripts/mutateFolders.sh reconcile backfill
#   bash scripts/mutateFolders.sh 'operator-sync=shared/operator/syncResources.ts,shared/operator/sendResources.ts'
# CONCURRENCY (default 2) sets Stryker's test runners.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p reports/mutation
reports=()
for spec in "$@"; do
  name=${spec%%=*}
  globs=${spec#*=}
  [ "$globs" = "$spec" ] && globs="shared/$spec/**/*.ts"
  name=${name//\//-}
  echo "=== $name: $globs ($(date +%T))"
  if npx stryker run --concurrency "${CONCURRENCY:-2}" --mutate "$globs" \
    --incrementalFile "reports/mutation/inc-$name.json"; then
    cp reports/mutation/mutation.json "reports/mutation/$name.json"
    reports+=("reports/mutation/$name.json")
  else
    echo "=== $name: Stryker failed; no report kept" >&2
  fi
done
[ ${#reports[@]} -gt 0 ] && npx tsx scripts/mutationScores.ts "${reports[@]}"
