import type { Fixtures } from './fixtures';

/** Content of each activation page type, with characters that must be escaped (api/schemas/activation/content-versions.ts shapes). */
export const ACTIVATION_CONTENT = {
  activation: {
    headline: 'Raise more with <Track15>',
    subheadline: 'Fifteen touchpoints, one story',
    body: [{ type: 'paragraph', text: 'We plan your campaign.\nYou tell the story.' }, { type: 'list', items: ['Planning', 'Sending', 'Reporting'] }],
    call_to_action: { label: 'Read the agreement' },
    price_shown: { amount: 50_000, currency: 'usd' },
  },
  agreement: {
    headline: 'Our agreement',
    agreement_text: 'You agree to the terms.\n1. We run the campaign.\n2. You pay the activation fee.',
    accept_label: 'I accept the agreement',
    price_shown: { amount: 50_000, currency: 'usd' },
  },
  processing: { headline: 'Confirming your payment', body: [{ type: 'paragraph', text: 'This takes a moment.' }] },
  confirmation: { headline: 'You are activated', body: [{ type: 'heading', text: 'What happens next' }], call_to_action: { label: 'Watch your inbox' } },
};

export interface ActivationClient {
  clientId: string;
  token: string;
  versions: { activation: string; agreement: string; processing: string; confirmation: string };
}

let nextToken = 1000 + Math.floor(Math.random() * 8000);

/**
 * A client ready to activate, arranged as the table owner: its token, a current version of every page
 * type, and (unless `brand` is false) default brand guidelines with a colour and a logo. `settings`
 * sets clients columns (activation_amount, activation_day_length_seconds...).
 */
export async function activationClient(fixtures: Fixtures, name: string, options: { brand?: boolean; settings?: Record<string, unknown> } = {}): Promise<ActivationClient> {
  const clientId = await fixtures.client(name);
  const token = `G${String(nextToken++ % 10_000).padStart(4, '0')}`;
  const settings = { activation_token: token, ...options.settings };
  const columns = Object.keys(settings);
  await fixtures.query(`update clients set ${columns.map((column, i) => `${column} = $${i + 2}`).join(', ')} where id = $1`, [clientId, ...Object.values(settings)]);
  if (options.brand !== false) {
    await fixtures.query(
      `insert into brand_guidelines (client_id, brand_name, high_level_guidelines, is_default) values ($1, $2, $3, true)`,
      [clientId, name, JSON.stringify({ colors: { primary: [{ name: 'Harbour Teal', hex: '#00665C' }] }, logo: { primaryLogoUrl: 'https://cdn.example.org/logo.png' } })]);
  }
  const versions = {} as ActivationClient['versions'];
  for (const pageType of ['activation', 'agreement', 'processing', 'confirmation'] as const) {
    versions[pageType] = await fixtures.contentVersion(clientId, pageType, ACTIVATION_CONTENT[pageType], true);
  }
  return { clientId, token, versions };
}

/** The hidden fields and CSRF cookie of an agreement page, to post it as its form would. */
export function agreementForm(page: { body: string; headers: Record<string, string> }): { cookie: string; fields: Record<string, string> } {
  const cookie = (page.headers['set-cookie'] ?? '').split(';')[0];
  const fields = Object.fromEntries([...page.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
  return { cookie, fields };
}
