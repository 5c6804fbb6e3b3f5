import type { JsonValue } from "../encoding/canonical-json.js";
import { base64urlEncode, tryBase64urlDecode } from "../encoding/base64url.js";
import { describeValue } from "../errors.js";
import type { SessionId } from "../ids/session-id.js";
import type { DecodedTransaction } from "./decoded-transaction.js";
import { assertWellFormedString } from "./json-check.js";
import { SeenTransactions } from "./tx-order.js";

/**
 * Bytes per chunk item: jazz-tools' `FileStream` pushes `TRANSACTION_CONFIG.MAX_RECOMMENDED_TX_SIZE`
 * (100 KiB) of bytes per chunk, one transaction each.
 */
export const BINARY_CHUNK_SIZE = 100 * 1024;

const chunkPrefix = "binary_U";

/** What a binary stream's `start` item says about the file. */
export interface BinaryStreamInfo {
  readonly mimeType: string;
  readonly fileName?: string;
  readonly totalSizeBytes?: number;
}

/** The items of a binary CoStream (header meta `{type:"binary"}`), as cojson 0.20 writes them */
export type BinaryStreamItem =
  | { readonly type: "start"; readonly mimeType: string; readonly fileName?: string; readonly totalSizeBytes?: number }
  | { readonly type: "chunk"; readonly chunk: `binary_U${string}` }
  | { readonly type: "end" };

type ParsedItem =
  | { readonly type: "start"; readonly info: BinaryStreamInfo }
  | { readonly type: "chunk"; readonly bytes: Uint8Array }
  | { readonly type: "end" };

interface PlacedItem {
  readonly txIndex: number;
  readonly changeIdx: number;
  readonly item: ParsedItem;
}

// cojson decodes leniently (native fromBase64 or its fallback accept missing padding).
function decodeChunk(text: string): Uint8Array | undefined {
  const body = text.slice(chunkPrefix.length);
  const padded = body.length % 4 === 0 ? body : body + "=".repeat(4 - (body.length % 4));
  return tryBase64urlDecode(padded);
}

function parseItem(change: JsonValue): ParsedItem | undefined {
  if (change === null || typeof change !== "object" || Array.isArray(change)) return undefined;
  switch (change.type) {
    case "start": {
      const { mimeType, fileName, totalSizeBytes } = change;
      if (typeof mimeType !== "string") return undefined;
      if (fileName !== undefined && typeof fileName !== "string") return undefined;
      if (totalSizeBytes !== undefined && typeof totalSizeBytes !== "number") return undefined;
      return {
        type: "start",
        info: {
          mimeType,
          ...(fileName === undefined ? {} : { fileName }),
          ...(totalSizeBytes === undefined ? {} : { totalSizeBytes }),
        },
      };
    }
    case "chunk": {
      if (typeof change.chunk !== "string" || !change.chunk.startsWith(chunkPrefix)) return undefined;
      const bytes = decodeChunk(change.chunk);
      return bytes === undefined ? undefined : { type: "chunk", bytes };
    }
    case "end":
      return { type: "end" };
    default:
      return undefined;
  }
}

interface Assembled {
  readonly info: BinaryStreamInfo | undefined;
  readonly chunks: readonly Uint8Array[];
  readonly ended: boolean;
  readonly bytesReceived: number;
}

/**
 * The content of a binary CoStream: file info, chunks and whether the upload ended.
 *
 * A single session writes a file (`start`, chunks, `end`, one transaction each); its items are
 * read in `txIndex` order, as cojson does. cojson reads several sessions in the order they
 * reached the replica; cosync orders sessions by their earliest `madeAt`, then id. Like a
 * cojson replica loading a finished stream: the last `start` gives the info, every chunk counts
 * (even after `end`), and any `end` marks the stream finished. Malformed items are skipped.
 */
export class BinaryStreamContent {
  readonly #seen = new SeenTransactions();
  readonly #sessions = new Map<SessionId, { firstMadeAt: number; items: PlacedItem[] }>();
  #assembled: Assembled | undefined;

  /** Applies the transactions not applied before; returns how many were new. */
  apply(txs: Iterable<DecodedTransaction>): number {
    let count = 0;
    for (const tx of txs) {
      if (tx.anchorOnly === true || !this.#seen.add(tx.place ?? tx.txId)) continue;
      count++;
      let session = this.#sessions.get(tx.txId.sessionID);
      if (session === undefined) {
        session = { firstMadeAt: tx.madeAt, items: [] };
        this.#sessions.set(tx.txId.sessionID, session);
      }
      session.firstMadeAt = Math.min(session.firstMadeAt, tx.madeAt);
      tx.changes.forEach((change, changeIdx) => {
        const item = parseItem(change);
        if (item !== undefined) session.items.push({ txIndex: tx.txId.txIndex, changeIdx, item });
      });
    }
    if (count > 0) this.#assembled = undefined;
    return count;
  }

  /** The file info from the `start` item, once it arrived. */
  info(): BinaryStreamInfo | undefined {
    return this.#assemble().info;
  }

  /** True once an `end` item arrived. */
  get isComplete(): boolean {
    return this.#assemble().ended;
  }

  /** Decoded bytes received so far. */
  get bytesReceived(): number {
    return this.#assemble().bytesReceived;
  }

  /**
   * Fraction of the file received, in [0, 1]: 1 once complete; undefined before `start` or
   * when `start` gave no positive `totalSizeBytes`.
   */
  progress(): number | undefined {
    const { info, ended, bytesReceived } = this.#assemble();
    if (ended && info !== undefined) return 1;
    const total = info?.totalSizeBytes;
    if (total === undefined || !(total > 0)) return undefined;
    return Math.min(1, bytesReceived / total);
  }

  /** The chunks received so far, in order. */
  chunks(): readonly Uint8Array[] {
    return this.#assemble().chunks;
  }

  /**
   * The file's bytes; undefined before `start`, and before `end` unless `allowUnfinished`
   * (cojson's `getBinaryChunks` rules).
   */
  toBytes(options?: { readonly allowUnfinished?: boolean }): Uint8Array | undefined {
    const { info, ended, chunks, bytesReceived } = this.#assemble();
    if (info === undefined || (!ended && options?.allowUnfinished !== true)) return undefined;
    const out = new Uint8Array(bytesReceived);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }

  /** How many distinct transactions were applied. */
  get transactionCount(): number {
    return this.#seen.size;
  }

  #assemble(): Assembled {
    if (this.#assembled !== undefined) return this.#assembled;
    const sessions = [...this.#sessions.entries()].sort(([aId, a], [bId, b]) =>
      a.firstMadeAt !== b.firstMadeAt ? a.firstMadeAt - b.firstMadeAt : aId < bId ? -1 : aId > bId ? 1 : 0,
    );
    let info: BinaryStreamInfo | undefined;
    let ended = false;
    let bytesReceived = 0;
    const chunks: Uint8Array[] = [];
    for (const [, session] of sessions) {
      session.items.sort((a, b) => a.txIndex - b.txIndex || a.changeIdx - b.changeIdx);
      for (const { item } of session.items) {
        if (item.type === "start") info = item.info;
        else if (item.type === "end") ended = true;
        else {
          chunks.push(item.bytes);
          bytesReceived += item.bytes.length;
        }
      }
    }
    this.#assembled = { info, chunks, ended, bytesReceived };
    return this.#assembled;
  }
}

/** A binary CoStream's content from its valid transactions, in any order. */
export function materializeBinaryStream(txs: Iterable<DecodedTransaction>): BinaryStreamContent {
  const content = new BinaryStreamContent();
  content.apply(txs);
  return content;
}

/** The `start` item (cojson's `startBinaryStream`). */
export function binaryStartItem(info: BinaryStreamInfo): BinaryStreamItem {
  if (info === null || typeof info !== "object") throw new TypeError(`info: expected an object, got ${describeValue(info)}`);
  assertWellFormedString(info.mimeType, "info.mimeType");
  if (info.fileName !== undefined) assertWellFormedString(info.fileName, "info.fileName");
  const size = info.totalSizeBytes;
  if (size !== undefined && (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0)) {
    throw new RangeError(`info.totalSizeBytes: expected a non-negative integer, got ${describeValue(size)}`);
  }
  return {
    type: "start",
    mimeType: info.mimeType,
    ...(info.fileName === undefined ? {} : { fileName: info.fileName }),
    ...(size === undefined ? {} : { totalSizeBytes: size }),
  };
}

/** A `chunk` item carrying `bytes` (cojson's `pushBinaryStreamChunk`). */
export function binaryChunkItem(bytes: Uint8Array): BinaryStreamItem {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`bytes: expected a Uint8Array, got ${describeValue(bytes)}`);
  return { type: "chunk", chunk: `${chunkPrefix}${base64urlEncode(bytes)}` };
}

/** The `end` item (cojson's `endBinaryStream`). */
export function binaryEndItem(): BinaryStreamItem {
  return { type: "end" };
}

/**
 * Every item that uploads `bytes`: `start` (with `totalSizeBytes` defaulting to the length),
 * the chunks of `chunkSize` bytes (default `BINARY_CHUNK_SIZE`), `end`. Put each item in its
 * own transaction, as jazz-tools does, so no transaction grows past ~140 KB of base64.
 */
export function binaryStreamItems(
  bytes: Uint8Array,
  info: BinaryStreamInfo,
  options?: { readonly chunkSize?: number },
): BinaryStreamItem[] {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`bytes: expected a Uint8Array, got ${describeValue(bytes)}`);
  const chunkSize = options?.chunkSize ?? BINARY_CHUNK_SIZE;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new RangeError(`options.chunkSize: expected a positive integer, got ${describeValue(chunkSize)}`);
  }
  const items: BinaryStreamItem[] = [binaryStartItem({ totalSizeBytes: bytes.length, ...info })];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    items.push(binaryChunkItem(bytes.subarray(offset, offset + chunkSize)));
  }
  items.push(binaryEndItem());
  return items;
}
