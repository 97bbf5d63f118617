// Who is acting (docs/contract.md "Headers"): every start, update and signal carries the acting
// person's token in the Temporal header `cablecare_actor`, as a JSON string payload. The worker
// verifies it and refuses a message whose acting field (`by`, `technician_id`, `received_by` …)
// names anyone else. Headers are not passed through the payload codec, so the token travels as
// plain JSON (the gRPC connection carries it; use TLS outside a laptop).
import type { Payload } from '@temporalio/common';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import { readFileSync } from 'node:fs';

export const ACTOR_HEADER = 'cablecare_actor';

function tokenPayload(token: string): Payload {
  return {
    metadata: { encoding: new TextEncoder().encode('json/plain') },
    data: new TextEncoder().encode(JSON.stringify(token)),
  };
}

/** An interceptor that stamps one actor's token on every message its client sends. */
export function actorToken(token: string): WorkflowClientInterceptor {
  const header = tokenPayload(token);
  return {
    async startWithDetails(input, next) {
      return next({ ...input, headers: { ...input.headers, [ACTOR_HEADER]: header } });
    },
    async startUpdate(input, next) {
      return next({ ...input, headers: { ...input.headers, [ACTOR_HEADER]: header } });
    },
    async startUpdateWithStart(input, next) {
      return next({
        ...input,
        workflowStartHeaders: { ...input.workflowStartHeaders, [ACTOR_HEADER]: header },
        updateHeaders: { ...input.updateHeaders, [ACTOR_HEADER]: header },
      });
    },
    async signal(input, next) {
      return next({ ...input, headers: { ...input.headers, [ACTOR_HEADER]: header } });
    },
    async signalWithStart(input, next) {
      return next({ ...input, headers: { ...input.headers, [ACTOR_HEADER]: header } });
    },
  };
}

/**
 * Tokens by staff id, from the JSON object in the file named by CABLECARE_TOKENS_FILE
 * (`{"CTR-HF-1": "eyJ...", ...}`; in dev, `cablecare token issue --staff ID` prints one).
 * In production each person's own session supplies their token: a backend acting for many
 * people keeps one client (or one interceptor) per person, never one shared identity.
 */
export function tokensFromEnv(): Record<string, string> {
  const path = process.env.CABLECARE_TOKENS_FILE;
  if (!path) return {};
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${path}: not a JSON object`);
  return parsed as Record<string, string>;
}
