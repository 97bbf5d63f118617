// The payload encryption of cablecare (docs/contract.md "Payload encryption"), in TypeScript:
//   metadata: {"encoding": "binary/encrypted", "encryption-key-id": "<key id>"}
//   data:     12-byte random nonce || AES-GCM(key, nonce, serialized Payload protobuf) || 16-byte tag
// Keys as for the Python side: CABLECARE_CODEC_KEYS="id:base64key,..." or a file of such lines in
// CABLECARE_CODEC_KEYS_FILE; the first key encrypts, every key decrypts.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = temporal.api.common.v1.Payload;

export function parseKeys(spec: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  const entries = spec
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .flatMap((line) => line.split(','))
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const at = entry.indexOf(':');
    if (at < 1) throw new Error('codec key entry without "id:" prefix');
    const key = Buffer.from(entry.slice(at + 1).trim(), 'base64');
    if (![16, 24, 32].includes(key.length)) throw new Error(`key ${entry.slice(0, at)}: bad length`);
    keys.set(entry.slice(0, at).trim(), key);
  }
  if (keys.size === 0) throw new Error('no codec key given');
  return keys;
}

/** The keys of the environment, or undefined when payloads travel in clear. */
export function keysFromEnv(env: NodeJS.ProcessEnv = process.env): Map<string, Buffer> | undefined {
  if (env.CABLECARE_CODEC_KEYS) return parseKeys(env.CABLECARE_CODEC_KEYS);
  if (env.CABLECARE_CODEC_KEYS_FILE) return parseKeys(readFileSync(env.CABLECARE_CODEC_KEYS_FILE, 'utf8'));
  return undefined;
}

function algorithm(key: Buffer): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  return key.length === 16 ? 'aes-128-gcm' : key.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm';
}

export class AesGcmCodec implements PayloadCodec {
  private readonly activeId: string;

  constructor(private readonly keys: Map<string, Buffer>) {
    this.activeId = keys.keys().next().value as string;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const key = this.keys.get(this.activeId)!;
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv(algorithm(key), key, nonce);
      const plain = ProtoPayload.encode(payload).finish();
      const sealed = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          encoding: Buffer.from(ENCODING),
          [KEY_ID]: Buffer.from(this.activeId),
        },
        data: Buffer.concat([nonce, sealed]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.encoding;
      if (!encoding || Buffer.from(encoding).toString() !== ENCODING) return payload;
      const keyId = Buffer.from(payload.metadata?.[KEY_ID] ?? new Uint8Array()).toString();
      const key = this.keys.get(keyId);
      if (!key) throw new Error(`payload encrypted with key ${keyId}, which is not configured`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      const nonce = data.subarray(0, NONCE_BYTES);
      const tag = data.subarray(data.length - TAG_BYTES);
      const decipher = createDecipheriv(algorithm(key), key, nonce);
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([
        decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return ProtoPayload.decode(plain) as Payload;
    });
  }
}
