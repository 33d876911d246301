/**
 * What a `secure:` config value reads as when the offline plan cannot decrypt it (no passphrase, or a cloud secrets
 * provider). The value is present, so presence rules hold; its format is checked only where it is known (`pulumi
 * up`, or the offline plan with the stack's passphrase). The text cannot be a real secret: `pulumi up` always hands
 * the program the decrypted value.
 */
export const UNDECRYPTED_SECRET = "[secret: ciphertext not decrypted offline]";
