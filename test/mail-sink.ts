import { SMTPServer } from 'smtp-server';

/** A plain SMTP server on 127.0.0.1 that accepts every message, for the e-mail action to send to. */
export interface MailSink {
  readonly port: number;
  /** Every message received, raw (headers and body), in order. */
  readonly mails: readonly string[];
  close(): Promise<void>;
}

/** Start a {@link MailSink} on a free port: no authentication, no STARTTLS (the action is set `starttls: false`). */
export async function startMailSink(): Promise<MailSink> {
  const mails: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (raw += chunk));
      stream.on('end', () => {
        mails.push(raw);
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as { port: number };
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
