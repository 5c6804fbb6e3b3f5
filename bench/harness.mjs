// Small timing helpers shared by the suites. Each measurement runs a warm-up, then repeats the
// body for at least `minMs` and reports the median of `rounds` rounds (these VMs are noisy).

/** Median time per operation in microseconds for `body(iterations)` that performs `iterations` ops. */
export async function measure(body, { iterations = 1000, rounds = 5, minMs = 200 } = {}) {
  await body(Math.max(1, Math.floor(iterations / 10)));
  let n = iterations;
  for (;;) {
    const start = performance.now();
    await body(n);
    const elapsed = performance.now() - start;
    if (elapsed >= minMs / rounds || n > 1e8) break;
    n *= 2;
  }
  const perOp = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    await body(n);
    perOp.push(((performance.now() - start) * 1000) / n);
  }
  perOp.sort((a, b) => a - b);
  return perOp[Math.floor(perOp.length / 2)];
}

/** Prints rows as an aligned text table; returns the rows for the JSON result. */
export function printTable(columns, rows) {
  const text = [columns, ...rows.map((row) => columns.map((c) => format(row[c])))];
  const widths = columns.map((_, i) => Math.max(...text.map((r) => String(r[i]).length)));
  for (const [index, row] of text.entries()) {
    console.log(row.map((cell, i) => String(cell).padEnd(widths[i])).join("  "));
    if (index === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
  return rows;
}

function format(value) {
  if (typeof value !== "number") return value ?? "";
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
