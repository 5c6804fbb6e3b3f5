// Ctrl-C (SIGINT) or SIGTERM during long work: the command finishes the step in hand, closes its
// stores (so every acknowledged write is committed) and exits with 130. A second signal exits at once.

/** Set once a stop was asked for; long loops check `requested` between steps. */
export interface StopSignal extends Disposable {
  readonly requested: NodeJS.Signals | undefined;
}

/** Listens for SIGINT and SIGTERM until disposed. */
export function listenForStop(): StopSignal {
  let requested: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (requested !== undefined) process.exit(130);
    requested = signal;
    process.stderr.write(`\ncosync: ${signal}: stopping after the current step (again to stop at once)\n`);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    get requested() {
      return requested;
    },
    [Symbol.dispose]() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

/** Thrown out of a loop that saw a stop request; commands turn it into exit code 130. */
export class StoppedError extends Error {
  override readonly name = "StoppedError";
}

/** Exit code of a command stopped by a signal (128 + SIGINT's number, as shells report it). */
export const EXIT_STOPPED = 130;
