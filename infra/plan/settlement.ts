/**
 * Node exits once nothing is left to run, even while a promise is still pending: a program whose Output never
 * resolves would end silently with status 0 and half a plan. The SDK's own leak report is off in the plan
 * (infra/plan/shortcuts.ts), so the CLI reports it: if `work` has not settled when the process exits, the exit
 * status becomes `exitCode` and stderr says why.
 */
export function failIfUnsettledAtExit(work: Promise<unknown>, what: string, exitCode: number): void {
  let settled = false;
  const done = () => {
    settled = true;
  };
  work.then(done, done);
  process.on("exit", () => {
    if (settled) return;
    process.stderr.write(`${what} never finished: the program left work that nothing will complete (an Output that never resolves, or a resource waiting on one)\n`);
    process.exitCode = exitCode;
  });
}
