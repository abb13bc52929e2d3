import Handlebars from 'handlebars';
import {
  type Mode, type RenderedMessage, type TemplateData, conditionVariables, present, renderParts, sourcesFor,
} from './message-template';
import type { CoreStory, NarrativeStepDraft } from '../campaigns/narrative';
import type { RfmSegment } from '../rfm';

/**
 * Sending one touchpoint to a page of donors in one provider request (SendGrid: up to 1,000
 * personalizations, one shared content, per-recipient `substitutions`) while each donor reads exactly what
 * `renderStep` renders for them alone.
 *
 * - Branches: a `{{#if donor.last_name}}` must take each donor's own branch, so recipients are grouped into
 *   variants: the donor's segment (which override applies) plus, for every per-recipient variable a
 *   conditional of those sources tests, whether the donor has a value. Each variant is rendered once.
 * - Values: a variant carries substitution tags where per-recipient values go, one tag per variable and
 *   output, because each output escapes on its own: the text part and subject take the raw value, the HTML
 *   part the HTML-escaped one (a donor `Anne & Tom` reads `Anne & Tom` in the subject and text part).
 * - Tags contain a nonce the caller draws at random per render, so no story, name or link text can contain
 *   (and be substituted as) a tag.
 */

/**
 * Template variables whose value differs per recipient; everything else is the same for the whole send.
 * Both links are signed per donor: unsubscribe names who opts out, donate who gives and which step asked.
 */
export const PERSONAL_VARIABLES = ['donor.first_name', 'donor.last_name', 'donor.email', 'links.unsubscribe', 'links.donate'] as const;
export type PersonalVariable = (typeof PERSONAL_VARIABLES)[number];
/** One recipient's values (null or blank: the donor has none, so conditionals on it take their else branch). */
export type PersonalValues = Record<PersonalVariable, string | null | undefined>;

/** What every recipient of the send shares. */
export interface SharedValues { story: CoreStory; campaign: { name: string } }

export interface MessageVariant {
  /** Equal for two recipients exactly when they read the same branches of the same sources. */
  key: string;
  /** The message with substitution tags in place of the per-recipient values. */
  message: RenderedMessage;
  /** The tags this variant's message uses and the value each takes for one recipient (escaped for its output). */
  substitutionsFor(values: PersonalValues): Record<string, string>;
}

type StepTemplates = Pick<NarrativeStepDraft, 'subject_line' | 'message' | 'call_to_action' | 'segment_customization'>;

const NONCE = /^[a-z0-9]{6,32}$/;

export class MessageVariants {
  private readonly variants = new Map<string, MessageVariant>();
  private readonly conditionsBySegment = new Map<RfmSegment | null, PersonalVariable[]>();

  /** `nonce`: 6–32 lowercase letters or digits, unpredictable (e.g. drawn from a UUID per send attempt). */
  constructor(private readonly step: StepTemplates, private readonly shared: SharedValues, private readonly nonce: string) {
    if (!NONCE.test(nonce)) throw new Error('the substitution tag nonce must be 6-32 lowercase letters or digits');
  }

  /** The variant a recipient of `segment` with `values` reads (rendered on first use, then reused). */
  variantOf(segment: RfmSegment | null, values: PersonalValues): MessageVariant {
    const conditions = this.conditions(segment);
    const absent = conditions.filter((variable) => present(values[variable]) === null);
    const key = `${segment ?? ''}\u0000${absent.join('\u0000')}`;
    let variant = this.variants.get(key);
    if (!variant) {
      variant = this.render(key, segment, new Set(absent));
      this.variants.set(key, variant);
    }
    return variant;
  }

  private render(key: string, segment: RfmSegment | null, absent: ReadonlySet<PersonalVariable>): MessageVariant {
    const valueFor = (variable: PersonalVariable, mode: Mode) => (absent.has(variable) ? null : this.tag(variable, mode));
    const dataFor = (mode: Mode): TemplateData => ({
      donor: { first_name: valueFor('donor.first_name', mode), last_name: valueFor('donor.last_name', mode), email: valueFor('donor.email', mode) },
      story: this.shared.story,
      campaign: this.shared.campaign,
      // Both links are always there; a tag stands in for each in both outputs.
      links: { donate: this.tag('links.donate', mode), unsubscribe: this.tag('links.unsubscribe', mode) },
    });
    const message = renderParts(this.step, segment, dataFor);
    const parts = [message.subject, message.html, message.text];
    const used = PERSONAL_VARIABLES.flatMap((variable) => (['text', 'html'] as const)
      .map((mode) => ({ variable, mode, tag: this.tag(variable, mode) }))
      .filter(({ tag }) => parts.some((part) => part.includes(tag))));
    return {
      key,
      message,
      substitutionsFor: (values) => Object.fromEntries(used.map(({ variable, mode, tag }) => {
        const value = present(values[variable]) ?? '';
        return [tag, mode === 'html' ? Handlebars.escapeExpression(value) : value];
      })),
    };
  }

  /** The per-recipient variables the conditionals of a segment's sources test. */
  private conditions(segment: RfmSegment | null): PersonalVariable[] {
    let conditions = this.conditionsBySegment.get(segment);
    if (!conditions) {
      const sources = sourcesFor(this.step, segment);
      const tested = new Set([
        ...conditionVariables(sources.subject, sources.subjectField),
        ...conditionVariables(sources.message, sources.messageField),
        ...conditionVariables(this.step.call_to_action, 'call_to_action'),
      ]);
      conditions = PERSONAL_VARIABLES.filter((variable) => tested.has(variable));
      this.conditionsBySegment.set(segment, conditions);
    }
    return conditions;
  }

  /** Short (it is repeated in every personalization) and made only of characters no output escapes. */
  private tag(variable: PersonalVariable, mode: Mode): string {
    return `%${this.nonce}${PERSONAL_VARIABLES.indexOf(variable)}${mode === 'html' ? 'h' : 't'}%`;
  }
}

/** A text with its tags replaced, as SendGrid substitutes them (each occurrence, values taken literally). */
export function substitute(text: string, substitutions: Record<string, string>): string {
  let result = text;
  for (const [tag, value] of Object.entries(substitutions)) result = result.split(tag).join(value);
  return result;
}
