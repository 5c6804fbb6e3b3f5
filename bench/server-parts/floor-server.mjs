// The floor of the raw-client rows: a WebSocket relay that does only what no sync server can skip —
// parse each message, acknowledge content with the known state it reaches, keep the frames, answer
// a load with them, forward new content to whoever loaded the value. No verification, no storage,
// no permission checks. What the load generator and loopback transport allow, measured in the
// same run: a target below this floor cannot be met by any server on this harness.
//
// With `verify: true` ("floor-verify") it also does the signature work every verifying server
// must do per session piece, at its real cost: BLAKE3 over the piece's transactions (as a hash
// chain does) and one Ed25519 verification with libsodium (a valid signature over a 50-byte
// hash string, which costs what checking the piece's own signature costs). Still no storage:
// what a server that verifies every signature can at best do here.
//
// With `durable: true` as well ("floor-durable") it also stores before it acknowledges, the least a
// server whose acks mean "durable" can do: the content lines that arrive while a commit is in
// flight are appended, one row per message, to a SQLite file (WAL, synchronous=FULL: one fsync per
// commit, as cosync's default; BENCH_SERVER_SQLITE_SYNCHRONOUS=normal sets NORMAL here too, so the
// floor never syncs more than the servers it bounds) by a writer thread in one transaction; their
// acks and forwards leave when it committed.
// One postMessage per commit, no indexes, no per-transaction rows, no permission checks.
import { Worker } from "node:worker_threads";
import { createBLAKE3 } from "hash-wasm";
import sodium from "sodium-native";
import { WebSocketServer } from "ws";

/** The per-piece work of verification: hash the transactions, check one signature. */
async function signatureWork() {
  const blake3 = await createBLAKE3();
  const publicKey = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES);
  const secretKey = Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES);
  sodium.crypto_sign_keypair(publicKey, secretKey);
  const signed = Buffer.from(`"hash_z${"1".repeat(44)}"`);
  const signature = Buffer.alloc(sodium.crypto_sign_BYTES);
  sodium.crypto_sign_detached(signature, signed, secretKey);
  return (piece) => {
    blake3.init();
    for (const tx of piece.newTransactions) blake3.update(JSON.stringify(tx));
    blake3.digest("binary");
    if (!sodium.crypto_sign_verify_detached(signature, signed, publicKey)) throw new Error("floor-verify: the reference signature failed");
  };
}

// The writer thread of `durable`: appends each batch of lines in one transaction, then replies.
const WRITER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma("journal_mode = WAL");
db.pragma(workerData.synchronous === "normal" ? "synchronous = NORMAL" : "synchronous = FULL");
db.exec("CREATE TABLE IF NOT EXISTS frames (value TEXT NOT NULL, line TEXT NOT NULL)");
const insert = db.prepare("INSERT INTO frames (value, line) VALUES (?, ?)");
const append = db.transaction((rows) => { for (const [value, line] of rows) insert.run(value, line); });
parentPort.on("message", (rows) => { append(rows); parentPort.postMessage(rows.length); });
`;

/** Group commit: `append(id, line, done)` runs `done` once a commit holding the line is durable. */
function startDurableLog(file, synchronous) {
  const driver = new URL(import.meta.resolve("better-sqlite3")).pathname;
  const worker = new Worker(WRITER_SOURCE, { eval: true, workerData: { file, driver, synchronous } });
  let next = []; // [rows, callbacks] gathered while a commit is in flight
  let nextDone = [];
  let inFlight = [];
  let scheduled = false;
  const commit = () => {
    scheduled = false;
    if (inFlight.length > 0 || next.length === 0) return;
    worker.postMessage(next);
    inFlight = nextDone;
    next = [];
    nextDone = [];
  };
  worker.on("message", () => {
    const done = inFlight;
    inFlight = [];
    for (const callback of done) callback();
    commit();
  });
  return {
    append(id, line, done) {
      next.push([id, line]);
      nextDone.push(done);
      if (!scheduled) {
        scheduled = true;
        setImmediate(commit); // everything the sockets delivered this turn joins one commit
      }
    },
    close: () => worker.terminate(),
  };
}

export async function startFloorServer({ verify = false, durable, file, synchronous } = {}) {
  const verifyPiece = verify ? await signatureWork() : undefined;
  const log = durable ? startDurableLog(file, synchronous) : undefined;
  const wss = new WebSocketServer({ port: 0, perMessageDeflate: false });
  await new Promise((resolve) => wss.once("listening", resolve));
  const values = new Map(); // id → { frames: string[], sessions: {}, subscribers: Set<socket> }
  const heldValue = (id) => {
    let value = values.get(id);
    if (value === undefined) {
      value = { frames: [], sessions: {}, subscribers: new Set() };
      values.set(id, value);
    }
    return value;
  };
  wss.on("connection", (socket) => {
    socket.on("close", () => {
      for (const value of values.values()) value.subscribers.delete(socket);
    });
    socket.on("message", (data) => {
      for (const line of data.toString().split("\n")) {
        if (line === "") continue;
        const message = JSON.parse(line);
        if (message.action === "load") {
          const value = heldValue(message.id);
          value.subscribers.add(socket);
          if (value.frames.length === 0) socket.send(JSON.stringify({ action: "known", id: message.id, header: false, sessions: {} }));
          for (const frame of value.frames) socket.send(frame);
        } else if (message.action === "content") {
          const value = heldValue(message.id);
          if (verifyPiece !== undefined) for (const piece of Object.values(message.new)) verifyPiece(piece);
          const admit = () => {
            value.frames.push(line);
            for (const [session, piece] of Object.entries(message.new))
              value.sessions[session] = piece.after + piece.newTransactions.length;
            socket.send(JSON.stringify({ action: "known", id: message.id, header: true, sessions: value.sessions }));
            for (const subscriber of value.subscribers) if (subscriber !== socket) subscriber.send(line);
          };
          if (log === undefined) admit();
          else log.append(message.id, line, admit);
        }
      }
    });
  });
  return {
    url: `ws://127.0.0.1:${wss.address().port}`,
    close: () => new Promise((resolve) => wss.close(() => resolve())).then(() => log?.close()),
  };
}
