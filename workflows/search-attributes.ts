import { defineSearchAttributeKey } from '@temporalio/common';

/** Registered on the Temporal server by scripts/lib/stack.sh (and docker-compose) so operators can filter runs. */
export const CampaignIdKey = defineSearchAttributeKey('CampaignId', 'KEYWORD');
export const ClientIdKey = defineSearchAttributeKey('ClientId', 'KEYWORD');
export const StageKey = defineSearchAttributeKey('Track15Stage', 'KEYWORD');
export const SeasonKey = defineSearchAttributeKey('Track15Season', 'KEYWORD');
export const CurrentStepKey = defineSearchAttributeKey('CurrentStep', 'INT');
/** Where a client's activation stands (workflows/activation/activation.ts): pending, active, paid, failed or expired. */
export const ActivationStatusKey = defineSearchAttributeKey('ActivationStatus', 'KEYWORD');
