import { z } from 'zod';
import { ClientParams, jsonObject, text, timestamp, uuid } from './common';

export const ClientCreate = z.strictObject({
  name: text().trim().min(1).max(255),
  metadata: jsonObject.default({}),
});

export const Client = z.object({
  id: uuid,
  name: z.string(),
  status: z.enum(['pending', 'active', 'paid', 'failed']),
  activation_token: z.string().nullable().describe('G and four digits: the code on the client\'s activation page'),
  metadata: z.record(z.string(), z.unknown()),
  created_at: timestamp,
  updated_at: timestamp,
});

export const ApiKeyCreate = z.strictObject({ name: text().trim().min(1).max(255).describe('What the key is for') });

export const ApiKey = z.object({
  id: uuid,
  client_id: uuid.nullable().describe('null for operator keys'),
  role: z.enum(['operator', 'client']),
  name: z.string(),
  key_prefix: z.string().describe('The first characters of the key, to recognise it'),
  created_at: timestamp,
  last_used_at: timestamp.nullable(),
  revoked_at: timestamp.nullable(),
});

export const IssuedApiKey = ApiKey.extend({ key: z.string().describe('The key itself: shown this once, stored only as a hash') });

export const ApiKeyParams = ClientParams.extend({ keyId: uuid });
export const OperatorKeyParams = z.strictObject({ keyId: uuid });
