// Raw `ws` clients for bench/server.mjs: content pre-signed once by cosync's core, so no client
// signs, verifies or applies anything inside a timed part, and both servers get the same frames.
// Used only by the parent (load generator), never by a server child.

/**
 * Builds every frame of one ingest load once: per connection an account, its group, and streams of
 * `batchesPerValue` messages of `txPerBatch` transactions each (one signed piece per message).
 */
export async function buildIngestLoad({ txPerBatch, batchesPerValue, connections, valuesPerConnection, split = false }) {
  const { CoCrypto, createAccountNode } = await import("@cosync/core");
  const { loadNodeCryptoProvider } = await import("@cosync/crypto");
  const crypto = new CoCrypto(await loadNodeCryptoProvider());
  const writers = [];
  for (let c = 0; c < connections; c++) {
    const node = createAccountNode({ crypto, gc: false, name: `writer ${c}` });
    const group = node.createGroup();
    const streams = Array.from({ length: valuesPerConnection }, () => group.createStream());
    node.sealLocalWrites();
    const valueIds = new Set(streams.map((stream) => stream.id));
    const contentOf = (id, since) => node.entry(id).log.contentSince(since);
    // Setup frames: account, profile group, profile, group, then each value's header alone.
    const setup = [...node.allEntries()].filter((entry) => !valueIds.has(entry.id)).flatMap((entry) => contentOf(entry.id, undefined));
    setup.push(...streams.map((stream) => contentOf(stream.id, undefined)[0]));
    const batches = [];
    for (let b = 0; b < batchesPerValue; b++) {
      for (const [v, stream] of streams.entries()) {
        const before = stream.knownState().sessions[node.sessionId] ?? 0;
        for (let t = 0; t < txPerBatch; t++)
          stream.push({ i: before + t, text: `ingest ${c}/${v}: item ${before + t} of a realistic little payload` });
        node.sealLocalWrites();
        const pieces = contentOf(stream.id, { id: stream.id, header: true, sessions: { [node.sessionId]: before } });
        // A session's log starts a new signed piece every ~100 KB (as cojson's does), so a batch
        // crossing that mark is two messages; only loads that allow it (`split`) take that.
        if (pieces.length !== 1 && !split) throw new Error(`expected one message per batch, got ${pieces.length}`);
        const sent = pieces.flatMap((message) => Object.values(message.new));
        if (
          pieces.some((message) => Object.keys(message.new).length !== 1) ||
          sent.reduce((sum, piece) => sum + piece.newTransactions.length, 0) !== txPerBatch ||
          sent.some((piece) => typeof piece.lastSignature !== "string")
        )
          throw new Error(`expected signed pieces of ${txPerBatch} transactions in all per batch`);
        batches.push({ id: stream.id, end: before + txPerBatch, frames: pieces.map((message) => JSON.stringify(message)) });
      }
    }
    const expected = new Map(); // what the server must ack for setup: id → session counts
    for (const message of setup) {
      const sessions = { ...(expected.get(message.id) ?? {}) };
      for (const [session, piece] of Object.entries(message.new)) sessions[session] = piece.after + piece.newTransactions.length;
      expected.set(message.id, sessions);
    }
    writers.push({ session: node.sessionId, setup: setup.map((m) => [m.id, JSON.stringify(m)]), expected, batches, valueIds });
  }
  const valueIds = new Set(writers.flatMap((writer) => [...writer.valueIds]));
  return {
    writers,
    valueIds,
    txPerBatch,
    batchesPerValue,
    messages: connections * valuesPerConnection * batchesPerValue,
    totalTx: connections * valuesPerConnection * batchesPerValue * txPerBatch,
  };
}

/** Feeds `handle` every sync message of every frame; an error notice (cosync's refusals) calls `fail`. */
export function onMessages(socket, handle, fail) {
  socket.on("message", (data) => {
    for (const line of data.toString().split("\n")) {
      if (line === "") continue;
      const message = JSON.parse(line);
      if (message.error !== undefined) fail(new Error(`server refused: ${JSON.stringify(message.error)}`));
      else if (message.action !== undefined) handle(message);
    }
  });
  socket.on("close", (code) => {
    if (!closedByUs.has(socket)) fail(new Error(`the server closed a connection (${code})`));
  });
}

const closedByUs = new WeakSet();
/** Closes a connection the bench is done with, without counting it as the server's failure. */
export function closeQuietly(socket) {
  closedByUs.add(socket);
  socket.terminate();
}

/** A raw connection sending one writer's frames; `setUp()` then `pump()`, each resolving when acked. */
export function rawWriter(socket, writer, fail, window = 16) {
  const acked = new Map();
  const setupById = new Map();
  for (const [id, frame] of writer.setup) setupById.set(id, [...(setupById.get(id) ?? []), frame]);
  const pending = new Map([...writer.valueIds].map((id) => [id, []]));
  let next = 0;
  let inFlight = 0;
  let onProgress = () => {};
  onMessages(
    socket,
    (message) => {
      if (message.action === "known") {
        const held = acked.get(message.id) ?? { header: false, sessions: {} };
        held.header ||= message.header;
        for (const [session, count] of Object.entries(message.sessions))
          held.sessions[session] = Math.max(held.sessions[session] ?? 0, count);
        acked.set(message.id, held);
        const queue = pending.get(message.id);
        while (queue !== undefined && queue.length > 0 && queue[0] <= (held.sessions[writer.session] ?? 0)) {
          queue.shift();
          inFlight--;
        }
        onProgress();
      } else if (message.action === "load") {
        // A server asking the writer for a dependency it lacks: answer like a client would.
        for (const frame of setupById.get(message.id) ?? []) socket.send(frame);
        if (!setupById.has(message.id)) socket.send(JSON.stringify({ action: "known", id: message.id, header: false, sessions: {} }));
      }
    },
    fail,
  );
  const covered = () =>
    [...writer.expected].every(([id, sessions]) => {
      const held = acked.get(id);
      return held?.header === true && Object.entries(sessions).every(([s, n]) => (held.sessions[s] ?? 0) >= n);
    });
  return {
    setUp() {
      for (const [, frame] of writer.setup) socket.send(frame);
      return new Promise((resolve) => {
        onProgress = () => covered() && resolve();
        onProgress();
      });
    },
    pump() {
      return new Promise((resolve) => {
        onProgress = () => {
          while (next < writer.batches.length && inFlight < window) {
            const batch = writer.batches[next++];
            pending.get(batch.id).push(batch.end);
            inFlight++;
            for (const frame of batch.frames) socket.send(frame);
          }
          if (next === writer.batches.length && inFlight === 0) resolve();
        };
        onProgress();
      });
    },
  };
}

/** A raw connection that loads every value, acks what it receives and counts value transactions. */
export function rawSubscriber(socket, valueIds, totalTx, fail) {
  const held = new Map();
  let received = 0; // distinct value transactions
  let delivered = 0; // value transactions in content messages, repeats included
  let onProgress = () => {};
  onMessages(
    socket,
    (message) => {
      if (message.action !== "content") return;
      let sessions = held.get(message.id);
      if (sessions === undefined) {
        sessions = {};
        held.set(message.id, sessions);
      }
      for (const [session, piece] of Object.entries(message.new)) {
        const end = piece.after + piece.newTransactions.length;
        if (valueIds.has(message.id)) delivered += piece.newTransactions.length;
        if (end > (sessions[session] ?? 0)) {
          if (valueIds.has(message.id)) received += end - Math.max(sessions[session] ?? 0, piece.after);
          sessions[session] = end;
        }
      }
      socket.send(JSON.stringify({ action: "known", id: message.id, header: true, sessions }));
      onProgress();
    },
    fail,
  );
  return {
    subscribe() {
      for (const id of valueIds) socket.send(JSON.stringify({ action: "load", id, header: false, sessions: {} }));
      return new Promise((resolve) => {
        onProgress = () => [...valueIds].every((id) => held.has(id)) && resolve();
        onProgress();
      });
    },
    /** Resolves once `count` distinct value transactions arrived (all of them by default). */
    complete(count = totalTx) {
      return new Promise((resolve) => {
        onProgress = () => received >= count && resolve();
        onProgress();
      });
    },
    get received() {
      return received;
    },
    /** Transactions the server sent this subscriber more than once. */
    get repeated() {
      return delivered - received;
    },
  };
}
