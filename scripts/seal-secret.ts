/**
 * Encrypts a secret for a passphrase-provider stack file the way `pulumi config set --secret` does, for machines
 * without the Pulumi CLI (the example stacks under examples/stacks/ are kept this way):
 *   PULUMI_CONFIG_PASSPHRASE=... npm run seal-secret -- [--write] FILE KEY < value
 * KEY is a config key such as `strata:slackWebhookUrl` (without a namespace it is the project's, as in Pulumi).
 * Without --write it prints the `KEY: { secure: ... }` entry to put under the file's `config:` (and, when the file
 * has no `encryptionsalt` yet, the new one to add at its top). With --write it puts them into the file itself,
 * replacing the key's entry if there is one and leaving every other line (comments included) as it was. The value
 * is read from standard input (a trailing newline is dropped), never from the command line.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import * as yaml from "js-yaml";
import { newEncryptionSalt, passphraseCrypter, type PassphraseCrypter } from "../infra/plan/passphraseSecrets";
import { parseStackConfig, passphraseFromEnvironment, PROJECT_DIR, readProjectName } from "../infra/plan/stackFile";
import { withSecret } from "../infra/plan/stackFileEdit";

const USAGE = "usage: PULUMI_CONFIG_PASSPHRASE=... npm run seal-secret -- [--write] FILE KEY < value\n";

function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { write: { type: "boolean" } } });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 64;
  }
  const [file, rawKey] = parsed.positionals;
  const passphrase = passphraseFromEnvironment();
  if (!file || !rawKey || parsed.positionals.length !== 2) {
    process.stderr.write(USAGE);
    return 64;
  }
  if (passphrase === undefined) {
    process.stderr.write("set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to the stack's passphrase\n");
    return 64;
  }
  const key = rawKey.includes(":") ? rawKey : `${readProjectName(PROJECT_DIR)}:${rawKey}`;
  const text = readFileSync(file, "utf8");
  const doc = (yaml.load(text) ?? {}) as { encryptionsalt?: unknown };
  let crypter: PassphraseCrypter;
  let newSalt: string | undefined;
  if (typeof doc.encryptionsalt === "string") {
    crypter = passphraseCrypter(doc.encryptionsalt, passphrase);
  } else {
    // Sealed values without a salt belong to another secrets provider (Pulumi Cloud, a KMS): a passphrase cannot add to them.
    if (/^\s+secure:/m.test(text)) {
      process.stderr.write(`${file} has secure values but no encryptionsalt: its secrets provider is not the passphrase one; use \`pulumi config set --secret ${key}\`\n`);
      return 2;
    }
    const fresh = newEncryptionSalt(passphrase);
    newSalt = fresh.encryptionSalt;
    crypter = fresh.crypter;
  }
  const value = readFileSync(0, "utf8").replace(/\r?\n$/, "");
  const ciphertext = crypter.encrypt(value);
  if (!parsed.values.write) {
    if (newSalt !== undefined) process.stdout.write(`encryptionsalt: ${newSalt}\n`);
    process.stdout.write(`  ${key}:\n    secure: ${ciphertext}\n`);
    return 0;
  }
  const updated = withSecret(text, key, ciphertext, newSalt);
  // Read back as the plan will: the key must now decrypt to the value, or the file is left as it was.
  const check = parseStackConfig(updated, file, { passphrase });
  if (check.values[key] !== value || !check.secretKeys.includes(key)) {
    process.stderr.write(`${file}: could not place ${key} in the file's config: block safely; nothing was written\n`);
    return 1;
  }
  writeFileSync(file, updated);
  process.stdout.write(`wrote ${key} (secure) into ${file}${newSalt !== undefined ? " with a new encryptionsalt" : ""}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
