import { CoCrypto } from "../crypto/co-crypto.js";
import { idForHeader } from "../covalues/header.js";
import { makeTrustingTransaction } from "../log/make-transaction.js";
import { accountHeader, changesToTransactions, createAccountChanges } from "../permissions/group-changes.js";
import { LocalNode, type LocalNodeOptions } from "./local-node.js";

/**
 * Creates a new account and a node acting for it (cojson `withNewlyCreatedAccount`): the account
 * with its agent as admin and a read key, a profile group readable by everyone, and a profile
 * `{ name }` linked from the account.
 */
export function createAccountNode(options: Omit<LocalNodeOptions, "accountId"> & { readonly name: string }): LocalNode {
  const crypto = options.crypto instanceof CoCrypto ? options.crypto : new CoCrypto(options.crypto);
  const agentSecret = options.agentSecret ?? crypto.newRandomAgentSecret();
  const header = accountHeader(crypto.agentId(agentSecret));
  const accountId = idForHeader(header, (bytes) => crypto.provider.blake3(bytes));
  const node = new LocalNode({ ...options, crypto, agentSecret, accountId });
  const entry = node.entry(node.createCoValue(header).id);
  const context = { crypto, me: node.permissions.identity, sessionId: node.agentSessionId, nextTxIndex: 0 };
  const now = node.clock.now();
  for (const tx of changesToTransactions(createAccountChanges(context, accountId, crypto.newKey()), now)) {
    node.appendOwnTransaction(entry, tx);
  }
  const profileGroup = node.createGroup();
  profileGroup.addMember("everyone", "reader");
  const profile = profileGroup.createMap({ name: options.name });
  node.appendOwnTransaction(entry, makeTrustingTransaction([{ op: "set", key: "profile", value: profile.id }], now));
  return node;
}

