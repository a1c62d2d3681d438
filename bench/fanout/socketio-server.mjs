// The Socket.IO 4 peer of bench/fanout: npm socket.io, WebSocket transport only, rooms.
// Clients emit "subscribe" (room name, with an acknowledgement) to join a room; each published
// payload is emitted once to room "bench" as event "ScanProgress" (Socket.IO encodes a room
// broadcast once and writes it to every member).
// Trigger interface, the same for the three servers (see scanhub_server.cpp):
//   stdout "ready <port>\n" once listening on 127.0.0.1; stdin "msg <json>\n" publishes <json>;
//   stdin EOF stops the server.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { Server } from 'socket.io';

const httpServer = createServer();
const io = new Server(httpServer, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
  httpCompression: false,
  maxHttpBufferSize: 1e5,
});

io.on('connection', (socket) => {
  socket.on('subscribe', (room, ack) => {
    if (typeof room !== 'string') return;
    socket.join(room);
    if (typeof ack === 'function') ack('ok');
  });
});

httpServer.listen(0, '127.0.0.1', () => {
  process.stdout.write(`ready ${httpServer.address().port}\n`);
});

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.startsWith('msg ')) {
    process.stderr.write(`socketio-server: unknown command: ${line.slice(0, 40)}\n`);
    return;
  }
  io.to('bench').emit('ScanProgress', JSON.parse(line.slice(4)));
});
lines.on('close', () => {
  io.close();
  process.exit(0);
});
