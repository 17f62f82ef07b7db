import { runDaemon } from '../../src/runtime/daemon.js';
import { ncComponent } from './component.js';

await runDaemon(ncComponent);
