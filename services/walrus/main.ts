import { runDaemon } from '../../src/runtime/daemon.js';
import { walrusComponent } from './component.js';

await runDaemon(walrusComponent);
