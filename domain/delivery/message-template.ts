import Handlebars from 'handlebars';
import type { CoreStory, NarrativeStepDraft } from '../campaigns/narrative';
import type { RfmSegment } from '../rfm';

/**
 * Step texts are Handlebars templates. They are checked when steps are saved (syntax, and only the
 * variables below), so a typo fails the manager's request instead of a send in the middle of the arc.
 */
export const TEMPLATE_VARIABLES = [
  'donor.first_name', 'donor.last_name', 'donor.email',
  'story.headline', 'story.summary', 'story.value_proposition', 'story.donor_motivation',
  'campaign.name', 'links.donate', 'links.unsubscribe',
] as const;
const ALLOWED_VARIABLES = new Set<string>(TEMPLATE_VARIABLES);
/** Conditionals only: enough for fallbacks like "friend", and nothing that loops, switches context or runs code. */
const ALLOWED_BLOCKS = new Set(['if', 'unless']);

export class TemplateError extends Error {
  constructor(readonly field: string, problem: string) {
    super(`${field}: ${problem}`);
    this.name = 'TemplateError';
  }
}

export interface RenderContext {
  donor: { first_name?: string | null; last_name?: string | null; email?: string | null };
  story: CoreStory;
  campaign: { name: string };
  links: { donate: string; unsubscribe: string };
  segment: RfmSegment | null;
}

export interface RenderedMessage { subject: string; html: string; text: string }

type TemplateFields = Pick<NarrativeStepDraft, 'subject_line' | 'message' | 'call_to_action' | 'segment_customization'>;

/** Throws a TemplateError naming the first field (e.g. `steps[6].message`) that would not render. */
export function compileStep(step: TemplateFields, fieldPrefix = ''): void {
  const fields: [string, string | undefined][] = [
    ['subject_line', step.subject_line], ['message', step.message], ['call_to_action', step.call_to_action],
  ];
  for (const [segment, override] of Object.entries(step.segment_customization ?? {})) {
    fields.push([`segment_customization.${segment}.subject_line`, override?.subject_line]);
    fields.push([`segment_customization.${segment}.message`, override?.message]);
  }
  for (const [field, source] of fields) {
    if (source !== undefined) checkTemplate(source, `${fieldPrefix}${field}`);
  }
}

function checkTemplate(source: string, field: string): TemplateChecker {
  if (typeof source !== 'string') throw new TemplateError(field, `must be text, got ${typeof source}`);
  let program: hbs.AST.Program;
  try {
    program = Handlebars.parse(source);
  } catch (error) {
    throw new TemplateError(field, `is not a valid template: ${(error as Error).message.replace(/\s*\n\s*/g, ' ')}`);
  }
  const checker = new TemplateChecker();
  checker.accept(program);
  if (checker.problems.length > 0) throw new TemplateError(field, checker.problems[0]);
  return checker;
}

// One template renders for thousands of donors: check, parse and compile each source once (per mode).
// Bounded, oldest first out, so a long-lived worker serving many campaigns does not grow without limit.
const CACHE_LIMIT = 1_000;
const conditionCache = new Map<string, readonly string[]>();

/** The variables a source's conditionals test (checked like a render: throws a TemplateError naming `field`). */
export function conditionVariables(source: string, field: string): readonly string[] {
  let conditions = conditionCache.get(source);
  if (!conditions) {
    conditions = [...checkTemplate(source, field).conditions];
    if (conditionCache.size >= CACHE_LIMIT) conditionCache.delete(conditionCache.keys().next().value!);
    conditionCache.set(source, conditions);
  }
  return conditions;
}

/** Walks a template's syntax tree and records everything it does beyond reading the allowed variables. */
class TemplateChecker extends Handlebars.Visitor {
  problems: string[] = [];
  /** The variables {{#if}} / {{#unless}} test: what decides which branch a donor reads. */
  conditions = new Set<string>();

  override MustacheStatement(node: hbs.AST.MustacheStatement): void {
    if (node.params.length > 0 || node.hash) this.problems.push(`calls '${describe(node.path)}' as a helper; only {{#if}} and {{#unless}} blocks are allowed`);
    else if (!node.escaped) this.problems.push(`outputs '${describe(node.path)}' without HTML escaping ({{{ }}} or {{& }}); use {{ }}`);
    else this.accept(node.path);
  }

  override BlockStatement(node: hbs.AST.BlockStatement): void {
    const name = describe(node.path);
    if (!ALLOWED_BLOCKS.has(name)) this.problems.push(`uses block '{{#${name}}}'; only {{#if}} and {{#unless}} are allowed`);
    else if (node.params.length !== 1 || node.hash) this.problems.push(`{{#${name}}} takes exactly one variable`);
    else this.conditions.add(describe(node.params[0]));
    node.params.forEach((param) => this.accept(param));
    if (node.program) this.accept(node.program);
    if (node.inverse) this.accept(node.inverse);
  }

  override PathExpression(node: hbs.AST.PathExpression): void {
    if (!ALLOWED_VARIABLES.has(node.original)) this.problems.push(`uses unknown variable '${node.original}' (allowed: ${TEMPLATE_VARIABLES.join(', ')})`);
  }

  override SubExpression(): void {
    this.problems.push('uses a sub-expression ( ); only plain variables are allowed');
  }

  override PartialStatement(): void {
    this.problems.push('uses a partial ({{> }}); partials are not available');
  }

  override PartialBlockStatement(): void {
    this.PartialStatement();
  }

  override DecoratorBlock(): void {
    this.problems.push('uses a decorator ({{* }}); decorators are not available');
  }

  override Decorator(): void {
    this.DecoratorBlock();
  }
}

/**
 * Step texts are plain text (see `paragraphs`), so in the HTML part their own characters are escaped too,
 * not only the variables: a manager's `Tom & Jerry <3` reads as written.
 */
class LiteralEscaper extends Handlebars.Visitor {
  override ContentStatement(node: hbs.AST.ContentStatement): void {
    node.value = Handlebars.escapeExpression(node.value);
  }
}

function describe(expression: hbs.AST.Expression): string {
  return (expression as Partial<hbs.AST.PathExpression>).original ?? expression.type;
}

export type Mode = 'html' | 'text';

const compiled = new Map<string, Handlebars.TemplateDelegate>();

function template(source: string, mode: Mode, field: string): Handlebars.TemplateDelegate {
  const key = `${mode}\u0000${source}`;
  let delegate = compiled.get(key);
  if (!delegate) {
    // Steps can reach the database without the API (migrations, SQL fixes); never run one unchecked.
    checkTemplate(source, field);
    const program = Handlebars.parse(source);
    if (mode === 'html') new LiteralEscaper().accept(program);
    delegate = Handlebars.compile(program, { noEscape: mode === 'text', knownHelpers: { if: true, unless: true }, knownHelpersOnly: true });
    if (compiled.size >= CACHE_LIMIT) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, delegate);
  }
  return delegate;
}

/** What the templates of a step see, as one output (html or text) needs it. */
export interface TemplateData {
  donor: { first_name: string | null; last_name: string | null; email: string | null };
  story: CoreStory;
  campaign: { name: string };
  links: { donate: string; unsubscribe: string };
}

/** The sources one segment's donors get: the segment's override where the step has one. */
export function sourcesFor(step: TemplateFields, segment: RfmSegment | null) {
  const override = segment ? step.segment_customization?.[segment] : undefined;
  return {
    subject: override?.subject_line ?? step.subject_line,
    subjectField: override?.subject_line !== undefined ? `segment_customization.${segment}.subject_line` : 'subject_line',
    message: override?.message ?? step.message,
    messageField: override?.message !== undefined ? `segment_customization.${segment}.message` : 'message',
  };
}

/**
 * Renders each output from its own data: `dataFor('html')` is HTML-escaped by Handlebars, `dataFor('text')`
 * is not (the subject is a header and the text part is plain text, so a donor `Anne & Tom` reads as such).
 */
export function renderParts(step: TemplateFields, segment: RfmSegment | null, dataFor: (mode: Mode) => TemplateData): RenderedMessage {
  const sources = sourcesFor(step, segment);
  const html = dataFor('html');
  const text = dataFor('text');
  const render = (source: string, mode: Mode, field: string) => template(source, mode, field)(mode === 'html' ? html : text);
  return {
    // A header is one line of plain text.
    subject: render(sources.subject, 'text', sources.subjectField).replace(/\s+/g, ' ').trim(),
    html: [
      ...paragraphs(render(sources.message, 'html', sources.messageField)).map((paragraph) => `<p>${paragraph.replace(/\n/g, '<br>\n')}</p>`),
      `<p><strong>${render(step.call_to_action, 'html', 'call_to_action')}</strong></p>`,
      `<p style="font-size:small"><a href="${Handlebars.escapeExpression(html.links.unsubscribe)}">Unsubscribe</a></p>`,
    ].join('\n'),
    text: [render(sources.message, 'text', sources.messageField), render(step.call_to_action, 'text', 'call_to_action'), `Unsubscribe: ${text.links.unsubscribe}`].join('\n\n'),
  };
}

/** The step as one donor receives it, with the override for the donor's segment where the step has one. */
export function renderStep(step: TemplateFields, context: RenderContext): RenderedMessage {
  const { first_name, last_name, email } = context.donor;
  const data: TemplateData = {
    donor: { first_name: present(first_name), last_name: present(last_name), email: present(email) },
    story: context.story,
    campaign: context.campaign,
    links: context.links,
  };
  return renderParts(step, context.segment, () => data);
}

/**
 * A blank name reads as no name, so the template's fallback ("friend") applies. A name or address is one
 * line: its whitespace is collapsed, so it cannot start a paragraph or a header of its own.
 */
export function present(value: string | null | undefined): string | null {
  const line = value?.replace(/\s+/g, ' ').trim();
  return line ? line : null;
}

/** Messages are plain text: a blank line starts a new paragraph. */
function paragraphs(text: string): string[] {
  return text.split(/\n[ \t]*\n/).map((paragraph) => paragraph.trim()).filter((paragraph) => paragraph !== '');
}

/**
 * A step as a text message (issue 18 item 2): who it is from, the message and the call to action as plain
 * text, then how to opt out, as the CTIA Messaging Principles ask of every marketing text. Segment overrides
 * apply as for email; the subject line has no place in a text.
 */
export function renderSmsText(step: TemplateFields, segment: RfmSegment | null, data: TemplateData & { sender: string }): string {
  const sources = sourcesFor(step, segment);
  const message = template(sources.message, 'text', sources.messageField)(data).trim();
  const action = template(step.call_to_action, 'text', 'call_to_action')(data).trim();
  return [`${data.sender}: ${message}`, action, SMS_OPT_OUT_LINE].filter((part) => part !== '').join('\n\n');
}

/** The closing line of every campaign text. */
export const SMS_OPT_OUT_LINE = 'Reply STOP to opt out.';
