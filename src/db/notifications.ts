import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/**
 * LISTEN on the channels of the caches that must hear every change committed by any process: one change
 * feed per process (one connection on a server, whatever the number of channels). What the listener
 * promises is narrow: between `onListening` and `onLost`, every notification committed on a channel
 * arrives. Outside that window some may be missed, so a cache must not serve then.
 */
export interface NotificationHandlers {
  onNotification(payload: string): void;
  /** LISTEN is in place: from now on every notification arrives. */
  onListening(): void;
  /** The listening connection failed or dropped; `retryInMs` when another attempt is scheduled. */
  onLost(error: unknown, retryInMs?: number): void;
}

/** The part of the handlers a cache follows: when it may serve, and when it must stop. */
export type ListenerLifecycle = Pick<NotificationHandlers, 'onListening' | 'onLost'>;

export interface NotificationListener {
  close(): Promise<void>;
}

/** One cache's channel and what it does with the channel's news. */
export interface ChannelSubscription {
  channel: string;
  handlers: NotificationHandlers;
}

/** How often the listening connection is checked: a half-open TCP connection would otherwise hear nothing. */
const HEARTBEAT_MS = 15_000;
const QUERY_TIMEOUT_MS = 5_000;
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;

/** Shown in pg_stat_activity, so that operators can tell this connection from the pool's. */
export const LISTENER_APPLICATION_NAME = 'finance-api listener';

/**
 * A PostgreSQL server: one dedicated connection (not one of the pool's, which the pool may close or
 * hand to queries), reconnected with exponential backoff and jitter. Resolves after the first attempt,
 * whether it succeeded or not; never rejects, and the handlers are never called after `close`.
 */
export async function listenOnServer(
  connectionString: string,
  subscriptions: readonly ChannelSubscription[],
): Promise<NotificationListener> {
  const byChannel = new Map(subscriptions.map((s) => [s.channel, s.handlers]));
  const everyone = [...byChannel.values()];
  let closed = false;
  let current: pg.Client | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let failures = 0;

  const retryLater = (error: unknown) => {
    if (closed) return;
    const retryInMs = Math.round(
      Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** failures) * (0.5 + Math.random() / 2),
    );
    failures += 1;
    retry = setTimeout(() => void connect(), retryInMs).unref();
    for (const handlers of everyone) callSafely(() => handlers.onLost(error, retryInMs));
  };

  const drop = (client: pg.Client, error: unknown) => {
    if (client !== current) return; // already given up (or closed)
    current = undefined;
    clearInterval(heartbeat);
    client.end().catch(() => undefined);
    retryLater(error);
  };

  const connect = async (): Promise<void> => {
    let client: pg.Client;
    try {
      client = new pg.Client({
        connectionString,
        application_name: LISTENER_APPLICATION_NAME,
        keepAlive: true,
        connectionTimeoutMillis: QUERY_TIMEOUT_MS,
        query_timeout: QUERY_TIMEOUT_MS,
      });
    } catch (error) {
      retryLater(error);
      return;
    }
    current = client;
    // Without an 'error' listener a dropped connection would crash the process.
    client.on('error', (error) => drop(client, error));
    client.on('end', () => drop(client, new Error('the listening connection closed')));
    client.on('notification', (message) => {
      const handlers = byChannel.get(message.channel);
      if (client === current && handlers) callSafely(() => handlers.onNotification(message.payload ?? ''));
    });
    try {
      await client.connect();
      for (const channel of byChannel.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      drop(client, error);
      return;
    }
    if (client !== current) return; // closed meanwhile
    failures = 0;
    heartbeat = setInterval(() => {
      client.query('select 1').catch((error: unknown) => drop(client, error));
    }, HEARTBEAT_MS).unref();
    for (const handlers of everyone) callSafely(handlers.onListening);
  };

  if (everyone.length === 0) return { close: async () => undefined };
  await connect();
  return {
    close: async () => {
      closed = true;
      clearTimeout(retry);
      clearInterval(heartbeat);
      const client = current;
      current = undefined;
      await client?.end().catch(() => undefined);
    },
  };
}

/** Embedded PGlite: notifications are delivered in-process, by the time the notifying query returns. */
export async function listenInProcess(
  pglite: PGlite,
  subscriptions: readonly ChannelSubscription[],
): Promise<NotificationListener> {
  const listeners = await Promise.all(
    subscriptions.map(({ channel, handlers }) => listenToChannelInProcess(pglite, channel, handlers)),
  );
  return { close: async () => void (await Promise.all(listeners.map((l) => l.close()))) };
}

async function listenToChannelInProcess(
  pglite: PGlite,
  channel: string,
  handlers: NotificationHandlers,
): Promise<NotificationListener> {
  let closed = false;
  try {
    const unlisten = await pglite.listen(channel, (payload) => {
      if (!closed) callSafely(() => handlers.onNotification(payload));
    });
    callSafely(handlers.onListening);
    return {
      close: async () => {
        closed = true;
        await unlisten().catch(() => undefined); // the database may be closed already
      },
    };
  } catch (error) {
    callSafely(() => handlers.onLost(error));
    return { close: async () => undefined };
  }
}

/** A handler's bug must not escape into the driver's event loop, where it would crash the process. */
function callSafely(handler: () => void): void {
  try {
    handler();
  } catch {
    // the handlers are ours and do not throw; this is the last line of defence
  }
}
