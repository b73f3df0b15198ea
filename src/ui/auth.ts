/**
 * Who may use the web UI: whoever has its access token, as Jupyter does. The
 * token is random (32 bytes from the kernel's CSPRNG), printed in the URL
 * `netlab ui` shows, and required for every request and WebSocket — on
 * localhost too, since on a shared machine (a course server) every user can
 * reach 127.0.0.1 (docs/decisions.md, "netlab ui"). The first request with
 * `?token=` gets a cookie (HttpOnly, SameSite=Strict, named after the port, so
 * two servers on one host keep theirs); later requests and WebSockets carry it.
 *
 * Requests that change something, and every WebSocket, must also come from
 * the page's own origin (the Origin header, when a browser sends one, equals
 * http://<Host>): a page on another site cannot drive the lab through the
 * user's browser (cross-site WebSocket hijacking, CSRF).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A new access token: 64 hex digits (256 random bits). */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** The cookie that carries the token for the server on `port`. */
export function cookieName(port: number): string {
  return `netlab-ui-${port}`;
}

/** Equal in constant time (no timing hint about how much of a guess was right). */
export function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given), b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of cookie `name` in a Cookie header (pure); undefined when absent. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** How a request proved it may come in. */
export type Credential = 'cookie' | 'query' | 'header' | 'none';

/**
 * Which credential of `req` carries the right token (pure apart from reading
 * the request): the cookie, `?token=` in the URL, or `Authorization: token T`
 * (as Jupyter accepts it, for scripts); 'none' when none does.
 */
export function credential(req: Pick<IncomingMessage, 'headers' | 'url'>, token: string, port: number): Credential {
  if (sameToken(readCookie(req.headers.cookie, cookieName(port)), token)) return 'cookie';
  const q = new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? undefined;
  if (sameToken(q, token)) return 'query';
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /^(?:token|bearer)\s+(\S+)$/i.exec(auth) : null;
  if (m && sameToken(m[1], token)) return 'header';
  return 'none';
}

/**
 * Whether the request's Origin (if a browser sent one) is the page's own:
 * `http://` + the Host header. A request without Origin is not from a page
 * of another site (browsers send Origin on every WebSocket and every
 * cross-origin or non-GET fetch), so it passes here and still needs the token.
 */
export function sameOrigin(req: Pick<IncomingMessage, 'headers'>): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const host = req.headers.host;
  return typeof host === 'string' && (origin === `http://${host}` || origin === `https://${host}`);
}

/** The Set-Cookie header value that hands the token to the browser. */
export function tokenCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}
