import { connect } from 'node:net';
import { type ApiHarness, startApi } from './support';

/** What came back on a raw connection: the interim 100 (if any) and the final response, parsed. */
interface Exchange { interim: boolean; status: number; headers: Record<string, string>; body: string; error?: string }

const TWO_MB = 2 * 1024 * 1024;

/**
 * One request on a raw socket, as a client that uploads a large body would send it, so nothing between
 * the test and the server (fetch's buffering, inject()) hides a connection the server closes early.
 * `waitForContinue`: send the body only after an interim 100 or a final answer (RFC 9110 §10.1.1), the
 * way curl and undici do with `Expect: 100-continue`; otherwise write it all at once.
 */
function exchange(baseUrl: string, head: string, body: Buffer, options: { waitForContinue: boolean; chunked?: boolean }): Promise<Exchange> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    let interim = false;
    let bodySent = false;
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      const parsed = parse(received);
      if (!parsed && error === undefined) return;
      settled = true;
      socket.destroy();
      resolve(parsed ? { interim, ...parsed } : { interim, status: 0, headers: {}, body: '', error });
    };
    const sendBody = () => {
      if (bodySent) return;
      bodySent = true;
      if (options.chunked) {
        for (let offset = 0; offset < body.length; offset += 64 * 1024) {
          const chunk = body.subarray(offset, offset + 64 * 1024);
          socket.write(`${chunk.length.toString(16)}\r\n`);
          socket.write(chunk);
          socket.write('\r\n');
        }
        socket.write('0\r\n\r\n');
      } else {
        socket.write(body);
      }
    };
    socket.on('connect', () => {
      socket.write(head);
      if (!options.waitForContinue) sendBody();
    });
    socket.on('data', (data) => {
      received = Buffer.concat([received, data]);
      if (!interim && received.subarray(0, 12).toString() === 'HTTP/1.1 100') {
        interim = true;
        received = received.subarray(received.indexOf('\r\n\r\n') + 4);
        sendBody();
      }
      finish();
    });
    socket.on('error', (error) => finish(error.message));
    socket.on('close', () => finish('closed before a complete response'));
  });
}

/** A complete HTTP/1.1 final response with a Content-Length body, or undefined while incomplete. */
function parse(data: Buffer): Omit<Exchange, 'interim'> | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = data.subarray(0, end).toString().split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  const length = Number(headers['content-length'] ?? 0);
  if (data.length < end + 4 + length) return undefined;
  return { status: Number(statusLine.split(' ')[1]), headers, body: data.subarray(end + 4, end + 4 + length).toString() };
}

describe('oversized bodies', () => {
  let api: ApiHarness;
  let client: { id: string; key: string };
  const json = Buffer.from(`{"name":"${'x'.repeat(TWO_MB)}"}`);

  beforeAll(async () => {
    api = await startApi();
    client = await api.client('Big Bodies');
  });
  afterAll(async () => { await api.close(); });

  const head = (path: string, extra: string[], length?: number) => [
    `POST ${path} HTTP/1.1`, `Host: 127.0.0.1`, `Authorization: Bearer ${client.key}`, 'Content-Type: application/json',
    ...(length === undefined ? ['Transfer-Encoding: chunked'] : [`Content-Length: ${length}`]), ...extra, '', '',
  ].join('\r\n');

  /** The limit is named when the client declared its length; a chunked body shows its size only as it arrives. */
  const expect413 = (result: Exchange, message: string = '1048576 bytes') => {
    expect(result).toMatchObject({ status: 413, headers: { 'content-type': expect.stringMatching(/^application\/problem\+json/) } });
    expect(JSON.parse(result.body)).toMatchObject({ status: 413, errors: [{ field: 'body', message: expect.stringContaining(message) }] });
  };

  it.each([1, 2, 3, 4, 5])('answers 413 problem+json to a 2 MB body sent after Expect: 100-continue, without asking for it (%i)', async () => {
    const result = await exchange(api.baseUrl, head(`/v1/clients/${client.id}/api-keys`, ['Expect: 100-continue'], json.length), json, { waitForContinue: true });
    expect413(result);
    expect(result.interim).toBe(false);
  });

  it.each([1, 2, 3, 4, 5])('answers 413 problem+json to a 2 MB body written at once with Expect: 100-continue (%i)', async () => {
    expect413(await exchange(api.baseUrl, head(`/v1/clients/${client.id}/api-keys`, ['Expect: 100-continue'], json.length), json, { waitForContinue: false }));
  });

  it.each([1, 2, 3, 4, 5])('answers 413 problem+json to a 2 MB body with a Content-Length and no Expect (%i)', async () => {
    expect413(await exchange(api.baseUrl, head(`/v1/clients/${client.id}/api-keys`, [], json.length), json, { waitForContinue: false }));
  });

  it.each([1, 2, 3])('answers 413 problem+json to a 2 MB chunked body, whose size shows only while it arrives (%i)', async () => {
    expect413(await exchange(api.baseUrl, head(`/v1/clients/${client.id}/api-keys`, []), json, { waitForContinue: false, chunked: true }), 'large');
  });

  it('still asks for, and takes, a body within the limit after Expect: 100-continue', async () => {
    const small = Buffer.from('{"name":"uploader"}');
    const result = await exchange(api.baseUrl, head(`/v1/clients/${client.id}/api-keys`, ['Expect: 100-continue'], small.length), small, { waitForContinue: true });
    expect(result).toMatchObject({ interim: true, status: 201 });
  });

  it('measures the limit per operation: the donor import takes 10 MB, and refuses more with 413', async () => {
    const csv = Buffer.from(`email\n${'a@example.org\n'.repeat(Math.ceil(11 * 1024 * 1024 / 13))}`);
    const result = await exchange(api.baseUrl, head(`/v1/clients/${client.id}/donors/import`, ['Expect: 100-continue'], csv.length).replace('application/json', 'text/csv'), csv, { waitForContinue: true });
    expect(result).toMatchObject({ status: 413, interim: false });
    expect(JSON.parse(result.body).errors[0].message).toContain('10485760 bytes');
  });
});
