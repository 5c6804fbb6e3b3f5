const mb = () => (process.memoryUsage().rss / 2 ** 20).toFixed(1);
console.log("bare", mb());
const order = process.argv.slice(2);
for (const m of order) { await import(m); console.log(m, mb()); }
const { startSyncServer } = await import("@cosync/server");
console.log("import server", mb(), JSON.stringify(Object.fromEntries(Object.entries(process.memoryUsage()).map(([k,v])=>[k,(v/2**20).toFixed(1)]))));
const s = await startSyncServer({ port: 0, db: "/tmp/zz.db", log: { level: "silent" }, processMetrics: false });
await new Promise((r) => setTimeout(r, 500));
console.log("started", mb(), JSON.stringify(Object.fromEntries(Object.entries(process.memoryUsage()).map(([k,v])=>[k,(v/2**20).toFixed(1)]))));
await s.close(); process.exit(0);
