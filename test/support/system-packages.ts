import { execFileSync, spawnSync } from 'node:child_process';

/**
 * Installs a Debian package the tests need when its command is missing (a fresh CI machine may
 * lack Java or Chromium). Only Debian's own repositories are used, as the CI allows; nothing is
 * downloaded from anywhere else. Does nothing when the command is already there.
 */
export function ensureCommand(command: string, debianPackage: string): void {
  if (commandExists(command)) return;
  const asRoot = process.getuid?.() === 0;
  const apt = (...args: string[]) => execFileSync(asRoot ? 'apt-get' : 'sudo', asRoot ? args : ['apt-get', ...args], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  process.stdout.write(`\`${command}\` is missing; installing Debian package ${debianPackage}...\n`);
  try {
    apt('install', '-y', '--no-install-recommends', debianPackage);
  } catch {
    apt('update');
    apt('install', '-y', '--no-install-recommends', debianPackage);
  }
  if (!commandExists(command)) throw new Error(`Installed ${debianPackage}, but \`${command}\` is still not on the PATH.`);
}

function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}
