// Writes the fuzz targets' seed corpus (tests/fuzz/corpus/{json,messagepack}/) with the official
// JavaScript client's own protocol writers (@microsoft/signalr, @microsoft/signalr-protocol-msgpack),
// so every seed is exactly what a real client sends: one file per message type 1-9 (Invocation,
// StreamItem, Completion, StreamInvocation, CancelInvocation, Ping, Close, Ack, Sequence) and a
// few variants, plus whole sessions. JSON seeds start with the handshake record, as a connection
// does; MessagePack seeds are the frames that follow the handshake.
// Run from the repository root after `npm ci`: node tests/fuzz/make-corpus.mjs
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { JsonHubProtocol, MessageType } from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";
import { encode } from "@msgpack/msgpack";

const here = dirname(fileURLToPath(import.meta.url));
const json = new JsonHubProtocol();
const msgpack = new MessagePackHubProtocol();

// Arguments of every JSON/MessagePack kind the hubs see.
const args = [42, -7, 3.25, "scan_7", true, null, [1, "two", [3]], { libraryId: "1", force: false }];
const messages = {
  invocation: { type: MessageType.Invocation, invocationId: "1", target: "SubscribeToScan", arguments: ["7"] },
  invocation_kinds: { type: MessageType.Invocation, invocationId: "2", target: "Echo", arguments: args },
  invocation_headers: { type: MessageType.Invocation, invocationId: "3", target: "GetActiveScans", arguments: [], headers: { trace: "abc" } },
  invocation_non_blocking: { type: MessageType.Invocation, target: "UnsubscribeFromScan", arguments: ["7"] },
  invocation_stream_ids: { type: MessageType.Invocation, invocationId: "4", target: "Upload", arguments: [], streamIds: ["s1"] },
  stream_item: { type: MessageType.StreamItem, invocationId: "s1", item: { progress: 0.5 } },
  completion_result: { type: MessageType.Completion, invocationId: "5", result: { ok: true } },
  completion_error: { type: MessageType.Completion, invocationId: "6", error: "Boom." },
  completion_void: { type: MessageType.Completion, invocationId: "7" },
  stream_invocation: { type: MessageType.StreamInvocation, invocationId: "8", target: "Counter", arguments: [10, 500] },
  cancel_invocation: { type: MessageType.CancelInvocation, invocationId: "8" },
  ping: { type: MessageType.Ping },
  close: { type: MessageType.Close },
  close_error: { type: MessageType.Close, error: "Client is going away.", allowReconnect: true },
  ack: { type: MessageType.Ack, sequenceId: 3 },
  sequence: { type: MessageType.Sequence, sequenceId: 1 },
};

function reset(folder) {
  mkdirSync(folder, { recursive: true });
  for (const name of readdirSync(folder)) rmSync(join(folder, name));
  return folder;
}

function handshake(protocol) {
  return JSON.stringify({ protocol, version: 1 }) + "\x1e";
}

const jsonDir = reset(join(here, "corpus", "json"));
const msgpackDir = reset(join(here, "corpus", "messagepack"));
const binary = (buffer) => Buffer.from(new Uint8Array(buffer));
// HubProtocol.md's VarInt length prefix (payloads here are far below 2^31).
function framed(payload) {
  const prefix = [];
  for (let n = payload.length; ; n >>>= 7) {
    prefix.push((n & 0x7f) | (n >= 0x80 ? 0x80 : 0));
    if (n < 0x80) break;
  }
  return Buffer.concat([Buffer.from(prefix), Buffer.from(payload)]);
}

for (const [name, message] of Object.entries(messages)) {
  writeFileSync(join(jsonDir, name), handshake("json") + json.writeMessage(message));
  // The client's MessagePack writer drops a Close's error; write the spec's full Close instead.
  const frame = name === "close_error"
    ? framed(encode([MessageType.Close, message.error, message.allowReconnect]))
    : binary(msgpack.writeMessage(message));
  writeFileSync(join(msgpackDir, name), frame);
}

// Whole sessions: several messages in one transport message, as clients batch them.
const session = Object.values(messages);
writeFileSync(join(jsonDir, "session"), handshake("json") + session.map((m) => json.writeMessage(m)).join(""));
writeFileSync(join(msgpackDir, "session"), Buffer.concat(session.map((m) => binary(msgpack.writeMessage(m)))));
// Inputs behind fixed bugs, kept so every run checks them: a JSON number out of double's range
// (read as infinity, once written back as the word Infinity), MessagePack str that is not
// UTF-8, and a MessagePack NaN argument.
writeFileSync(join(jsonDir, "regression_infinity"),
  handshake("json") + '{"type":1,"invocationId":"1","target":"Echo","arguments":[1e400,-1e400]}\x1e');
writeFileSync(join(msgpackDir, "regression_not_utf8"),
  framed(Buffer.from([0x95, 0x01, 0x80, 0xc0, 0xa1, 0x6d, 0x91, 0xa2, 0xff, 0xfe])));
writeFileSync(join(msgpackDir, "regression_nan"),
  framed(Buffer.from([0x95, 0x01, 0x80, 0xa1, 0x31, 0xa1, 0x6d, 0x91, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0])));
// The handshake alone, for each protocol a client may ask for.
writeFileSync(join(jsonDir, "handshake_messagepack"), handshake("messagepack"));
writeFileSync(join(jsonDir, "handshake_version_0"), JSON.stringify({ protocol: "json", version: 0 }) + "\x1e");

console.log(`corpus: ${readdirSync(jsonDir).length} JSON seeds, ${readdirSync(msgpackDir).length} MessagePack seeds`);
