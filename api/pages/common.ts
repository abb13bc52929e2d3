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

/** Stripe Checkout's origin: a form's POST redirects there, which CSP form-action must allow (browsers check redirects too). */
const STRIPE_CHECKOUT = 'https://checkout.stripe.com';

/** The public pages' Content-Security-Policy (@fastify/helmet adds a style nonce): no scripts at all, nothing framed, forms only to the page itself and Stripe Checkout. */
export const PAGE_CSP = {
  directives: {
    'default-src': ["'none'"], 'style-src': ["'self'"], 'img-src': ["'self'"], 'script-src': ["'none'"],
    'form-action': ["'self'", STRIPE_CHECKOUT], 'frame-ancestors': ["'none'"], 'base-uri': ["'none'"],
  },
};

/** The configured public URL (where Stripe must send the payer back to), else the request's own origin. */
export function publicBase(request: FastifyRequest, configured: string | undefined): string {
  return (configured ?? `${request.protocol}://${request.host}`).replace(/\/$/, '');
}
