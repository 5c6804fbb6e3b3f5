// The read-side rows of bench/server.mjs, with raw clients (server-parts/raw-clients.mjs) so the
// timed part is the server's own work:
//  - warm load: a value of 10k transactions is written and acknowledged, then fresh connections
//    load it one after another while the server still holds it in memory; time from the `load`
//    until every transaction arrived.
//  - fan-out: 100 connections subscribed to one value; one pre-signed 1-tx message at a time,
//    time until the last subscriber holds it; every subscriber must end with every write, once.
import { closeQuietly, rawSubscriber, rawWriter } from "./raw-clients.mjs";

/** `clients`: { open(), settle(promise, what), fail } of one server (bench/server.mjs). */
export async function measureWarmLoads(clients, load, times) {
  const { open, settle, fail } = clients;
  const writer = rawWriter(await open(), load.writers[0], fail);
  await settle(writer.setUp(), "warm-load value set-up acks");
  await settle(writer.pump(), "warm-load value writes acked");
  const loadMs = [];
  for (let i = 0; i < times; i++) {
    const socket = await open();
    const reader = rawSubscriber(socket, load.valueIds, load.totalTx, fail);
    const start = performance.now();
    void reader.subscribe(); // sends the load; completion is what is timed
    await settle(reader.complete(), `warm load ${i + 1}`);
    loadMs.push(performance.now() - start);
    if (reader.repeated > 0) throw new Error(`warm load ${i + 1}: ${reader.repeated} transactions sent twice`);
    closeQuietly(socket);
  }
  return loadMs;
}

export async function measureFanOut(clients, load, subscriberCount) {
  const { open, settle, fail } = clients;
  const writerSocket = await open();
  const [writer] = load.writers;
  await settle(rawWriter(writerSocket, writer, fail).setUp(), "fan-out value set-up acks");
  const subscribers = [];
  for (let i = 0; i < subscriberCount; i++) subscribers.push(rawSubscriber(await open(), load.valueIds, load.totalTx, fail));
  await settle(Promise.all(subscribers.map((subscriber) => subscriber.subscribe())), "fan-out subscribers' loads");
  const latencies = [];
  for (const [i, batch] of writer.batches.entries()) {
    const start = performance.now();
    for (const frame of batch.frames) writerSocket.send(frame);
    await settle(Promise.all(subscribers.map((subscriber) => subscriber.complete(i + 1))), `fan-out write ${i + 1}`);
    latencies.push(performance.now() - start);
  }
  const short = subscribers.filter((subscriber) => subscriber.received !== load.totalTx).length;
  const repeated = subscribers.reduce((sum, subscriber) => sum + subscriber.repeated, 0);
  if (short > 0 || repeated > 0) throw new Error(`fan-out: ${short} subscribers missed writes, ${repeated} transactions delivered twice`);
  return latencies;
}
