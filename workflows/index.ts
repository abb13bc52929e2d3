// The workflow bundle's entry: everything the worker may run.
export { campaignWorkflow } from './campaigns/campaign';
export { giftEventWorkflow } from './gift-events';
export { touchpointWorkflow } from './campaigns/touchpoint';
export { sendGridEventsWorkflow, stripeEventWorkflow } from './provider-events';
export { rfmNightlyWorkflow } from './rfm-nightly';
export { journeyLapseWorkflow } from './journeys/lapse-sweep';
export { suppressionSyncWorkflow } from './suppression-sync';
export { rehearsalWorkflow, testSendWorkflow } from './previews/test-sends';
export { budgetAlertWorkflow } from './budget-alert';
export { eventCancellationWorkflow } from './tickets/event-cancellation';
export { ticketOrderWorkflow } from './tickets/ticket-order';
export { ticketStripeEventWorkflow } from './tickets/ticket-stripe-event';
export { activationStripeEventWorkflow, clientActivationWorkflow } from './activation/activation';
