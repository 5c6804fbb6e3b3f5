import type { LocalNode } from "@cosync/core";
import { createContext, useContext } from "react";

/** What the provider gives its tree: the node (undefined while it is being opened). */
export const CosyncContext = createContext<LocalNode | undefined>(undefined);

/** The provider's node; throws outside a `<CosyncProvider>` or before it has one. */
export function useNode(): LocalNode {
  const node = useContext(CosyncContext);
  if (node === undefined) throw new Error("useNode: no cosync node here; render inside <CosyncProvider> (it renders its fallback until the node is ready)");
  return node;
}
