import Handlebars from 'handlebars';
import type { RenderedMessage } from './message-template';

/**
 * Who a campaign's mail is from. Each client sets its identity; a campaign may override any part of it
 * (the effective identity is read in SQL: activities/delivery/sender-identity.ts).
 * CAN-SPAM (15 U.S.C. 7704(a)(5)(A)(iii); FTC, "CAN-SPAM Act: A Compliance Guide for Business") requires
 * every commercial email to carry the sender's valid physical postal address, so a campaign without one
 * cannot be activated, and the address goes in every message's footer.
 */
export interface SenderSettings {
  from_email: string | null;
  from_name: string | null;
  reply_to: string | null;
  postal_address: string | null;
}

/** A complete identity, as the mail goes out with it. */
export interface SenderIdentity { fromEmail: string; fromName: string | null; replyTo: string | null; postalAddress: string }

/** Why mail cannot go out with these settings (activation's reasons); empty when it can. */
export function senderProblems(sender: SenderSettings): string[] {
  const problems: string[] = [];
  if (!sender.from_email) problems.push('the client has no sender address (sender.from_email)');
  if (!sender.postal_address) problems.push('the client has no postal address (sender.postal_address), which CAN-SPAM requires in every email');
  return problems;
}

/** The identity to send with, or null when `senderProblems` has something to say. */
export function senderIdentity(sender: SenderSettings): SenderIdentity | null {
  if (!sender.from_email || !sender.postal_address) return null;
  return { fromEmail: sender.from_email, fromName: sender.from_name, replyTo: sender.reply_to, postalAddress: sender.postal_address };
}

/**
 * The message with the sender's footer: the From name and the postal address, one line each as entered,
 * after everything else. HTML-escaped in the HTML part; plain in the text part.
 */
export function withSenderFooter(message: RenderedMessage, sender: Pick<SenderIdentity, 'fromName' | 'postalAddress'>): RenderedMessage {
  const lines = [sender.fromName, ...sender.postalAddress.split(/\r?\n/)].map((line) => line?.trim() ?? '').filter((line) => line !== '');
  return {
    subject: message.subject,
    html: `${message.html}\n<p style="font-size:small;color:#666666">${lines.map((line) => Handlebars.escapeExpression(line)).join('<br>\n')}</p>`,
    text: `${message.text}\n\n${lines.join('\n')}`,
  };
}
