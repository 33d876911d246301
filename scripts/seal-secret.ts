/**
 * Encrypts a secret for a passphrase-provider stack file the way `pulumi config set --secret` does, for machines
 * without the Pulumi CLI (the example stacks under examples/stacks/ are kept this way):
 *   PULUMI_CONFIG_PASSPHRASE=... npm run seal-secret -- FILE KEY < value
 * prints the `KEY: { secure: ... }` line to put under the file's `config:` (and, when the file has no
 * `encryptionsalt` yet, the new one to add at its top). The file itself is not rewritten, so its comments stay. The
 * value is read from standard input (a trailing newline is dropped), never from the command line.
 */
import { readFileSync } from "node:fs";
import * as yaml from "js-yaml";
import { newEncryptionSalt, passphraseCrypter, type PassphraseCrypter } from "../infra/plan/passphraseSecrets";
import { passphraseFromEnvironment } from "../infra/plan/stackFile";

function main(argv: string[]): number {
  const [file, key] = argv;
  const passphrase = passphraseFromEnvironment();
  if (!file || !key || argv.length !== 2) {
    process.stderr.write("usage: PULUMI_CONFIG_PASSPHRASE=... npm run seal-secret -- FILE KEY < value\n");
    return 64;
  }
  if (passphrase === undefined) {
    process.stderr.write("set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the stack's passphrase\n");
    return 64;
  }
  const doc = (yaml.load(readFileSync(file, "utf8")) ?? {}) as { encryptionsalt?: unknown };
  let crypter: PassphraseCrypter;
  if (typeof doc.encryptionsalt === "string") {
    crypter = passphraseCrypter(doc.encryptionsalt, passphrase);
  } else {
    const fresh = newEncryptionSalt(passphrase);
    process.stdout.write(`encryptionsalt: ${fresh.encryptionSalt}\n`);
    crypter = fresh.crypter;
  }
  const value = readFileSync(0, "utf8").replace(/\r?\n$/, "");
  process.stdout.write(`  ${key}:\n    secure: ${crypter.encrypt(value)}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
