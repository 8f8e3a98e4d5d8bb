import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** How RDAP requests are made. */
export interface RdapTransport {
  /** Abort a request (and its redirects) after this many ms. */
  readonly timeoutMs: number;
  /** Extra CA certificates in PEM (a private RDAP mirror); the system's are used as well. */
  readonly ca?: string | undefined;
}

/** RDAP answers larger than this are refused: a mail needs a few fields, not a registry dump. */
const MAX_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 3;

/**
 * GET `url` and parse its JSON, following up to three redirects (RIRs redirect to each other for addresses
 * they do not hold). Only `https:` URLs, and `http:` to a loopback host (a local mirror, a test server), are
 * fetched. Rejects on a non-2xx status, a body over 1 MiB, bad JSON or the timeout.
 */
export function getJson(url: string, transport: RdapTransport, signal: AbortSignal): Promise<unknown> {
  return get(new URL(url), transport, signal, 0);
}

function get(url: URL, transport: RdapTransport, signal: AbortSignal, redirects: number): Promise<unknown> {
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && /^(?:127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/.test(url.hostname))) {
    return Promise.reject(new Error(`RDAP: refusing ${url.protocol} URL ${url.origin} (https only)`));
  }
  return new Promise((resolve, reject) => {
    const options = { signal, headers: { accept: 'application/rdap+json, application/json' }, ...(transport.ca ? { ca: transport.ca } : {}) };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects >= MAX_REDIRECTS) return reject(new Error(`RDAP: too many redirects at ${url.origin}`));
        return resolve(get(new URL(res.headers.location, url), transport, signal, redirects + 1));
      }
      if (status < 200 || status >= 300) {
        res.resume();
        return reject(new Error(`RDAP: ${url.origin} answered ${status}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BYTES) req.destroy(new Error(`RDAP: answer from ${url.origin} over 1 MiB`));
        else chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(new Error(`RDAP: ${url.origin} sent no JSON`));
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}
