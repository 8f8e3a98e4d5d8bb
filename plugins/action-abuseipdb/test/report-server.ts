import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the local AbuseIPDB stand-in received, with the checks it made. */
export interface ReceivedReport {
  readonly key: string | undefined;
  readonly accept: string | undefined;
  readonly contentType: string | undefined;
  readonly fields: Record<string, string>;
}

/**
 * A local HTTP server that checks each report the way AbuseIPDB's v2 endpoint would (POST, `Key` header,
 * JSON accept, form body with `ip` and `categories`) and answers with a status the test chooses.
 */
export async function startReportServer(answer: (r: ReceivedReport) => { status: number; headers?: Record<string, string> } = () => ({ status: 200 })): Promise<{
  url: string;
  reports: ReceivedReport[];
  problems: string[];
  close(): Promise<void>;
}> {
  const reports: ReceivedReport[] = [];
  const problems: string[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    if (req.method !== 'POST') problems.push(`method ${req.method}`);
    if (req.url !== '/api/v2/report') problems.push(`path ${req.url}`);
    const report: ReceivedReport = {
      key: req.headers.key as string | undefined,
      accept: req.headers.accept,
      contentType: req.headers['content-type'],
      fields: Object.fromEntries(new URLSearchParams(raw)),
    };
    if (!report.fields.ip || !report.fields.categories) problems.push(`missing fields in ${raw}`);
    reports.push(report);
    const { status, headers } = answer(report);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(status === 200 ? { data: { ipAddress: report.fields.ip, abuseConfidenceScore: 50 } } : { errors: [{ detail: 'refused', status }] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v2/report`,
    reports,
    problems,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
