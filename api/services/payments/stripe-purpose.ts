import type { Workflow } from '@temporalio/client';
import type Stripe from 'stripe';

/** The workflow that applies one verified Stripe event, with the small input it needs (workflow history stays small). */
export interface StripeEventStart {
  workflow: Workflow;
  input: unknown;
}

/** Pairs a workflow with its input, type-checked here so the dispatcher can treat every purpose alike. */
export function startWith<I>(workflow: (input: I) => Promise<unknown>, input: I): StripeEventStart {
  return { workflow, input };
}

/** Reads the events of one purpose: the workflow start for an event it acts on, null for one it leaves alone. */
export type StripePurposeReader = (event: Stripe.Event) => StripeEventStart | null;
