import { randomBytes } from "node:crypto";
import pg from "pg";

/** A database created for one test file; `drop()` removes it. */
export interface FreshDatabase extends AsyncDisposable {
  readonly url: string;
  drop(): Promise<void>;
}

/** The server URL the Postgres tests run against; throws a clear error when CI did not set it. */
export function testPgUrl(): string {
  const url = process.env.TEST_PG_URL;
  if (url === undefined || url === "") {
    throw new Error(
      "TEST_PG_URL is not set: start PostgreSQL and export e.g. TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test",
    );
  }
  return url;
}

/**
 * Creates an empty database `t_<random>` on the server of `TEST_PG_URL`.
 *
 * Tests never share state: each gets its own database and drops it afterwards (FORCE ends any
 * connection a failed test left open).
 */
export async function createFreshDatabase(serverUrl = testPgUrl()): Promise<FreshDatabase> {
  const name = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const drop = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
  return { url: url.toString(), drop, [Symbol.asyncDispose]: drop };
}
