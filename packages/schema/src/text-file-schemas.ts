import type { BinaryStreamView, CoId, CoPlainTextView, CoValueHandle, GroupView, LocalNode } from "@cosync/core";
import { CoSchema, type LoadOptions } from "./co-schema.js";
import type { TreeListener, TreeSubscriptionOptions } from "./deep-load.js";
import { SchemaError } from "./errors.js";
import { ownerOf } from "./map-schema.js";
import { type Owner, ownerGroup } from "./owner.js";

/** A `co.plainText()` schema: a CoPlainText (header meta `null`), as jazz-tools' CoPlainText. */
export class PlainTextSchema extends CoSchema {
  readonly kind = "text";

  loadView(node: LocalNode, id: CoId): Promise<CoValueHandle> {
    return node.loadPlainText(id);
  }
  wrap(view: CoValueHandle): PlainTextInstance {
    return new PlainTextInstance(this, view as CoPlainTextView);
  }
  override checkInit(init: unknown, path: string): void {
    if (typeof init !== "string") throw new SchemaError(path || "init", "a string", init);
  }
  override createChecked(init: unknown, owner: GroupView): PlainTextInstance {
    return this.wrap(owner.createPlainText(init as string));
  }
  create(text: string, options: { readonly owner: Owner }): PlainTextInstance {
    const owner = ownerGroup(options?.owner);
    this.checkInit(text, "");
    return this.createChecked(text, owner);
  }
  load(id: CoId, options: LoadOptions<true>): Promise<PlainTextInstance> {
    return this.loadWith(id, options) as Promise<PlainTextInstance>;
  }
  subscribe(id: CoId, options: TreeSubscriptionOptions<true>, listener: TreeListener<PlainTextInstance>): () => void {
    return this.subscribeWith(id, options, listener as TreeListener<unknown>);
  }
}

/** A loaded plain text: `toString()`, and grapheme-indexed `$insertAfter` / `$deleteRange`. */
export class PlainTextInstance {
  readonly $isLoaded = true;
  readonly #view: CoPlainTextView;
  constructor(
    readonly $schema: PlainTextSchema,
    view: CoPlainTextView,
  ) {
    this.#view = view;
  }
  get $id(): CoId {
    return this.#view.id;
  }
  get $view(): CoPlainTextView {
    return this.#view;
  }
  get $owner(): GroupView {
    return ownerOf(this.#view);
  }
  toString(): string {
    return this.#view.toString();
  }
  toJSON(): string {
    return this.#view.toString();
  }
  /** Inserts `text` after grapheme `index` (0 in an empty text inserts at the start). */
  $insertAfter(index: number, text: string): void {
    if (typeof text !== "string") throw new SchemaError("text", "a string", text);
    this.#view.insertAfter(index, text);
  }
  /** Deletes graphemes `from` (inclusive) to `to` (exclusive). */
  $deleteRange(from: number, to: number): void {
    this.#view.deleteRange(from, to);
  }
}

/** What a file is created with besides its bytes. */
export interface FileInfo {
  readonly mimeType: string;
  readonly fileName?: string;
}

/** A `co.file()` schema: a binary CoStream (header meta `{ type: "binary" }`), as jazz-tools' FileStream. */
export class FileSchema extends CoSchema {
  readonly kind = "file";

  loadView(node: LocalNode, id: CoId): Promise<CoValueHandle> {
    return node.loadBinaryStream(id);
  }
  wrap(view: CoValueHandle): FileInstance {
    return new FileInstance(this, view as BinaryStreamView);
  }
  /** Creates a file owned by `options.owner` from its bytes (start, chunks, end: one transaction each). */
  create(bytes: Uint8Array, options: FileInfo & { readonly owner: Owner }): FileInstance {
    const owner = ownerGroup(options?.owner);
    if (!(bytes instanceof Uint8Array)) throw new SchemaError("bytes", "a Uint8Array", bytes);
    if (typeof options.mimeType !== "string") throw new SchemaError("mimeType", "a string", options.mimeType);
    const view = owner.createBinaryStream();
    view.writeBytes(bytes, options.fileName === undefined ? { mimeType: options.mimeType } : { mimeType: options.mimeType, fileName: options.fileName });
    return this.wrap(view);
  }
  load(id: CoId, options: LoadOptions<true>): Promise<FileInstance> {
    return this.loadWith(id, options) as Promise<FileInstance>;
  }
  subscribe(id: CoId, options: TreeSubscriptionOptions<true>, listener: TreeListener<FileInstance>): () => void {
    return this.subscribeWith(id, options, listener as TreeListener<unknown>);
  }
}

/** A loaded file: its info, whether it is complete, and its bytes. */
export class FileInstance {
  readonly $isLoaded = true;
  readonly #view: BinaryStreamView;
  constructor(
    readonly $schema: FileSchema,
    view: BinaryStreamView,
  ) {
    this.#view = view;
  }
  get $id(): CoId {
    return this.#view.id;
  }
  get $view(): BinaryStreamView {
    return this.#view;
  }
  get mimeType(): string | undefined {
    return this.#view.content.info()?.mimeType;
  }
  get fileName(): string | undefined {
    return this.#view.content.info()?.fileName;
  }
  get isComplete(): boolean {
    return this.#view.content.isComplete;
  }
  /** The whole file, or undefined while it is incomplete. */
  toBytes(): Uint8Array | undefined {
    return this.#view.toBytes();
  }
  toJSON(): string {
    return this.$id;
  }
}
