import type { FastifyRequest } from 'fastify';
import { z } from 'zod';

export interface PageOptions {
  /** The HMAC secret of the signed links (give, manage). */
  secret: string;
  /** Where the public pages are reached from outside (PUBLIC_BASE_URL); Stripe sends donors back there. */
  publicBaseUrl?: string;
}

export const HtmlPage = z.string().describe('An HTML page for the donor (content type text/html)');

/** A browser asks for HTML; API clients and tools for JSON, and get problem+json. */
export function wantsHtml(request: FastifyRequest): boolean {
  return /\btext\/html\b/.test(request.headers.accept ?? '');
}
