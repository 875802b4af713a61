// A WebSocket client that is not nng: node's built-in WebSocket (node 20:
// --experimental-websocket), as a browser would speak to managerd. The
// upgrade, the authkey handshake, a ping, a failing request, a close.
// The key comes from MGR_AUTHKEY. usage: node ws_client.mjs URL
import { createHmac, randomBytes } from 'node:crypto';

const url = process.argv[2];
const key = Buffer.from(process.env.MGR_AUTHKEY ?? '');
const fail = (why) => { console.error(why); process.exit(1); };
setTimeout(() => fail('timed out'), 10000).unref();

const varint = (n) => {
  const out = [];
  do { let b = n & 0x7f; n = Math.floor(n / 128); out.push(n ? b | 0x80 : b); } while (n);
  return Buffer.from(out);
};
const field = (num, wire, v) => wire === 0
  ? Buffer.concat([varint(num << 3 | wire), varint(v)])
  : Buffer.concat([varint(num << 3 | wire), varint(v.length), v]);
const parse = (b) => {
  const out = {}; let i = 0;
  const rv = () => { let n = 0, s = 1, c; do { c = b[i++]; n += (c & 0x7f) * s; s *= 128; } while (c & 0x80); return n; };
  while (i < b.length) {
    const k = rv(), num = k >> 3, wire = k & 7;
    if (wire === 0) out[num] = rv();
    else if (wire === 2) { const n = rv(); out[num] = b.subarray(i, i + n); i += n; }
    else if (wire === 1) { out[num] = b.subarray(i, i + 8); i += 8; }
    else if (wire === 5) { out[num] = b.subarray(i, i + 4); i += 4; }
    else fail('wire type ' + wire);
  }
  return out;
};
const unzigzag = (n) => (n % 2 ? -(n + 1) / 2 : n / 2);
const frame = (msg) => { const h = Buffer.alloc(4); h.writeUInt32BE(msg.length); return Buffer.concat([h, msg]); };

const ws = new WebSocket(url);
ws.binaryType = 'arraybuffer';
let stream = Buffer.alloc(0);
const waiting = [];
const pump = () => {
  while (waiting.length && stream.length >= 4) {
    const n = stream.readUInt32BE(0);
    if (stream.length < 4 + n) break;
    const f = stream.subarray(4, 4 + n);
    stream = stream.subarray(4 + n);
    waiting.shift()(f);
  }
};
const next = () => new Promise((resolve) => { waiting.push(resolve); pump(); });
ws.onmessage = (ev) => { stream = Buffer.concat([stream, Buffer.from(ev.data)]); pump(); };
ws.onerror = (ev) => fail('error: ' + (ev.message ?? ev.type));

ws.onopen = async () => {
  console.log('upgraded');
  const hello = parse(await next());
  if (hello[1] !== 1 || !hello[2] || hello[2].length !== 32) fail('bad Hello');
  const mine = randomBytes(32);
  const digest = createHmac('sha256', key).update('mgr-client').update(hello[2]).digest();
  ws.send(frame(Buffer.concat([field(1, 0, 1), field(2, 2, digest), field(3, 2, mine),
    field(4, 2, Buffer.from('node ws client'))])));
  const welcome = parse(await next());
  if (unzigzag(welcome[1] ?? 0) !== 0) fail('refused: ' + welcome[5]);
  const want = createHmac('sha256', key).update('mgr-server').update(mine).digest();
  if (!welcome[2] || !want.equals(welcome[2])) fail('the manager does not know our key');
  console.log('authenticated as session ' + welcome[3]);
  ws.send(frame(field(1, 0, 1)));
  let reply = parse(await next());
  if (reply[1] !== 1 || unzigzag(reply[2] ?? 0) !== 0) fail('bad ping reply');
  console.log('ping ok');
  ws.send(frame(Buffer.concat([field(1, 0, 2), field(2, 0, 5), field(8, 2, Buffer.from('nosuch'))])));
  reply = parse(await next());
  const status = unzigzag(reply[2] ?? 0);
  if (reply[1] !== 2 || status === 0 || !reply[3]) fail('bad name_get reply');
  console.log(`name_get 'nosuch' -> status ${status}: ${reply[3].toString()}`);
  ws.onclose = (e) => { console.log('closed'); console.log(`close code ${e.code} clean ${e.wasClean}`); process.exit(0); };
  ws.close(1000);
};
