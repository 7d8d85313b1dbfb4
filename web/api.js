// Credentials and the API helper, shared by every view.

const TOKEN_KEY = 'portcullis.token';
const WHO_KEY = 'portcullis.who';

/** An API failure: `kind` is `network`, `unauthorized`, `forbidden`, `missing` or `http`. */
export class ApiError extends Error {
  constructor(kind, status, message, code) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.code = code;
  }
}

let onUnauthorized = () => {};

/** Sets what happens when the server answers 401 to the session's token. */
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  get who() { return sessionStorage.getItem(WHO_KEY) || ''; },
  set(token, who) { sessionStorage.setItem(TOKEN_KEY, token); sessionStorage.setItem(WHO_KEY, who); },
  clear() { sessionStorage.removeItem(TOKEN_KEY); sessionStorage.removeItem(WHO_KEY); },
};

/**
 * Calls the API with the session's bearer token and returns the parsed JSON (or null for an empty body).
 * A 401 signs the page out; other failures throw `ApiError` with the server's message. With `withRevision`, a write's
 * answer comes as `{data, revision}` (the `X-Portcullis-Revision` it produced, or null).
 */
export async function api(path, { method = 'GET', body, token = session.token, signOutOn401 = true, withRevision = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch {
    throw new ApiError('network', 0, 'The server cannot be reached.');
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (response.ok) return withRevision ? { data, revision: response.headers.get('X-Portcullis-Revision') } : data;
  const code = data?.error?.code;
  const message = data?.error?.message || `${response.status} ${response.statusText}`;
  if (response.status === 401) {
    if (signOutOn401) onUnauthorized('Your session has ended (signed out, expired or revoked). Sign in again.');
    throw new ApiError('unauthorized', 401, message, code);
  }
  if (response.status === 403) throw new ApiError('forbidden', 403, message, code);
  if (response.status === 404) throw new ApiError('missing', 404, message, code);
  const retry = response.headers.get('Retry-After');
  throw new ApiError('http', response.status, retry ? `${message} (retry after ${retry} s)` : message, code);
}
