// Loaded with `node --import` into a measured process: reports its peak resident memory when it exits.
process.on("exit", () => {
  process.stderr.write(`\n@@maxrss_kb ${process.resourceUsage().maxRSS}\n`);
});
