// Shared set-up for interop tests: real cojson 0.20.19 crypto (the oracle) beside cosync's
// CoCrypto over each of our providers.
import { CoCrypto, type CryptoProvider } from "@cosync/core";
import { loadNodeCryptoProvider } from "@cosync/crypto";
import { loadPortableCryptoProvider } from "@cosync/crypto/portable";
import { cojsonInternals, LogLevel, logger } from "cojson";
import { WasmCrypto } from "cojson/crypto/WasmCrypto";

logger.setLevel(LogLevel.ERROR);

export type CojsonCrypto = Awaited<ReturnType<typeof WasmCrypto.create>>;

export async function loadOracle(): Promise<CojsonCrypto> {
  return WasmCrypto.create();
}

/** Our providers by name, each wrapped in the cojson-format layer. */
export async function loadCosyncCryptos(): Promise<Array<{ readonly name: string; readonly crypto: CoCrypto }>> {
  const providers: CryptoProvider[] = [await loadNodeCryptoProvider(), await loadPortableCryptoProvider()];
  return providers.map((provider) => ({ name: provider.name, crypto: new CoCrypto(provider) }));
}

export const cojsonIdForHeader = cojsonInternals.idforHeader as (header: unknown, crypto: CojsonCrypto) => string;
