// porterd's API from the page (docs/api.md, docs/web.md): the session is
// the HttpOnly cookie porter_session, which the page never sees; every
// request that is not GET or HEAD carries X-Porter-CSRF, the token from the
// sign-in answer or, after a reload, from GET /v1/sessions/current. A 401
// anywhere means signed out: the app shows the sign-in form. A 403 csrf
// (the token went stale: another tab signed in again) reads the token
// again and retries once, unless the session now belongs to another
// account (then the sign-in form).

let csrf = null;
let accountId = null; // the account the token belongs to
let onUnauthenticated = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || 'http-' + status;
    this.field = e.field;
  }
}

export function setUnauthenticatedHandler(fn) {
  onUnauthenticated = fn;
}

export function hasCsrf() {
  return csrf !== null;
}

export async function request(method, path, body, retried = false) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-Porter-CSRF'] = csrf;
  const init = { method, credentials: 'same-origin', headers, cache: 'no-store', redirect: 'error' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  let data = null;
  const type = res.headers.get('Content-Type') || '';
  if (res.status !== 204 && type.startsWith('application/json')) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  if (res.status === 401 && path !== '/v1/sessions') {
    forget();
    onUnauthenticated();
  }
  if (res.status === 403 && data && data.error && data.error.code === 'csrf' && !retried && accountId !== null) {
    const was = accountId;
    const who = await resume();
    if (!who || who.id !== was) {
      if (who) forget();
      onUnauthenticated(who ? 'This browser is now signed in to another account: sign in again.' : undefined);
      throw new ApiError(res.status, data);
    }
    return request(method, path, body, true);
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** getBytes(path, max) -> Uint8Array of a binary answer (a clip's key
 * record, manifest, sealed segment), or null for a 404; at most max bytes. */
export async function getBytes(path, max) {
  const res = await fetch(path, { credentials: 'same-origin', cache: 'no-store', redirect: 'error',
    headers: { Accept: 'application/cbor, application/octet-stream' } });
  if (res.status === 404) return null;
  if (res.status === 401) {
    forget();
    onUnauthenticated();
  }
  if (!res.ok) {
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    throw new ApiError(res.status, data);
  }
  return readLimited(res, max, `${path}: over ${max} bytes`);
}

/** readLimited(res, max, message) -> Uint8Array of the response's body,
 * read chunk by chunk and cancelled as soon as it passes max bytes (a
 * Content-Length over max is refused before reading; none, or a false
 * one, is not trusted). Throws ApiError 413 with message. */
export async function readLimited(res, max, message) {
  const over = () => new ApiError(413, { error: { code: 'too-large', message } });
  const len = Number(res.headers.get('Content-Length'));
  if (res.headers.get('Content-Length') !== null && Number.isFinite(len) && len > max) {
    if (res.body) res.body.cancel().catch(() => {});
    throw over();
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const parts = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      reader.cancel().catch(() => {});
      throw over();
    }
    parts.push(value);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const get = (p) => request('GET', p);
export const post = (p, b) => request('POST', p, b ?? {});
export const del = (p) => request('DELETE', p);
/** The home's household members (GET /v1/homes/{id}/members). */
export const listMembers = (home) => get(`/v1/homes/${enc(home)}/members`);
/** Remove an account from the home, or leave it (your own account id). */
export const removeMember = (home, accountId) =>
  del(`/v1/homes/${enc(home)}/members/${encodeURIComponent(String(accountId))}`);

/** signIn(email, password) -> the account: a cookie session. */
export async function signIn(email, password) {
  const r = await request('POST', '/v1/sessions', { email, password, cookie: true });
  if (!r || typeof r.csrf !== 'string') throw new ApiError(500, { error: { message: 'porterd gave no CSRF token' } });
  csrf = r.csrf;
  accountId = r.account ? r.account.id : null;
  return r.account;
}

/** forget(): drop the CSRF token and the account here (the cookie stays
 * until the server clears it). */
export function forget() {
  csrf = null;
  accountId = null;
}

/** resume() -> the account of the cookie's session, or null (no session). */
export async function resume() {
  try {
    const r = await fetch('/v1/sessions/current', { credentials: 'same-origin', cache: 'no-store',
      headers: { Accept: 'application/json' } });
    if (!r.ok) return null;
    const d = await r.json();
    if (!d || typeof d.csrf !== 'string' || !d.account) return null;
    csrf = d.csrf;
    accountId = d.account.id;
    return d.account;
  } catch {
    return null;
  }
}

/** csrfToken() -> the current CSRF token (signOut sends it after the page
 * has forgotten it). */
export function csrfToken() {
  return csrf;
}

/** signOut(everywhere, token): this session, or every session of the
 * account. The page forgets first (forget()); the DELETE carries the
 * token it had. */
export async function signOut(everywhere, token = csrf) {
  forget();
  const headers = { Accept: 'application/json' };
  if (token) headers['X-Porter-CSRF'] = token;
  const res = await fetch(everywhere ? '/v1/sessions' : '/v1/sessions/current', { method: 'DELETE',
    credentials: 'same-origin', headers, cache: 'no-store', redirect: 'error' });
  if (res.ok || res.status === 401) return;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  throw new ApiError(res.status, data);
}

export function enc(s) {
  return encodeURIComponent(s);
}
