import { providerFailure } from '../../../activities/email/sendgrid';

/** How a SendGrid error becomes an activity failure: what Temporal retries. */

describe('providerFailure', () => {
  it.each([
    ['a network error (string code)', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), false],
    ['no code at all', new Error('socket hang up'), false],
    ['429', Object.assign(new Error('Too Many Requests'), { code: 429 }), false],
    ['503', Object.assign(new Error('Service Unavailable'), { code: 503 }), false],
    ['400', Object.assign(new Error('Bad Request'), { code: 400 }), true],
  ])('retries %s unless it is a 4xx', (_, error, nonRetryable) => {
    expect(providerFailure(error).nonRetryable).toBe(nonRetryable);
  });
});
