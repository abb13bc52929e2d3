import { senderIdentity, senderProblems, withSenderFooter } from '../../../domain/delivery/sender';

describe('sender identity (domain/delivery/sender.ts)', () => {
  const complete = { from_email: 'a@client.test', from_name: 'Client', reply_to: null, postal_address: '1 Road\nTown' };

  it('needs a From address and a postal address, naming each that is missing', () => {
    expect(senderProblems(complete)).toEqual([]);
    expect(senderProblems({ ...complete, from_email: null })).toEqual(['the client has no sender address (sender.from_email)']);
    expect(senderProblems({ ...complete, postal_address: null })).toEqual([expect.stringMatching(/postal address .*CAN-SPAM/)]);
    expect(senderProblems({ from_email: null, from_name: null, reply_to: null, postal_address: null })).toHaveLength(2);
    expect(senderIdentity({ ...complete, postal_address: null })).toBeNull();
    expect(senderIdentity(complete)).toEqual({ fromEmail: 'a@client.test', fromName: 'Client', replyTo: null, postalAddress: '1 Road\nTown' });
  });

  it('puts the name and each address line in the footer: escaped in HTML, as is in text, blank lines dropped', () => {
    const message = { subject: 'S', html: '<p>Hi</p>', text: 'Hi' };
    expect(withSenderFooter(message, { fromName: 'Tom & <Jerry>', postalAddress: '1 "Road"\r\n\n  Town  ' })).toEqual({
      subject: 'S',
      html: '<p>Hi</p>\n<p style="font-size:small;color:#666666">Tom &amp; &lt;Jerry&gt;<br>\n1 &quot;Road&quot;<br>\nTown</p>',
      text: 'Hi\n\nTom & <Jerry>\n1 "Road"\nTown',
    });
    expect(withSenderFooter(message, { fromName: null, postalAddress: 'PO Box 1' }).text).toBe('Hi\n\nPO Box 1');
  });
});
