/**
 * node dist/examples/serve.js <booking|flash> [--port N] [--mode M]
 *
 * Serves one of the example APIs in its own process, on the database at DATABASE_URL (its
 * schema.sql applied, its data loaded: the API's owner does that, not the pack). Prints
 * "listening on <url>" when ready and stops on SIGINT or SIGTERM. The benchmarks run it this way,
 * apart from the process that measures, as the reference API runs.
 */
import type { Served } from './http';
import { startBookingApi, type BookingMode } from './booking-api/server';
import { startFlashApi, type FlashMode } from './flash-api/server';

const APIS = {
  booking: (o: { databaseUrl: string; port: number; mode: string }) => startBookingApi({ ...o, mode: o.mode as BookingMode }),
  flash: (o: { databaseUrl: string; port: number; mode: string }) => startFlashApi({ ...o, mode: o.mode as FlashMode }),
} as const;

async function main(argv: readonly string[]): Promise<number> {
  const name = argv[0] as keyof typeof APIS | undefined;
  const opt = (flag: string, def: string): string => {
    const i = argv.indexOf(flag);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def;
  };
  const databaseUrl = process.env.DATABASE_URL;
  const port = Number(opt('--port', '4000'));
  if (!name || !(name in APIS) || !databaseUrl || !Number.isInteger(port)) {
    console.error(`usage: DATABASE_URL=… node dist/examples/serve.js <${Object.keys(APIS).join('|')}> [--port N] [--mode correct]`);
    return 254;
  }
  const served: Served = await APIS[name]({ databaseUrl, port, mode: opt('--mode', 'correct') });
  console.log(`listening on ${served.url}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await served.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`error: ${(err as Error).message}`);
    process.exit(1);
  },
);
