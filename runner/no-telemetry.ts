/**
 * Preloaded into the Artillery process the runner starts (`node --require`), only when
 * ARTILLERY_DISABLE_TELEMETRY is set (the runner always sets it).
 *
 * Why: Artillery 2.0.21 still sends one anonymous "test run" event when telemetry is disabled,
 * and waits for it to flush before it exits. With no route to the telemetry host (an offline or
 * firewalled machine, like CI here), that wait is a DNS failure: about 12 s after every run,
 * measured (`npm run bench` B8). This gives posthog-node a client that sends nothing, so a
 * disabled telemetry is really off. Artillery itself is not changed.
 */
import Module from 'node:module';

interface Loader {
  _load(request: string, parent: unknown, isMain: boolean): unknown;
}

class SilentPostHog {
  capture(): void {}
  async shutdownAsync(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

if (process.env.ARTILLERY_DISABLE_TELEMETRY !== undefined) {
  const loader = Module as unknown as Loader;
  const load = loader._load.bind(loader);
  loader._load = (request: string, parent: unknown, isMain: boolean): unknown =>
    request === 'posthog-node' ? { PostHog: SilentPostHog } : load(request, parent, isMain);
}
