/**
 * JSON-RPC over HTTP to the node that served the page (same origin, `POST /`). `call` sends one
 * request; `batch` sends many in batches of at most 100 (the server's default limit) and
 * returns the results in order, throwing on the first error.
 */

let nextId = 1;

/** An error object from the node: `code` is the API's stable number. */
export class RpcError extends Error {
  constructor(error) {
    super(error?.message ?? 'bad answer from the node');
    this.name = 'RpcError';
    this.code = error?.code;
    this.data = error?.data;
  }
}

async function post(body) {
  const r = await fetch('/', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  let json;
  try {
    json = await r.json();
  } catch {
    throw new RpcError({ message: `the node answered HTTP ${r.status} without JSON` });
  }
  return json;
}

/** One call: its result, or an `RpcError`. */
export async function call(method, params = []) {
  const json = await post({ jsonrpc: '2.0', id: nextId++, method, params });
  if (json?.error) throw new RpcError(json.error);
  if (!json || !('result' in json)) throw new RpcError({ message: 'the node sent no result' });
  return json.result;
}

/** Many calls `[[method, params], …]`: their results in order. */
export async function batch(calls, size = 100) {
  const results = [];
  for (let i = 0; i < calls.length; i += size) {
    const chunk = calls.slice(i, i + size).map(([method, params]) => ({
      jsonrpc: '2.0',
      id: nextId++,
      method,
      params,
    }));
    const json = await post(chunk);
    if (!Array.isArray(json)) throw new RpcError(json?.error ?? { message: 'the node did not answer the batch' });
    const byId = new Map(json.map((r) => [r?.id, r]));
    for (const req of chunk) {
      const r = byId.get(req.id);
      if (!r) throw new RpcError({ message: `no answer to ${req.method}` });
      if (r.error) throw new RpcError(r.error);
      results.push(r.result);
    }
  }
  return results;
}
