// The API client: the token (from /?token=… once, then the tab's session
// storage), JSON requests with problem+json errors, and the event stream
// read with fetch so that the token goes in the Authorization header.

const KEY = 'yardmaster.token';

/** The token: taken from the URL once (and removed from it), else the session's. */
export function token() {
  const url = new URL(location.href);
  const given = url.searchParams.get('token');
  if (given) {
    sessionStorage.setItem(KEY, given);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(KEY);
}

export function setToken(t) { sessionStorage.setItem(KEY, t); }
export function clearToken() { sessionStorage.removeItem(KEY); }

/** An API error: the problem's detail, with its status. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem && problem.detail ? problem.detail : `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** A JSON request; throws ApiError with the problem on 4xx/5xx. */
export async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const init = { method, headers: { Authorization: `Bearer ${token()}`, ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  const r = await fetch(path, init);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

/**
 * Reads the server-sent events of /api/v1/events, calling on(name, data)
 * for each; reconnects after a second when the stream ends. Returns a
 * function that stops it.
 */
export function stream(on, onState) {
  let stopped = false;
  let controller = null;
  async function run() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const r = await fetch('/api/v1/events', { headers: { Authorization: `Bearer ${token()}` }, signal: controller.signal });
        if (!r.ok) throw new ApiError(r.status, null);
        onState(true);
        const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let name = 'message';
            const data = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) name = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
            }
            if (data.length) on(name, data.join('\n'));
          }
        }
      } catch (e) {
        if (stopped) return;
        if (e instanceof ApiError && e.status === 401) { onState(false, e); return; }
      }
      onState(false);
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
  run();
  return () => { stopped = true; if (controller) controller.abort(); };
}
