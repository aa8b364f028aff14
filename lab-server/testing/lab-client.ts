import WebSocket from 'ws';

/** An HTTP client that keeps the lab's cookie, as a browser would. */
export class LabClient {
  readonly base: string;
  cookie = '';

  constructor(url: string) {
    this.base = url.replace(/\/$/, '');
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(this.base + path, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0] ?? '';
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  }

  /** Runs a shell command on a node through the API. */
  async sh(session: string, node: string, command: string, timeoutMs = 30_000) {
    const r = await this.request('POST', `/api/sessions/${session}/nodes/${node}/exec`, {
      command,
      timeoutMs,
    });
    if (r.status !== 200) throw new Error(`exec failed with ${r.status}: ${r.text}`);
    return r.json as { exitCode: number; stdout: string; stderr: string };
  }

  websocket(path: string, headers: Record<string, string> = {}): WebSocket {
    return new WebSocket(this.base.replace(/^http/, 'ws') + path, {
      headers: { cookie: this.cookie, ...headers },
    });
  }
}
