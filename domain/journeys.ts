/**
 * Donor journeys (issue 18 item 1): seed 001's customer lifecycle, mapped onto fundraising. The product
 * keeps the stage itself; nobody sets it through the API.
 *
 * Seed 001 (`001_bc9fd23ed13741ab.txt`, `customer_stage`) tracks a customer lead → marketing → trial →
 * active → churned / dormant, with `subscribed_at` as the conversion. For a donor:
 *
 * | stage         | seed 001's stage      | the donor…                                                     |
 * |---------------|-----------------------|----------------------------------------------------------------|
 * | `lead`        | lead (and marketing)  | is known to the client but has no succeeded gift               |
 * | `new_donor`   | trial                 | made a first gift: the conversion (seed 001's `subscribed_at`) |
 * | `active`      | active                | gave again within the lapse window                             |
 * | `lapsed`      | churned, dormant      | has not given for `lapse_after_days`                           |
 * | `reactivated` | —                     | gave again after lapsing                                       |
 *
 * Rules (migration DonorJourneys keeps them in the database, in the transaction that writes the gift):
 * - A donor is created (by the API, an import or a gift from an unknown address) as a `lead`.
 * - A gift that becomes `succeeded` moves `lead` → `new_donor`, `lapsed` → `reactivated`, `new_donor` and
 *   `reactivated` → `active`; an `active` donor stays. Each move is a transition, dated at the gift (never
 *   before the donor's previous transition), whose cause names the gift and its campaign.
 * - A donor lapses once `lapse_after_days` have passed since their last succeeded gift. The moment is
 *   `last gift + lapse_after_days`, recorded by the daily sweep (the Temporal Schedule
 *   `journey-lapse-daily`), or by the next gift when it comes first, so the history does not depend on
 *   when the sweep ran.
 * - A refund (or failure) of a gift that leaves the donor with no succeeded gift moves them back to
 *   `lead` and clears the first-gift attribution: the donor never gave after all, and their next gift is
 *   their first. A refund that leaves other gifts moves nothing (the sweep lapses the donor if their last
 *   remaining gift is old), but the attribution and the last-gift date follow the remaining gifts.
 *
 * The lapse window: a donor who gave in the last twelve months is retained; one who did not is lapsed.
 * That is the twelve-month period of the LYBUNT ("last year but unfortunately not this") and SYBUNT
 * ("some year but…") reports of fundraising CRMs and of the Fundraising Effectiveness Project's retention
 * rate (AFP / Urban Institute: "donors who gave in the previous 12 months and gave again"); hence 365
 * days unless a client sets its own.
 */
export const DONOR_STAGE_MEANINGS = {
  lead: 'known to the client, no succeeded gift yet (seed 001: lead)',
  new_donor: 'made a first gift, the conversion, and no second yet (seed 001: trial)',
  active: 'gave again within the lapse window (seed 001: active)',
  lapsed: 'no gift for the client\'s lapse_after_days (seed 001: churned / dormant)',
  reactivated: 'gave again after lapsing, and no further gift yet',
} as const;
export type DonorStage = keyof typeof DONOR_STAGE_MEANINGS;
export const DONOR_STAGES = Object.keys(DONOR_STAGE_MEANINGS) as DonorStage[];

/** Days without a gift after which a donor is lapsed, unless the client sets `lapse_after_days` (LYBUNT / FEP: twelve months). */
export const DEFAULT_LAPSE_AFTER_DAYS = 365;

/** What moved a donor, as each transition records it. */
export const JOURNEY_CAUSE_MEANINGS = {
  created: 'the donor was created (API, import, or a gift from an unknown address): the lead',
  gift: 'a gift succeeded (donation_id, campaign_id)',
  refund: 'the refund (or failure) of the donor\'s only succeeded gift (donation_id)',
  lapse: 'lapse_after_days passed without a gift: found by the daily sweep, or by the next gift if it came first',
} as const;
export type JourneyCause = keyof typeof JOURNEY_CAUSE_MEANINGS;

/** Seed 001's `customer_source`, plus `import`: where a donor came from, and where a first gift came from. */
export const DONOR_SOURCE_MEANINGS = {
  website: 'signed up or gave on the client\'s website',
  sms_campaign: 'came from a text-message campaign',
  email_campaign: 'came from an email campaign',
  referral: 'referred by someone',
  organic: 'found the client by themselves (search, word of mouth)',
  paid_ads: 'came from paid advertising',
  social: 'came from social media',
  other: 'any other source',
  import: 'imported from another system; set it on import rows yourself (a row without a source is recorded as website)',
} as const;
export type DonorSource = keyof typeof DONOR_SOURCE_MEANINGS;
export const DONOR_SOURCES = Object.keys(DONOR_SOURCE_MEANINGS) as DonorSource[];
