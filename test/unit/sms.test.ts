import { isE164, messageStatusOf, smsKeyword, smsSegments, smsSendWindow } from '../../domain/sms';

describe('E.164 numbers', () => {
  it.each(['+15005550006', '+442071838750', '+123'])('accepts %s', (phone) => expect(isE164(phone)).toBe(true));
  it.each(['15005550006', '+0123456', '+1 500 555 0006', '+1234567890123456', '', null, undefined, '+1-500-555'])(
    'refuses %p', (phone) => expect(isE164(phone)).toBe(false));
});

describe('segments', () => {
  it('counts GSM-7 as 160 in one part, 153 per part when concatenated', () => {
    expect(smsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', segments: 1, characters: 160 });
    expect(smsSegments('a'.repeat(161)).segments).toBe(2);
    expect(smsSegments('a'.repeat(306)).segments).toBe(2);
    expect(smsSegments('a'.repeat(307)).segments).toBe(3);
    expect(smsSegments('').segments).toBe(1);
  });

  it('counts an extension character as two septets and never splits its escape pair', () => {
    expect(smsSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', segments: 1, characters: 80 });
    expect(smsSegments('€'.repeat(81)).segments).toBe(2);
    // 152 septets then a two-septet character: it moves whole to the second part.
    expect(smsSegments(`${'a'.repeat(152)}€${'a'.repeat(10)}`).segments).toBe(2);
    expect(smsSegments(`${'a'.repeat(152)}€${'a'.repeat(152)}`).segments).toBe(3);
  });

  it('counts any other character as UCS-2: 70 in one part, 67 per part, surrogate pairs kept whole', () => {
    expect(smsSegments(`${'a'.repeat(69)}ł`)).toEqual({ encoding: 'UCS-2', segments: 1, characters: 70 });
    expect(smsSegments(`${'a'.repeat(70)}ł`).segments).toBe(2);
    expect(smsSegments('ł'.repeat(134)).segments).toBe(2);
    expect(smsSegments('ł'.repeat(135)).segments).toBe(3);
    // 66 units then an emoji (two units): it moves whole to the second part.
    expect(smsSegments(`${'a'.repeat(66)}😀${'a'.repeat(3)}`)).toEqual({ encoding: 'UCS-2', segments: 2, characters: 70 });
    expect(smsSegments('😀'.repeat(35)).segments).toBe(1);
  });
});

describe('keywords', () => {
  it.each([
    ['STOP', 'opt_out'], ['  stop ', 'opt_out'], ['StopAll', 'opt_out'], ['unsubscribe', 'opt_out'], ['Cancel', 'opt_out'],
    ['end\n', 'opt_out'], ['QUIT', 'opt_out'], ['start', 'opt_in'], [' UNSTOP', 'opt_in'], ['yes', 'opt_in'], ['Help ', 'help'],
  ])('%j is %s', (body, keyword) => expect(smsKeyword(body)).toBe(keyword));
  it.each(['please stop', 'STOP!', 'S TOP', 'stopp', 'thanks', ''])('%j is no keyword', (body) => expect(smsKeyword(body)).toBeNull());
});

describe('the 08:00-21:00 window', () => {
  const at = (iso: string) => new Date(iso);

  it('is open from 08:00 to before 21:00 local, and otherwise opens at the next 08:00', () => {
    expect(smsSendWindow(at('2026-06-01T12:00:00Z'), 'America/New_York', 'UTC')).toEqual({ open: true }); // 08:00 EDT
    expect(smsSendWindow(at('2026-06-01T11:59:00Z'), 'America/New_York', 'UTC'))
      .toEqual({ open: false, opensAt: at('2026-06-01T12:00:00Z') });
    expect(smsSendWindow(at('2026-06-02T00:59:00Z'), 'America/New_York', 'UTC')).toEqual({ open: true }); // 20:59 EDT
    expect(smsSendWindow(at('2026-06-02T01:00:00Z'), 'America/New_York', 'UTC')) // 21:00 EDT
      .toEqual({ open: false, opensAt: at('2026-06-02T12:00:00Z') });
  });

  it('opens at 08:00 local across a DST change: the instant moves, the wall clock does not', () => {
    // 21:30 EST on Saturday 7 March 2026; clocks spring forward at 02:00 on Sunday 8 March.
    expect(smsSendWindow(at('2026-03-08T02:30:00Z'), 'America/New_York', 'UTC'))
      .toEqual({ open: false, opensAt: at('2026-03-08T12:00:00Z') }); // 08:00 EDT = 12:00 UTC, not 13:00
    // 22:00 EDT on Saturday 31 October 2026; clocks fall back at 02:00 on Sunday 1 November.
    expect(smsSendWindow(at('2026-11-01T02:00:00Z'), 'America/New_York', 'UTC'))
      .toEqual({ open: false, opensAt: at('2026-11-01T13:00:00Z') }); // 08:00 EST = 13:00 UTC
    // Europe's change on 29 March 2026: 07:30 CEST is still closed, 08:00 CEST opens.
    expect(smsSendWindow(at('2026-03-29T05:30:00Z'), 'Europe/Berlin', 'UTC')).toEqual({ open: false, opensAt: at('2026-03-29T06:00:00Z') });
  });

  it('uses the fallback zone for a recipient without a known zone', () => {
    expect(smsSendWindow(at('2026-06-01T07:00:00Z'), null, 'Europe/London')).toEqual({ open: true });
    expect(smsSendWindow(at('2026-06-01T07:00:00Z'), 'Mars/Base', 'UTC')).toEqual({ open: false, opensAt: at('2026-06-01T08:00:00Z') });
  });
});

describe('Twilio statuses as seed 001\'s', () => {
  it.each([
    ['accepted', 'pending'], ['scheduled', 'pending'], ['queued', 'pending'], ['sending', 'pending'], ['sent', 'sent'],
    ['delivered', 'delivered'], ['read', 'delivered'], ['undelivered', 'undelivered'], ['failed', 'failed'], ['canceled', 'failed'], ['teleported', null],
  ])('%s is %s', (twilioStatus, status) => expect(messageStatusOf(twilioStatus)).toBe(status));
});
