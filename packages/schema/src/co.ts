import { z } from "zod";
import { AccountSchema } from "./account-schema.js";
import type { CoSchema, ItemSchema } from "./co-schema.js";
import { CoFeedSchema } from "./feed-schema.js";
import { GroupSchema } from "./group-schema.js";
import { CoListSchema } from "./list-schema.js";
import { CoMapSchema, type MapShape } from "./map-schema.js";
import { CoRecordSchema } from "./record-schema.js";
import { FileSchema, PlainTextSchema } from "./text-file-schemas.js";

const profileShape = { name: z.string() };

/**
 * The schema constructors, named as jazz-tools names them so a schema reads the same in both:
 * `co.map`, `co.record`, `co.list`, `co.feed`, `co.plainText`, `co.file`, `co.group`,
 * `co.profile`, `co.account`. JSON fields are zod 4 schemas (`z.string()`, `z.boolean().optional()`).
 */
export const co = {
  map<Shape extends MapShape>(shape: Shape): CoMapSchema<Shape> {
    return new CoMapSchema(shape);
  },
  record<Value extends ItemSchema>(key: z.ZodType<string>, value: Value): CoRecordSchema<Value> {
    return new CoRecordSchema(key, value);
  },
  list<Item extends ItemSchema>(item: Item): CoListSchema<Item> {
    return new CoListSchema(item);
  },
  feed<Item extends ItemSchema>(item: Item): CoFeedSchema<Item> {
    return new CoFeedSchema(item);
  },
  plainText(): PlainTextSchema {
    return new PlainTextSchema();
  },
  file(): FileSchema {
    return new FileSchema();
  },
  group(): GroupSchema {
    return new GroupSchema();
  },
  /** A profile: `name` (what every cojson account's profile holds) plus your fields. */
  profile<Shape extends MapShape = { readonly [key in never]: never }>(shape?: Shape): CoMapSchema<typeof profileShape & Shape> {
    return new CoMapSchema({ ...profileShape, ...((shape ?? {}) as Shape) });
  },
  account<Profile extends CoSchema, Root extends CoSchema>(shape: { readonly profile: Profile; readonly root: Root }): AccountSchema<Profile, Root> {
    return new AccountSchema(shape);
  },
};
