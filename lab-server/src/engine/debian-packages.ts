import { existsSync } from 'node:fs';
import { PackageInstallFailed } from '../errors/catalog.ts';
import { LabError } from '../errors/lab-error.ts';
import { runCommand, tail } from '../util/run-command.ts';

export type Say = (line: string) => void;

/** True when every path exists: how we tell whether a Debian package's program is installed. */
export const haveAll = (paths: string[]) => paths.every((p) => existsSync(p));

/**
 * Installs Debian packages with apt-get, refreshing the package lists first when they are missing or
 * when the first attempt cannot find a package. Output lines go to `say` so a person sees progress.
 */
export async function installDebianPackages(packages: string[], say: Say): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    runCommand('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
      env,
      onLine: (l) => say(`  apt: ${l}`),
    });
  say(`installing Debian packages: ${packages.join(' ')}`);
  let result = existsSync('/var/lib/apt/lists/lock') ? await install() : undefined;
  if (result?.code !== 0) {
    say('refreshing package lists (apt-get update)');
    const update = await runCommand('apt-get', ['update'], { env, onLine: (l) => say(`  apt: ${l}`) });
    if (update.code !== 0) {
      throw new LabError(PackageInstallFailed, {
        packages,
        reason: `apt-get update failed (${tail(update.stderr || update.stdout, 1)})`,
      });
    }
    result = await install();
  }
  if (result.code !== 0) {
    throw new LabError(PackageInstallFailed, { packages, reason: tail(result.stderr || result.stdout, 2) });
  }
}
