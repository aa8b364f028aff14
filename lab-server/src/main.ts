/**
 * `npm start`: starts the lab in the foreground, prints its URL, and stops it cleanly on Ctrl-C. Every
 * failure ends in one line that says what to do, never a stack trace.
 */
import { loadConfig } from './config.ts';
import { DiskFull } from './errors/catalog.ts';
import { isLabError, LabError, pickLanguage } from './errors/lab-error.ts';
import { startLab } from './lab.ts';

const t0 = Date.now();
const say = (line: string) => {
  const seconds = ((Date.now() - t0) / 1000).toFixed(1).padStart(5);
  process.stdout.write(`dockside [${seconds}s] ${line}\n`);
};

/** One line for the person at the terminal: what happened and what to do. */
function explain(err: unknown): string {
  if (isLabError(err)) {
    // The operator's own language, from the locale (LANG=fr_FR.UTF-8 reads French).
    const { message, hint } = err.text(pickLanguage(process.env.LANG?.split('.')[0]?.replace('_', '-')));
    return `${message} ${hint}`.trim();
  }
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOSPC' || /no space left on device/i.test(e?.message ?? '')) {
    return new LabError(DiskFull, { path: loadConfig().stateDir, freeMiB: 0, needMiB: 1024 }).toLine();
  }
  return `${e?.message ?? String(err)} (set DEBUG=1 for details)`;
}

async function main(): Promise<void> {
  const config = loadConfig();
  let stopping = false;
  const lab = await startLab(config, {
    say,
    logLevel: process.env.DEBUG ? 'debug' : 'warn',
    onListening: ({ stop }) => {
      const onSignal = (signal: string) => {
        if (stopping) return;
        stopping = true;
        say(`${signal}: stopping (sandboxes are kept for the next start)`);
        stop()
          .catch((err) => say(`could not stop cleanly: ${explain(err)}`))
          .finally(() => process.exit(0));
      };
      process.on('SIGINT', () => onSignal('SIGINT'));
      process.on('SIGTERM', () => onSignal('SIGTERM'));
    },
  });
  say(`ready: ${lab.url}  (Ctrl-C stops the lab)`);
}

main().catch((err) => {
  process.stderr.write(`dockside: ${explain(err)}\n`);
  if (process.env.DEBUG) console.error(err);
  process.exit(1);
});
