import type { Brand } from './brand';
import { layout, pages } from './render';

/**
 * The HTML of the activation pages (issue 16), from a content version of each page type (the shapes in
 * api/schemas/activation/content-versions.ts), in the client's brand. Escaped like every public page
 * (api/pages/render.ts); multi-line text keeps its line breaks through CSS (white-space: pre-line), never
 * through markup. The agreement is a labelled, focusable region, so a keyboard user can scroll it, and
 * its acceptance is a labelled checkbox the form requires.
 */

export interface Block { type: 'heading' | 'paragraph' | 'list'; text?: string; items?: string[] }

interface Common { organisation: string; brand: Brand; headline: string; body: Block[] }

export interface ActivationView extends Common { subheadline: string | null; price: string; callToAction: string; agreementUrl: string }
export interface AgreementView extends Common {
  agreementText: string; acceptLabel: string; price: string; charge: string;
  csrfToken: string; agreementVersionId: string; activationVersionId: string | null; submissionId: string; errors: string[];
}
export interface OutcomeView extends Common { callToAction: string | null; refreshUrl: string | null }

pages.registerPartial('activationTop', `
{{#if brand.logoUrl}}<img class="logo" src="{{brand.logoUrl}}" alt="{{organisation}}">{{/if}}
<h1>{{headline}}</h1>
<p class="org">{{organisation}}</p>`);

pages.registerPartial('activationBlocks', `
<div class="blocks">
{{#each body}}
{{#if (eq type "heading")}}<h2>{{text}}</h2>{{/if}}
{{#if (eq type "paragraph")}}<p>{{text}}</p>{{/if}}
{{#if (eq type "list")}}<ul>{{#each items}}<li>{{this}}</li>{{/each}}</ul>{{/if}}
{{/each}}
</div>`);

pages.registerHelper('eq', (a: unknown, b: unknown) => a === b);

const ACTIVATION = pages.compile(`
{{> activationTop}}
{{#if subheadline}}<p>{{subheadline}}</p>{{/if}}
{{> activationBlocks}}
<p class="price">{{price}}</p>
<a class="button" href="{{agreementUrl}}">{{callToAction}}</a>`);

const AGREEMENT = pages.compile(`
{{> activationTop}}
{{> activationBlocks}}
<h2 id="agreement-heading">The agreement</h2>
<div class="agreement" role="region" aria-labelledby="agreement-heading" tabindex="0">{{agreementText}}</div>
{{#if errors.length}}<div role="alert" id="form-errors">{{#each errors}}<p class="error">{{this}}</p>{{/each}}</div>{{/if}}
<form method="post" novalidate>
  <input type="hidden" name="_csrf" value="{{csrfToken}}">
  <input type="hidden" name="agreement_version_id" value="{{agreementVersionId}}">
  {{#if activationVersionId}}<input type="hidden" name="activation_version_id" value="{{activationVersionId}}">{{/if}}
  <input type="hidden" name="submission_id" value="{{submissionId}}">
  <p class="price">{{price}}</p>
  <div class="choice"><input type="checkbox" id="accept" name="accept" value="yes"{{#if errors.length}} aria-invalid="true" aria-describedby="form-errors"{{/if}}><label for="accept">{{acceptLabel}}</label></div>
  <button type="submit">Accept and continue to payment</button>
  <p class="note">You will pay {{charge}} on Stripe's secure checkout page.</p>
</form>`);

const OUTCOME = pages.compile(`
{{> activationTop}}
{{> activationBlocks}}
{{#if callToAction}}<p><strong>{{callToAction}}</strong></p>{{/if}}
{{#if refreshUrl}}<p><a class="button secondary" href="{{refreshUrl}}">Check again</a></p>{{/if}}`);

export function activationPage(view: ActivationView, nonce: string): string {
  return layout(view.headline, nonce, ACTIVATION(view), view.brand.theme);
}

export function agreementPage(view: AgreementView, nonce: string): string {
  return layout(view.headline, nonce, AGREEMENT(view), view.brand.theme);
}

/** The processing page (with a link to check again) or the confirmation page. */
export function outcomePage(view: OutcomeView, nonce: string): string {
  return layout(view.headline, nonce, OUTCOME(view), view.brand.theme);
}
