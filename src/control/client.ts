import { request } from 'node:http';
import { errors } from '../errors/catalog.js';

/** Sends one operator command to a running embedded service over its control socket. */
export function sendControlCommand(socketPath: string, name: string, input: unknown): Promise<unknown> {
  const body = JSON.stringify(input);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path: `/commands/${encodeURIComponent(name)}`,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          let payload: { result?: unknown; code?: string; detail?: string; errors?: [] };
          try {
            payload = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof payload;
          } catch {
            reject(new Error('The running service gave an unreadable answer on its control socket.'));
            return;
          }
          if (res.statusCode === 200) resolve(payload.result);
          else
            reject(
              errors.commandFailed(res.statusCode ?? 500, payload.code, payload.detail ?? '', payload.errors),
            );
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('The running service did not answer within 30 s.')));
    req.on('error', reject);
    req.end(body);
  });
}
