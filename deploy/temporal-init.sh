#!/bin/sh
# The namespace of the compose cluster, with a 30-day retention. Safe to re-run.
# The Cs* search attributes, the Schedules and the rest come after it, from the `bootstrap`
# service (`cablecare bootstrap`), which knows them from the code.
set -eu
: "${TEMPORAL_ADDRESS:?}"
NAMESPACE=${TEMPORAL_NAMESPACE:-default}

until temporal operator cluster health --address "$TEMPORAL_ADDRESS"; do
  echo "waiting for Temporal at $TEMPORAL_ADDRESS"
  sleep 2
done

temporal operator namespace describe --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" >/dev/null 2>&1 ||
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" --retention 30d
echo "namespace $NAMESPACE is ready"
