#!/bin/sh
# The namespace and the custom search attributes of CONTRACT.md on the compose cluster.
# Keep the list in sync with cablecare/search_attributes.py (tests/test_deploy.py checks it).
# Safe to re-run: existing ones are left alone.
set -eu
: "${TEMPORAL_ADDRESS:?}"
NAMESPACE=${TEMPORAL_NAMESPACE:-default}

until temporal operator cluster health --address "$TEMPORAL_ADDRESS"; do
  echo "waiting for Temporal at $TEMPORAL_ADDRESS"
  sleep 2
done

temporal operator namespace describe --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" >/dev/null 2>&1 ||
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" --retention 30d

existing=$(temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE")
for attribute in \
  CsKind=Keyword CsState=Keyword CsAreaId=Keyword CsOwnerId=Keyword \
  CsTechnicianId=Keyword CsPriority=Keyword CsDueAt=Datetime CsBreached=Bool; do
  name=${attribute%%=*}
  type=${attribute#*=}
  if echo "$existing" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" -n "$NAMESPACE" \
      --name "$name" --type "$type"
  fi
done
echo "namespace $NAMESPACE and search attributes are ready"
