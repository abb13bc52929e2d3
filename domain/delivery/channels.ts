/** A channel a campaign message goes out on: one ledger row per (campaign, step, donor, channel). */
export type DeliveryChannel = 'email' | 'sms';

/**
 * How a Track15 step reaches donors (`track15_narrative_steps.channel`): by email, by text, or both
 * (`email_and_sms`: each donor gets the email and the text, each under its own channel's rules).
 */
export type StepChannel = DeliveryChannel | 'email_and_sms';

/** The channels a step is delivered on, email first. */
export function channelsOf(step: StepChannel): DeliveryChannel[] {
  return step === 'email_and_sms' ? ['email', 'sms'] : [step];
}
