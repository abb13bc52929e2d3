/** Valid content of each activation page type (api/schemas/activation/content-versions.ts), for API tests. */
export const VALID_CONTENT: Record<string, Record<string, unknown>> = {
  activation: {
    headline: 'Welcome to Track15',
    subheadline: 'Your campaigns, planned as stories',
    body: [{ type: 'paragraph', text: 'Fifteen touchpoints.\nOne story.' }, { type: 'list', items: ['Planning', 'Sending', 'Reporting'] }],
    call_to_action: { label: 'Get started' },
    price_shown: { amount: 50_000, currency: 'usd' },
  },
  agreement: {
    headline: 'Our agreement',
    agreement_text: 'You agree to the terms.\n1. We run the campaign.\n2. You pay the activation fee.',
    accept_label: 'I accept',
    price_shown: { amount: 50_000, currency: 'usd' },
  },
  confirmation: { headline: 'Thank you', body: [{ type: 'heading', text: 'What happens next' }] },
  processing: { headline: 'Confirming your payment', body: [{ type: 'paragraph', text: 'This takes a moment.' }] },
};

/** A valid create body for each page type's create operation, keyed as the OpenAPI walk names them. */
export function contentVersionBodies(): Record<string, unknown> {
  return Object.fromEntries(Object.entries(VALID_CONTENT).map(([pageType, content]) => [
    `POST /v1/clients/{clientId}/pages/${pageType}/versions`, { content, hypothesis: 'Intruder hypothesis' },
  ]));
}
