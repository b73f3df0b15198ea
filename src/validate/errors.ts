/**
 * CheckError: a check could not run at all (the tool is missing in the node,
 * the command crashed). The runner ends the test as an `error` at once,
 * without retrying, unlike a check that ran and saw something else (a `fail`,
 * retried while the test's `wait` lasts).
 */
export class CheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckError';
  }
}
