import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { withClient } from '../../domain/db/tenancy';
import { type UnsubscribeClaims, verifyUnsubscribeToken } from '../../domain/email/unsubscribe-token';
import { invalid } from '../problem';
import { problems, text } from '../schemas/common';
import { queueSuppressionSync, updatePreference } from '../services/notification-preferences';

export interface UnsubscribeOptions { secret: string }

const TokenParams = z.strictObject({
  token: text().min(1).max(1000).describe('The signed token of the email\'s List-Unsubscribe link'),
});
/**
 * What RFC 8058 says a mail client posts. Documentation only: the body is read and dropped unchecked,
 * because a client that sends it another way (multipart, empty, another value) still means "unsubscribe".
 */
const OneClick = z.object({ 'List-Unsubscribe': z.literal('One-Click') }).nullish();
/** Links get tracking parameters appended (utm_source, ...); none of them changes what the link does. */
const ANY_QUERY = z.object({});
/** What the clients post is one short field; a larger body is not a mail client's. */
const BODY_LIMIT_BYTES = 64 * 1024;
const HtmlPage = z.string().describe('An HTML page for the donor (content type text/html)');
const tags = ['unsubscribe'];

/**
 * One-click unsubscribe (RFC 8058). Mail clients POST to the List-Unsubscribe URL; a donor who opens it
 * in a browser gets a confirmation page whose button POSTs, so link scanners that prefetch GETs never
 * unsubscribe anyone. The signed token is the only credential: it names the client and the donor. A
 * valid token always unsubscribes, whatever body, content type or extra query parameters come with it;
 * only a bad or expired token is refused (400 naming `params.token`).
 */
const unsubscribeRoutes: FastifyPluginAsyncZod<UnsubscribeOptions> = async (app, options) => {
  // RFC 8058 §3.1: mail clients POST `List-Unsubscribe=One-Click` as form-urlencoded or (SHOULD)
  // multipart/form-data; some post nothing at all. The signed token alone decides, so any body of any
  // content type is read up to the limit and dropped (this scope only: the API keeps its own parsers).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES }, (_request, _body, done) => done(null, null));
  const claimsOf = (token: string): UnsubscribeClaims => {
    const claims = verifyUnsubscribeToken(token, options.secret, Date.now());
    if (!claims) throw invalid([{ field: 'params.token', message: 'this unsubscribe link is invalid or has expired' }]);
    return claims;
  };

  app.get('/unsubscribe/:token', {
    schema: {
      summary: 'The confirmation page of an unsubscribe link (changes nothing)', tags,
      params: TokenParams, querystring: ANY_QUERY,
      response: { 200: HtmlPage, ...problems(400, 500) },
    },
  }, async (request, reply) => {
    claimsOf(request.params.token);
    return reply.type('text/html; charset=utf-8').send(page(
      'Unsubscribe from campaign emails?',
      `<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
    ));
  });

  app.post('/unsubscribe/:token', {
    schema: {
      summary: 'One-click unsubscribe (RFC 8058): the donor stops receiving campaign (marketing) email at once', tags,
      params: TokenParams, querystring: ANY_QUERY, body: OneClick, consumes: ['application/x-www-form-urlencoded', 'multipart/form-data'],
      response: { 200: HtmlPage, ...problems(400, 413, 500, 503) },
    },
  }, async (request, reply) => {
    const { clientId, donorId } = claimsOf(request.params.token);
    const found = await withClient(request.em, clientId, async (em) => {
      const [donor] = await em.execute('select 1 from donors where id = ?', [donorId]);
      if (donor) await updatePreference(em, clientId, donorId, 'marketing', { unsubscribed: true });
      return Boolean(donor);
    });
    // A donor erased since the send has nothing left to unsubscribe: the answer is the same.
    if (found) await queueSuppressionSync(app.lifecycle, { clientId, donorId });
    return reply.type('text/html; charset=utf-8').send(page('You are unsubscribed', '<p>You will not receive campaign emails from us any more.</p>'));
  });
};

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
}

export default unsubscribeRoutes;
