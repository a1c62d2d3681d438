// The plain `ws` peer of bench/fanout: npm ws, no rooms; every connection is a subscriber.
// Each published payload is serialized once ({"event":"ScanProgress","data":<payload>}, one
// Buffer) and sent to every client as a text frame.
// Trigger interface, the same for the three servers (see scanhub_server.cpp):
//   stdout "ready <port>\n" once listening on 127.0.0.1; stdin "msg <json>\n" publishes <json>;
//   stdin EOF stops the server.
import { createInterface } from 'node:readline';
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: false,
  maxPayload: 1e5,
});

wss.on('connection', (socket) => {
  socket.on('error', () => {});
});

wss.on('listening', () => {
  process.stdout.write(`ready ${wss.address().port}\n`);
});

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.startsWith('msg ')) {
    process.stderr.write(`ws-server: unknown command: ${line.slice(0, 40)}\n`);
    return;
  }
  const frame = Buffer.from(
    JSON.stringify({ event: 'ScanProgress', data: JSON.parse(line.slice(4)) }));
  for (const client of wss.clients) client.send(frame, { binary: false });
});
lines.on('close', () => {
  wss.close();
  process.exit(0);
});
