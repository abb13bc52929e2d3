// The workflow bundle's entry: everything the worker may run.
export { campaignWorkflow } from './campaign';
export { touchpointWorkflow } from './touchpoint';
