// The one place @peculiar/x509 is loaded: import it from here, never directly, so the reflect-metadata it needs comes
// first and Node's own WebCrypto (the one behind globalThis.crypto) is its provider.
import { webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

export { x509 };
