// The public surface of @cosync/schema. Named re-exports only.
export { z } from "zod";
export { co } from "./co.js";
export { AccountInstance, AccountSchema, type Migration } from "./account-schema.js";
export { type ChildRef, type CoKind, CoSchema, type ItemSchema, type LoadOptions, OptionalRef, type Unloaded } from "./co-schema.js";
export type { TreeListener, TreeSubscriptionOptions } from "./deep-load.js";
export { SchemaError } from "./errors.js";
export { CoFeedInstance, CoFeedSchema, type FeedEntry } from "./feed-schema.js";
export { GroupInstance, GroupSchema, type Member } from "./group-schema.js";
export {
  type KeyValueStorage,
  memorySecretStore,
  type OpenAccountOptions,
  openAccount,
  type SecretStore,
  type StoredIdentity,
  webStorageSecretStore,
} from "./identity.js";
export { CoListInstance, CoListSchema } from "./list-schema.js";
export type { InstanceOf, ItemOf, ItemValue, Loaded, MapFields, MapInit, Query, ValueInit } from "./loaded.js";
export { CoMapInstance, CoMapSchema, type MapShape } from "./map-schema.js";
export type { Owner } from "./owner.js";
export { CoRecordInstance, CoRecordSchema } from "./record-schema.js";
export { type FileInfo, FileInstance, FileSchema, PlainTextInstance, PlainTextSchema } from "./text-file-schemas.js";
