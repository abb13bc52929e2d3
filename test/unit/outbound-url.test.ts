import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OutboundRefused, isPublicAddress, outboundUrlRefusal, pinnedLookup, resolveOutbound } from '../../domain/outbound-url';

const DEFAULT = { allowPrivate: false };
const LOCAL = { allowPrivate: true };

describe('outbound URLs a tenant sets (server-side request forgery)', () => {
  it.each([
    '127.0.0.1', '127.255.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1',
    '255.255.255.255', '198.18.0.1', '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254',
    '2002:7f00:1::', '64:ff9b::a00:1', '2001:db8::1',
  ])('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '2606:4700::1111'])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each([
    ['http://hooks.example.com/x', /https/],
    ['ftp://hooks.example.com/x', /https/],
    ['https://user:pw@hooks.example.com/x', /user name or password/],
    ['https://127.0.0.1/x', /127\.0\.0\.1/],
    ['https://10.0.0.1:8443/x', /10\.0\.0\.1/],
    ['https://[::1]/x', /::1/],
    ['https://169.254.169.254/latest/meta-data/', /169\.254\.169\.254/],
    ['https://2130706433/x', /127\.0\.0\.1/],
    ['https://0x7f.1/x', /127\.0\.0\.1/],
    ['https://[::ffff:a9fe:a9fe]/x', /::ffff:a9fe:a9fe/],
    ['not a url', /not a URL/],
  ])('by default refuses %s', (url, reason) => {
    expect(outboundUrlRefusal(url, DEFAULT)).toMatch(reason);
  });

  it('by default takes a public https URL; allowed, also http and private addresses, but never credentials', () => {
    expect(outboundUrlRefusal('https://hooks.example.com/budget?x=1', DEFAULT)).toBeNull();
    expect(outboundUrlRefusal('https://93.184.215.14/hook', DEFAULT)).toBeNull();
    expect(outboundUrlRefusal('http://127.0.0.1:9/hook', LOCAL)).toBeNull();
    expect(outboundUrlRefusal('https://user@127.0.0.1/hook', LOCAL)).toMatch(/user name/);
    expect(outboundUrlRefusal('ftp://127.0.0.1/hook', LOCAL)).toMatch(/http or https/);
  });

  it('refuses when called a URL refused as set, and a host name resolving to a loopback address (localhost)', async () => {
    for (const url of ['https://127.0.0.1/x', 'https://10.0.0.1/x', 'https://[::1]/x', 'https://169.254.169.254/x', 'http://hooks.example.com/x', 'https://localhost:8443/x']) {
      await expect(resolveOutbound(url, DEFAULT)).rejects.toThrow(OutboundRefused);
    }
    await expect(resolveOutbound('https://localhost/x', DEFAULT)).rejects.toThrow(/localhost resolves to (127\.0\.0\.1|::1)/);
    expect(await resolveOutbound('https://93.184.215.14/x', DEFAULT)).toEqual({ address: '93.184.215.14', family: 4 });
    expect((await resolveOutbound('http://localhost:9/x', LOCAL)).address).toMatch(/^(127\.0\.0\.1|::1)$/);
  });

  it('pins the connection to the checked address whatever the name resolves to', async () => {
    const server = createServer((req, res) => res.end(req.headers.host));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      // A name that does not resolve at all reaches the pinned address.
      const answer = await new Promise<string>((resolve, reject) => {
        request(`http://pinned.invalid:${port}/`, { agent: false, lookup: pinnedLookup({ address: '127.0.0.1', family: 4 }) }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
          res.on('end', () => resolve(text));
        }).on('error', reject).end();
      });
      expect(answer).toBe(`pinned.invalid:${port}`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
