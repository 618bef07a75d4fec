// The passphrase's key derivation (docs/web-app.md): Argon2id
// (crypto_pwhash) at libsodium's INTERACTIVE limits for a new key, with a
// passphrase of at least 12 characters (MODERATE, 256 MiB, took 3.2 s in
// a fresh worker in chromium on the test machine: too slow to unlock
// before a command); a stored
// key is opened only with limits between INTERACTIVE and MODERATE (a
// record whose limits were lowered, or raised to exhaust the page, is
// refused). libsodium's constants, fixed here so the page can check a
// record without loading libsodium.

export const OPS_MIN = 2; // crypto_pwhash_OPSLIMIT_INTERACTIVE
export const OPS_MAX = 3; // crypto_pwhash_OPSLIMIT_MODERATE
export const MEM_MIN = 67108864; // crypto_pwhash_MEMLIMIT_INTERACTIVE (64 MiB)
export const MEM_MAX = 268435456; // crypto_pwhash_MEMLIMIT_MODERATE (256 MiB)

export const OPS_NEW = OPS_MIN;
export const MEM_NEW = MEM_MIN;
export const PASSPHRASE_MIN = 12;

/** limitsOk(kdf) -> whether a stored record's kdf may be used. */
export function limitsOk(kdf) {
  return !!kdf && kdf.alg === 'argon2id13' &&
    Number.isSafeInteger(kdf.opslimit) && kdf.opslimit >= OPS_MIN && kdf.opslimit <= OPS_MAX &&
    Number.isSafeInteger(kdf.memlimit) && kdf.memlimit >= MEM_MIN && kdf.memlimit <= MEM_MAX &&
    kdf.salt instanceof Uint8Array && kdf.salt.length === 16;
}
