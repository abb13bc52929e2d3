import Handlebars from 'handlebars';
import type { Theme } from './brand';

/**
 * The public pages' HTML: Handlebars templates compiled once, in an instance of their own. `{{ }}`
 * escapes every value (names, headlines and amounts come from clients and donors); the only unescaped
 * output is the layout's `{{{content}}}`, which is another of these templates' own rendering.
 *
 * Accessibility (WCAG 2.2 AA): a lang attribute, one h1, every control labelled, radio groups in a
 * fieldset with a legend, a visible focus ring, text and button colours at 4.5:1 or more against their
 * background (#1f2933 on #fff is 14.5:1, #fff on #0b4f8a is 8.4:1, the error red #9b1c1c on #fff 7.5:1).
 */
export const pages = Handlebars.create();

const LAYOUT = pages.compile(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}}</title>
<style nonce="{{nonce}}">
  body { font: 1.125rem/1.5 system-ui, sans-serif; color: #1f2933; background: #fff; margin: 0; }
  main { max-width: 34rem; margin: 2rem auto; padding: 0 1rem; }
  h1 { font-size: 1.75rem; margin: 0 0 .25rem; }
  .org { color: #3e4c59; margin: 0 0 1.5rem; }
  fieldset { border: 1px solid #616e7c; border-radius: .5rem; margin: 0 0 1.25rem; padding: .75rem 1rem 1rem; }
  legend { font-weight: 600; padding: 0 .25rem; }
  .choice { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; margin: .4rem 0; }
  .choice input { width: 1.25rem; height: 1.25rem; margin: 0; }
  label { cursor: pointer; }
  input[type=text] { font: inherit; padding: .4rem .5rem; border: 1px solid #616e7c; border-radius: .25rem; width: 9rem; }
  button, .button { font: inherit; font-weight: 600; color: #fff; background: #0b4f8a; border: 0; border-radius: .4rem; padding: .7rem 1.4rem; cursor: pointer; text-decoration: none; display: inline-block; }
  .secondary { color: #0b4f8a; background: #fff; border: 2px solid #0b4f8a; }
  :focus-visible { outline: 3px solid #b45309; outline-offset: 2px; }
  .error { color: #9b1c1c; font-weight: 600; }
  .note { color: #3e4c59; font-size: 1rem; }
  .logo { display: block; max-width: 12rem; max-height: 5rem; margin: 0 0 1rem; }
  .blocks p, .agreement { white-space: pre-line; }
  .agreement { border: 1px solid #616e7c; border-radius: .5rem; padding: .75rem 1rem; max-height: 20rem; overflow-y: auto; margin: 0 0 1.25rem; }
  .price { font-weight: 600; }
{{#if theme}}
  h1, h2 { color: {{theme.heading}}; }
  button, .button { color: {{theme.onPrimary}}; background: {{theme.primary}}; }
  .secondary { color: {{theme.heading}}; background: #fff; border-color: {{theme.heading}}; }
  {{#if theme.fontStack}}body { font-family: {{theme.fontStack}}; }{{/if}}
{{/if}}
</style>
</head>
<body>
<main>
{{{content}}}
</main>
</body>
</html>`);

export interface Amount { value: string; label: string; checked: boolean }

export interface GiveView {
  title: string;
  organisation: string;
  headline: string | null;
  summary: string | null;
  currency: string;
  amounts: Amount[];
  customChecked: boolean;
  customValue: string;
  monthly: boolean;
  csrfToken: string;
  /** Shown above the form, e.g. why the previous submission was refused. */
  errors: string[];
  /** Why this gift goes to the organisation, not to the email that sent the link (null when it is attributed). */
  unattributedNotice: string | null;
}

const GIVE = pages.compile(`
<h1>{{#if headline}}{{headline}}{{else}}Give to {{organisation}}{{/if}}</h1>
<p class="org">{{organisation}}</p>
{{#if unattributedNotice}}<p>{{unattributedNotice}}</p>{{/if}}
{{#if summary}}<p>{{summary}}</p>{{/if}}
{{#if errors.length}}<div role="alert" id="form-errors">{{#each errors}}<p class="error">{{this}}</p>{{/each}}</div>{{/if}}
<form method="post" novalidate>
  <input type="hidden" name="_csrf" value="{{csrfToken}}">
  <fieldset>
    <legend>Choose an amount ({{currency}})</legend>
    {{#each amounts}}
    <div class="choice"><input type="radio" id="amount-{{@index}}" name="amount" value="{{value}}"{{#if checked}} checked{{/if}}><label for="amount-{{@index}}">{{label}}</label></div>
    {{/each}}
    <div class="choice"><input type="radio" id="amount-custom" name="amount" value="custom"{{#if customChecked}} checked{{/if}}><label for="amount-custom">Another amount</label></div>
    <div class="choice"><label for="custom-amount">Other amount in {{currency}}</label><input type="text" id="custom-amount" name="custom_amount" inputmode="decimal" autocomplete="transaction-amount" value="{{customValue}}"></div>
  </fieldset>
  <fieldset>
    <legend>How often</legend>
    <div class="choice"><input type="radio" id="frequency-once" name="frequency" value="once"{{#unless monthly}} checked{{/unless}}><label for="frequency-once">One time</label></div>
    <div class="choice"><input type="radio" id="frequency-monthly" name="frequency" value="monthly"{{#if monthly}} checked{{/if}}><label for="frequency-monthly">Every month</label></div>
  </fieldset>
  <button type="submit">Continue to secure payment</button>
  <p class="note">You will pay on Stripe's secure checkout page. Amounts are in {{currency}}.</p>
</form>`);

const MESSAGE = pages.compile(`
<h1>{{heading}}</h1>
{{#each paragraphs}}<p>{{this}}</p>{{/each}}`);

export interface ManageView { organisation: string; amount: string; status: 'active' | 'cancelled'; csrfToken: string; confirm: boolean }

const MANAGE = pages.compile(`
<h1>Your monthly gift to {{organisation}}</h1>
{{#if cancelled}}
<p>Your monthly gift of {{amount}} is cancelled. No further payments will be taken.</p>
{{else}}
<p>You give {{amount}} every month. Thank you.</p>
{{#if confirm}}
<form method="post">
  <input type="hidden" name="_csrf" value="{{csrfToken}}">
  <input type="hidden" name="confirm" value="yes">
  <p><strong>Cancel your monthly gift of {{amount}}?</strong> No further payments will be taken; gifts already made are not refunded.</p>
  <button type="submit">Yes, cancel my monthly gift</button>
  <a class="button secondary" href="?">No, keep it</a>
</form>
{{else}}
<form method="get">
  <input type="hidden" name="step" value="confirm">
  <button type="submit">Cancel my monthly gift</button>
</form>
{{/if}}
{{/if}}`);

/** A whole page around `content` (another template's rendering); `theme` puts a client's brand on it (api/pages/brand.ts). */
export function layout(title: string, nonce: string, content: string, theme: Theme | null = null): string {
  return LAYOUT({ title, nonce, content, theme });
}

export function givePage(view: GiveView, nonce: string): string {
  return layout(view.title, nonce, GIVE(view));
}

export function messagePage(heading: string, paragraphs: string[], nonce: string): string {
  return layout(heading, nonce, MESSAGE({ heading, paragraphs }));
}

export function managePage(view: ManageView, nonce: string): string {
  return layout(`Your monthly gift to ${view.organisation}`, nonce, MANAGE({ ...view, cancelled: view.status === 'cancelled' }));
}
