"""Replay determinism of identity (issue 10): a history recorded with tokens signed by key A
replays to the same outcome after the IdP rotated to key B and A left its JWKS, because a
verdict is a pure function of (token, the append-only key archive, workflow time).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import pydantic
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from cablecare.auth.keys import KeyArchive
from cablecare.domain import CaseState
from starter.service_request import start_service_request
from tests.cases import COUNTER, DISPATCHER, OTHER_TECH, new_request, wait_for
from tests.identity_helpers import ISSUER, Idp, SigningKey, identity_worker, pin
from worker.identity import ActorInterceptor, IdentityGate
from worker.key_sync import read_archive
from worker.registry import workflow_classes
from workflows.service_request.messages import AssignUpdate, ResolveUpdate
from workflows.service_request.workflow import ServiceRequest

PROGRESS = {"type": "progress", "technician_id": "T-HF-01-2", "status": "on_site"}


def replayer(idp: Idp, archive: KeyArchive) -> Replayer:
    gate = IdentityGate(rules=idp.gate.rules, archive=lambda: archive)
    return Replayer(
        workflows=workflow_classes(),
        interceptors=[ActorInterceptor(gate)],
        data_converter=pydantic_data_converter,
        workflow_failure_exception_types=[pydantic.ValidationError],
    )


async def test_replay_after_signing_key_rotation_gives_the_same_outcome(
    client: Client, tmp_path: Path
) -> None:
    # Key changes take effect after a short delay here (an operational setting, default 5 min),
    # so that step 4 can watch a retirement take effect in real time; the workers re-read the
    # archive more often than that, as in production.
    async with identity_worker(
        client, tmp_path, auth_key_delay_seconds=3, auth_key_sync_seconds=1
    ) as idp:
        key_a = idp.key
        key_b = SigningKey(kid=f"B-{uuid.uuid4().hex[:6]}")
        # B is published next to A ahead of use, as IdPs rotate (a key missing from the JWKS
        # is retired for good, so an unpublished key cannot be pinned).
        pin(idp.settings.database_url, key_b)
        idp.publish(key_a, key_b)
        idp.sync.sync_once()
        long = timedelta(days=2)  # the case is fast-forwarded below

        # 1. Record: a start, an update, a forged signal and a genuine one, all signed by A.
        handle = await start_service_request(
            idp.as_actor(idp.token(COUNTER, ttl=long)), new_request(), task_queue=idp.queue
        )
        await wait_for(handle, lambda s: s.state == CaseState.ASSIGNED)
        by_a = idp.as_actor(idp.token(DISPATCHER, ttl=long)).get_workflow_handle(handle.id)
        await by_a.execute_update(
            ServiceRequest.assign, AssignUpdate(by=DISPATCHER, technician_id="T-HF-01-2")
        )
        forged = idp.as_actor(idp.token(OTHER_TECH, ttl=long)).get_workflow_handle(handle.id)
        await forged.signal("technician_update", PROGRESS)
        tech = idp.as_actor(idp.token("T-HF-01-2", ttl=long)).get_workflow_handle(handle.id)
        await tech.signal("technician_update", PROGRESS)
        recorded = await wait_for(handle, lambda s: s.state == CaseState.IN_PROGRESS)
        assert [e.type for e in recorded.timeline].count("signal.rejected") == 1
        before_rotation = await handle.fetch_history()

        # 2. Rotate: the IdP now publishes only B. A is retired in the archive, never forgotten.
        idp.key = key_b
        idp.publish(key_b)
        archive = idp.sync.sync_once()
        retired = archive.find(ISSUER, key_a.kid)
        assert retired is not None and retired.retired_at is not None

        # 3. Replay with the archive as a fresh worker reads it: same verdicts, no
        #    nondeterminism (the start, the update and both signals are verified again).
        fresh = read_archive(idp.settings.database_url)
        result = await replayer(idp, fresh).replay_workflow(
            before_rotation, raise_on_replay_failure=False
        )
        assert result.replay_failure is None

        # The replay can fail: an archive that forgot key A refuses the recorded start.
        forgetful = KeyArchive(
            {k: v for k, v in fresh.keys.items() if v.kid != key_a.kid}, synced_at=fresh.synced_at
        )
        result = await replayer(idp, forgetful).replay_workflow(
            before_rotation, raise_on_replay_failure=False
        )
        assert result.replay_failure is not None

        # 4. Past the retirement delay, A no longer signs; B does.
        await asyncio.sleep(idp.settings.auth_key_delay_seconds + 1)
        old = idp.as_actor(idp.token("T-HF-01-2", ttl=long, key=key_a))
        try:
            await old.get_workflow_handle(handle.id).execute_update(
                ServiceRequest.resolve, ResolveUpdate(by="T-HF-01-2", resolution="fixed")
            )
            raise AssertionError("a token signed by the retired key was accepted")
        except WorkflowUpdateFailedError as refused:
            assert "not trusted" in str(getattr(refused.cause, "message", ""))
        new = idp.as_actor(idp.token("T-HF-01-2", ttl=long)).get_workflow_handle(handle.id)
        snap = await new.execute_update(
            ServiceRequest.resolve, ResolveUpdate(by="T-HF-01-2", resolution="fixed")
        )
        assert snap.state in (CaseState.RESOLVED, CaseState.AWAITING_CALLBACK)

        # 5. The whole history, both keys, replays after the rotation.
        result = await replayer(idp, read_archive(idp.settings.database_url)).replay_workflow(
            await handle.fetch_history(), raise_on_replay_failure=False
        )
        assert result.replay_failure is None
