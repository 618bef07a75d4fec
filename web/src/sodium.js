// libsodium (libsodium-wrappers-sumo, pinned by web/package-lock.json and
// copied to vendor/ by scripts/web.sh): the sumo build, since the
// standard one lacks crypto_pwhash (Argon2id) and crypto_hash_sha256.
import sodium from './vendor/libsodium-wrappers.mjs';

let ready = null;

/** getSodium() -> the initialised libsodium object (loads its WebAssembly
 * once). */
export function getSodium() {
  if (!ready) ready = sodium.ready.then(() => sodium);
  return ready;
}
