// A cablecare client in TypeScript (docs/contract.md): start a fault case, send the technician's
// fire-and-forget signal, updates (two refused, with their reasons: an uncertified technician,
// and one person claiming to be another), and read the status query. Nothing here is Python:
// Temporal's gRPC API, JSON payloads, the documented AES-GCM codec and the actor header.
//
//   TEMPORAL_ADDRESS=127.0.0.1:7233 CABLECARE_CODEC_KEYS_FILE=../../var/codec-keys \
//   CABLECARE_TOKENS_FILE=tokens.json npm start
//
// tokens.json maps each staff id acting below to their token (`cablecare token issue --staff
// ID` under `cablecare dev`); without it the messages carry no token, which only a worker
// running with CABLECARE_AUTH=off accepts.
//
// Prints one JSON object with what it saw; exits 1 when the case does not behave as the
// contract says.
import { Client, Connection, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { actorToken, tokensFromEnv } from './actor';
import { AesGcmCodec, keysFromEnv } from './codec';

const env = process.env;
const TASK_QUEUE = 'cable-service';
const requestId = env.REQUEST_ID ?? `TS-${Date.now()}`;
const subscriberId = env.SUBSCRIBER_ID ?? 'SUB-000002';
const counterId = env.COUNTER_ID ?? 'CTR-HF-1';
const technicianId = env.TECHNICIAN_ID ?? 'T-HF-01-1';
const traineeId = env.TRAINEE_ID ?? 'T-HF-TRAINEE';
const dispatcherId = env.DISPATCHER_ID ?? 'DSP-HF';

interface Snapshot {
  state: string;
  technician_id: string | null;
  clock: { due_at: string | null; breached: boolean };
  timeline: { type: string; detail: string; rejected: boolean }[];
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`contract not met: ${what}`);
}

async function main(): Promise<void> {
  const keys = keysFromEnv();
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS ?? 'localhost:7233' });
  const tokens = tokensFromEnv();
  // One client per person acting: each stamps that person's token on what it sends.
  const clientFor = (staffId: string): Client =>
    new Client({
      connection,
      namespace: env.TEMPORAL_NAMESPACE ?? 'default',
      dataConverter: { payloadCodecs: keys ? [new AesGcmCodec(keys)] : [] },
      interceptors: { workflow: tokens[staffId] ? [actorToken(tokens[staffId])] : [] },
    });
  const asCounter = clientFor(counterId);
  const workflowId = `service-request-${requestId}`;
  const asTechnician = clientFor(technicianId).workflow.getHandle(workflowId);
  const asDispatcher = clientFor(dispatcherId).workflow.getHandle(workflowId);
  try {
    // Start: one JSON object, workflow id service-request-<request_id>, task queue cable-service.
    // The counter clerk who received the customer starts it (R2.1), with their own token.
    const handle = await asCounter.workflow.start('ServiceRequest', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [
        {
          request_id: requestId,
          kind: 'fault',
          severity: 'ordinary',
          subscriber_id: subscriberId,
          channel: 'online',
          received_by: [{ staff_id: counterId, rank: 1 }],
          description: 'No picture on any channel (sent from the TypeScript client)',
          materials: [],
        },
      ],
    });

    // Intake reads the directory and assigns the area's technician (R3.1): wait for it.
    let snap: Snapshot | undefined;
    for (let i = 0; i < 300 && !snap?.technician_id; i++) {
      try {
        snap = await handle.query<Snapshot>('status');
      } catch {
        // "still being registered", or the case failed at once: a refused start (no or a wrong
        // token, an unknown subscriber …) fails the workflow with the reason.
        if ((await handle.describe()).status.name !== 'RUNNING') {
          const failure = await handle.result().then(
            () => 'it completed',
            (err: unknown) => (err instanceof WorkflowFailedError ? err.cause?.message : undefined) ?? String(err),
          );
          throw new Error(`the case ended at intake: ${failure}`);
        }
      }
      if (!snap?.technician_id) await new Promise((r) => setTimeout(r, 100));
    }
    check(snap?.technician_id === technicianId, `assigned to ${technicianId}, got ${snap?.technician_id}`);
    const assignedState = snap!.state;

    // Signal technician_update: fire and forget, tagged with its type, sent as the technician.
    await asTechnician.signal('technician_update', {
      type: 'progress',
      technician_id: technicianId,
      status: 'en_route',
      note: 'on my way',
    });

    // Update report_progress: validated, answers the new status.
    const onSite = await asTechnician.executeUpdate<Snapshot, [object]>('report_progress', {
      args: [{ technician_id: technicianId, status: 'on_site' }],
    });
    check(onSite.state === 'in_progress', `in_progress after on_site, got ${onSite.state}`);

    // A refused update says why: the dispatcher may reassign, but only to a certified
    // technician (R8.1), which the trainee is not.
    let refusal = '';
    try {
      await asDispatcher.executeUpdate('assign', { args: [{ by: dispatcherId, technician_id: traineeId }] });
    } catch (err) {
      check(err instanceof WorkflowUpdateFailedError, `a refusal, got ${err}`);
      refusal = (err as WorkflowUpdateFailedError).cause?.message ?? '';
    }
    check(refusal.includes(traineeId), `the refusal names ${traineeId}: "${refusal}"`);

    // Who acts is verified, not claimed: the technician's client naming the dispatcher is refused
    // before the workflow sees it (only with tokens: a worker with auth off cannot tell).
    let impersonation = '';
    if (tokens[technicianId]) {
      try {
        await asTechnician.executeUpdate('assign', { args: [{ by: dispatcherId, technician_id: technicianId }] });
      } catch (err) {
        check(err instanceof WorkflowUpdateFailedError, `a refusal, got ${err}`);
        impersonation = (err as WorkflowUpdateFailedError).cause?.message ?? '';
      }
      check(impersonation.includes(technicianId), `the refusal names the verified actor: "${impersonation}"`);
    }

    const resolved = await asTechnician.executeUpdate<Snapshot, [object]>('resolve', {
      args: [{ by: technicianId, resolution: 'replaced the connector' }],
    });
    check(resolved.state === 'awaiting_callback', `awaiting_callback, got ${resolved.state}`);

    // Query status: the signal is in the timeline.
    const status = await handle.query<Snapshot>('status');
    const types = status.timeline.map((e) => e.type);
    check(types.includes('progress.en_route'), `the signal in the timeline: ${types.join(', ')}`);

    process.stdout.write(
      JSON.stringify({
        workflow_id: handle.workflowId,
        encrypted: keys !== undefined,
        assigned_state: assignedState,
        after_update: onSite.state,
        refusal,
        impersonation,
        final_state: status.state,
        timeline: types,
      }) + '\n',
    );
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
