// Progress of long operator work, on stderr so stdout stays the result: a bar with rate and ETA
// on a terminal (cli-progress), a plain line every few seconds otherwise (logs, CI), nothing
// with --json (a script reading stdout wants only the JSON).
import { SingleBar } from "cli-progress";

export type ProgressMode = "bar" | "lines" | "none";

/** Reports how much of `total` units is done. */
export interface Progress {
  advance(units: number): void;
  /** Ends the report (the bar is left at its last state); prints the final plain line. */
  stop(): void;
}

/** The mode for this process: none with --json, a bar on a terminal, plain lines otherwise. */
export function progressMode(json: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (json) return "none";
  return stream.isTTY === true ? "bar" : "lines";
}

/** Starts reporting `label` over `total` `unit`s. */
export function startProgress(mode: ProgressMode, label: string, total: number, unit: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (mode === "none") return { advance() {}, stop() {} };
  const started = performance.now();
  let done = 0;
  const rate = () => Math.round(done / Math.max((performance.now() - started) / 1000, 0.001));
  if (mode === "bar") {
    const bar = new SingleBar({
      stream,
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
      barsize: 30,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    });
    bar.start(total, 0, { rate: 0 });
    return {
      advance(units) {
        done += units;
        bar.update(done, { rate: rate() });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let lastLine = 0;
  const line = (final: boolean) => {
    const seconds = (performance.now() - started) / 1000;
    const perSecond = rate();
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    const eta = perSecond > 0 && !final ? `, ETA ${formatSeconds((total - done) / perSecond)}` : "";
    stream.write(`${label}: ${done}/${total} ${unit} (${percent}%), ${perSecond} ${unit}/s${final ? `, ${formatSeconds(seconds)} in all` : eta}\n`);
  };
  line(false);
  return {
    advance(units) {
      done += units;
      const now = performance.now();
      if (now - lastLine >= PLAIN_LINE_EVERY_MS) {
        lastLine = now;
        line(false);
      }
    },
    stop() {
      line(true);
    },
  };
}

const PLAIN_LINE_EVERY_MS = 2_000;

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}
