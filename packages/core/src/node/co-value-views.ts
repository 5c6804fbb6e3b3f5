import { BinaryStreamContent, type BinaryStreamInfo, binaryStreamItems } from "../covalues/binary-stream.js";
import { CoListContent } from "../covalues/co-list.js";
import { listAppendChange, listDeleteChange, listInsertChange, listPrependChange } from "../covalues/co-list-changes.js";
import { CoMapContent, mapDeleteChange, mapSetChange } from "../covalues/co-map.js";
import { CoPlainTextContent, textDeleteRangeChanges, textInsertAfterChanges } from "../covalues/co-plain-text.js";
import { CoStreamContent, streamPushChange } from "../covalues/co-stream.js";
import type { JsonValue } from "../encoding/canonical-json.js";
import type { CoId } from "../ids/co-id.js";
import { createBranch, mergeBranch } from "./branching.js";
import type { CoValueEntry } from "./co-value-entry.js";
import { CoValueHandle } from "./co-value-handle.js";
import type { LocalNode } from "./local-node.js";
import { assertMayWriteTo } from "./write-access.js";

/** How a write is stored: encrypted with the owner group's read key, or in plain text. */
export type Privacy = "private" | "trusting";

interface Content {
  apply(txs: Iterable<import("../covalues/decoded-transaction.js").DecodedTransaction>): number;
}

/**
 * Shared base of the typed views: the content is re-materialised from the valid, decrypted
 * transactions whenever the value (or any group) changed; writes go into our session, private
 * by default when the owner group gives us a key.
 */
export abstract class CoValueView<C extends Content> extends CoValueHandle {
  readonly #entry: CoValueEntry;

  constructor(node: LocalNode, entry: CoValueEntry) {
    super(node, entry);
    this.#entry = entry;
  }

  protected abstract emptyContent(): C;

  /**
   * The materialised content as of now. Kept on the entry across views and updated with only the
   * newly decoded transactions; rebuilt when a group change may have changed verdicts or keys.
   */
  get content(): C {
    const decoded = this.node.permissions.decodedTransactions(this.#entry);
    let cache = this.#entry.contentCache as { kind: unknown; source: unknown; applied: number; value: C } | undefined;
    if (cache === undefined || cache.source !== decoded || cache.kind !== this.constructor) {
      cache = { kind: this.constructor, source: decoded, applied: 0, value: this.emptyContent() };
      this.#entry.contentCache = cache;
    }
    if (cache.applied < decoded.length) {
      cache.value.apply(decoded.slice(cache.applied));
      cache.applied = decoded.length;
    }
    return cache.value;
  }

  /**
   * Refuses a delete that readers would ignore: under `restrictDeletion` only managers and admins
   * may delete (cojson writes it anyway and drops it on read; an error says why nothing changed).
   */
  protected assertMayDelete(): void {
    const ruleset = this.header.ruleset;
    if (ruleset.type !== "ownedByGroup" || ruleset.restrictDeletion !== true) return;
    const role = this.node.getGroup(ruleset.group)?.roleOf(this.node.accountId ?? this.node.agentId);
    if (role !== "admin" && role !== "manager") {
      throw new Error(`${this.id} restricts deletion to managers and admins of ${ruleset.group}; your role is ${role ?? "none"}`);
    }
  }

  /**
   * Creates the branch `name` of this value, as cojson does: a value of the same type that starts
   * from what we hold now and takes edits apart from it until merged (a branch this node holds
   * already is reopened, its start unmoved). Owned by `ownerId` if given (readers must give their
   * own group), else by this value's owner.
   */
  createBranch(name: string, options?: { readonly ownerId?: CoId }): this {
    const id = createBranch(this.node, this, name, options?.ownerId);
    return new (this.constructor as new (node: LocalNode, entry: CoValueEntry) => this)(this.node, this.node.entry(id));
  }

  /** Copies this branch's edits into its source (loaded) and returns the source's view. */
  mergeBranch(): this {
    const sourceId = mergeBranch(this.node, this);
    return new (this.constructor as new (node: LocalNode, entry: CoValueEntry) => this)(this.node, this.node.entry(sourceId));
  }

  /** The owner group, for values owned by one. */
  get ownerId(): CoId | undefined {
    const ruleset = this.header.ruleset;
    return ruleset.type === "ownedByGroup" ? ruleset.group : undefined;
  }

  /**
   * Writes changes in one transaction. Values owned by a group are private unless `trusting` is
   * asked for, and a private write without the group's key is refused — never silently sent in
   * plain text (as cojson). Values without an owner group can only be written in plain text.
   */
  protected write(changes: readonly JsonValue[], privacy?: Privacy): void {
    assertMayWriteTo(this.node, this.id, this.header); // the role says more than a missing key
    const owner = this.ownerId;
    const wanted = privacy ?? (owner === undefined ? "trusting" : "private");
    if (wanted === "trusting") {
      this.writeTrusting(changes);
      return;
    }
    const key = owner === undefined ? undefined : this.node.permissions.writeKeyFor(owner);
    if (key === undefined) throw new Error(`no read key of ${owner ?? "an owner group"} is available to write privately to ${this.id}`);
    this.writePrivate(changes, key);
  }
}

export class CoMapView extends CoValueView<CoMapContent> {
  protected emptyContent() {
    return new CoMapContent();
  }
  get(key: string): JsonValue | undefined {
    return this.content.get(key);
  }
  toJSON(): Record<string, JsonValue> {
    return this.content.toJSON() as Record<string, JsonValue>;
  }
  set(key: string, value: JsonValue, privacy?: Privacy): void {
    this.write([mapSetChange(key, value) as unknown as JsonValue], privacy);
  }
  delete(key: string, privacy?: Privacy): void {
    this.write([mapDeleteChange(key) as unknown as JsonValue], privacy);
  }
}

export class CoListView extends CoValueView<CoListContent> {
  protected emptyContent() {
    return new CoListContent();
  }
  asArray(): JsonValue[] {
    return this.content.asArray();
  }
  /** The item at `index`, or undefined (cojson's `get`). */
  get(index: number): JsonValue | undefined {
    return this.content.get(index);
  }
  get length(): number {
    return this.content.length;
  }
  append(value: JsonValue, privacy?: Privacy): void {
    this.write([listAppendChange(this.content, value) as unknown as JsonValue], privacy);
  }
  prepend(value: JsonValue, privacy?: Privacy): void {
    this.write([listPrependChange(this.content, value) as unknown as JsonValue], privacy);
  }
  insert(index: number, value: JsonValue, privacy?: Privacy): void {
    this.write([listInsertChange(this.content, index, value) as unknown as JsonValue], privacy);
  }
  delete(index: number, privacy?: Privacy): void {
    this.assertMayDelete();
    this.write([listDeleteChange(this.content, index) as unknown as JsonValue], privacy);
  }
}

export class CoStreamView extends CoValueView<CoStreamContent> {
  protected emptyContent() {
    return new CoStreamContent();
  }
  push(item: JsonValue, privacy?: Privacy): void {
    this.write([streamPushChange(item)], privacy);
  }
}

export class BinaryStreamView extends CoValueView<BinaryStreamContent> {
  protected emptyContent() {
    return new BinaryStreamContent();
  }
  /** Writes a whole file: start, chunks of `BINARY_CHUNK_SIZE`, end — one transaction each. */
  writeBytes(bytes: Uint8Array, info: Omit<BinaryStreamInfo, "totalSizeBytes">, privacy?: Privacy): void {
    for (const item of binaryStreamItems(bytes, info)) this.write([item as unknown as JsonValue], privacy);
  }
  toBytes(): Uint8Array | undefined {
    return this.content.toBytes();
  }
}

export class CoPlainTextView extends CoValueView<CoPlainTextContent> {
  protected emptyContent() {
    return new CoPlainTextContent();
  }
  override toString(): string {
    return this.content.toString();
  }
  /** Inserts `text` after grapheme `index` (in an empty text, 0 inserts at the start), as cojson does. */
  insertAfter(index: number, text: string, privacy?: Privacy): void {
    const session = this.node.sessionFor(this.id);
    const nextTxIndex = [...this.transactions()].filter((t) => t.sessionId === session).length;
    const batches = textInsertAfterChanges(this.content, index, text, { sessionID: session, txIndex: nextTxIndex });
    for (const changes of batches) this.write(changes as unknown as JsonValue[], privacy);
  }
  deleteRange(from: number, to: number, privacy?: Privacy): void {
    this.assertMayDelete();
    this.write(textDeleteRangeChanges(this.content, from, to) as unknown as JsonValue[], privacy);
  }
}
